using System.Buffers.Binary;

namespace Udpconf.Reference.Api;

/// <summary>One control message as the kernel walks it out of msg_control.</summary>
/// <param name="DeclaredLength">cmsg_len as written by the user.</param>
public sealed record ControlMessage(int Level, int Type, ReadOnlyMemory<byte> Data, long DeclaredLength);

/// <summary>
/// msg_control in the x86-64 layout: struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } (16 bytes),
/// data after it, every message aligned to 8 bytes (CMSG_ALIGN).
/// </summary>
public static class ControlMessages
{
    public const int HeaderLength = 16;

    public static int Align(long length) => (int)((length + 7) & ~7L);
    public static int SpaceFor(int dataLength) => HeaderLength + Align(dataLength);
    public static int LengthFor(int dataLength) => HeaderLength + dataLength;

    /// <summary>Encodes well-formed messages (cmsg_len = CMSG_LEN(data), padding to CMSG_SPACE).</summary>
    public static byte[] Encode(params (int Level, int Type, byte[] Data)[] messages)
    {
        var bytes = new byte[messages.Sum(m => SpaceFor(m.Data.Length))];
        var offset = 0;
        foreach (var (level, type, data) in messages)
        {
            WriteHeader(bytes.AsSpan(offset), LengthFor(data.Length), level, type);
            data.CopyTo(bytes.AsSpan(offset + HeaderLength));
            offset += SpaceFor(data.Length);
        }
        return bytes;
    }

    public static void WriteHeader(Span<byte> destination, long cmsgLen, int level, int type)
    {
        BinaryPrimitives.WriteInt64LittleEndian(destination, cmsgLen);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], level);
        BinaryPrimitives.WriteInt32LittleEndian(destination[12..], type);
    }

    public static byte[] Int(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }

    /// <summary>struct in_pktinfo { int ipi_ifindex; struct in_addr ipi_spec_dst; struct in_addr ipi_addr; }.</summary>
    public static byte[] PktInfo(int ifindex, Host.Ipv4Address specDst, Host.Ipv4Address addr = default)
    {
        var bytes = new byte[12];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, ifindex);
        specDst.Write(bytes.AsSpan(4));
        addr.Write(bytes.AsSpan(8));
        return bytes;
    }

    /// <summary>
    /// Walks the buffer as CMSG_FIRSTHDR / CMSG_NXTHDR do: no message when fewer than 16 bytes remain; a message
    /// whose cmsg_len is below 16 or runs past msg_controllen is malformed (CMSG_OK fails: the caller's EINVAL).
    /// </summary>
    public static IEnumerable<(ControlMessage? Message, bool Malformed)> Walk(ReadOnlyMemory<byte> control, long controlLength)
    {
        long offset = 0;
        var length = Math.Min(controlLength, control.Length);
        while (offset + HeaderLength <= length)
        {
            var span = control.Span[(int)offset..];
            var cmsgLen = BinaryPrimitives.ReadInt64LittleEndian(span);
            if (cmsgLen < Limits.CmsgLength.At || cmsgLen > controlLength - offset)
            {
                yield return (null, true);
                yield break;
            }
            var level = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
            var type = BinaryPrimitives.ReadInt32LittleEndian(span[12..]);
            var dataLength = (int)Math.Min(cmsgLen - HeaderLength, length - offset - HeaderLength);
            yield return (new ControlMessage(level, type, control.Slice((int)offset + HeaderLength, dataLength), cmsgLen), false);
            offset += Align(cmsgLen);
        }
    }
}
