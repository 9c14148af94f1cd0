using Udpconf.Reference.Api;

namespace Udpconf.Reference.Ip;

/// <summary>The user's data blocks seen as one run of bytes, some of which may not be readable.</summary>
/// <remarks>A value over the call's blocks, walked by index: a foreach over the list made an enumerator per walk (issue
/// 17, the model's step).</remarks>
public readonly struct UserData(IReadOnlyList<UserBuffer> blocks)
{
    /// <summary>True when every byte of [offset, offset + count) can be copied from user memory.</summary>
    public bool IsReadable(long offset, long count)
    {
        long start = 0;
        for (var b = 0; b < blocks.Count; b++)
        {
            var block = blocks[b];
            var end = start + block.Length;
            var overlapStart = Math.Max(start, offset);
            var overlapEnd = Math.Min(end, offset + count);
            if (overlapStart < overlapEnd && overlapEnd - start > block.Readable.Length) return false;
            start = end;
        }
        return true;
    }

    /// <summary>Copies [offset, offset + count) out of the blocks; the range must be readable.</summary>
    public byte[] Copy(long offset, int count)
    {
        var bytes = new byte[count];
        long start = 0;
        var written = 0;
        for (var b = 0; b < blocks.Count; b++)
        {
            var block = blocks[b];
            var end = start + block.Length;
            var from = Math.Max(start, offset + written);
            var to = Math.Min(end, offset + count);
            if (from < to)
            {
                block.Readable.Span.Slice((int)(from - start), (int)(to - from)).CopyTo(bytes.AsSpan(written));
                written += (int)(to - from);
            }
            start = end;
        }
        return bytes;
    }
}
