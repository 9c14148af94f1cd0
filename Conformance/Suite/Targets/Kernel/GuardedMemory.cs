namespace Udpconf.Suite.Targets.Kernel;

/// <summary>
/// User memory for one system call. Every buffer gets its own mapping whose last page is PROT_NONE, and its
/// readable bytes end right before that guard page: the kernel copies the readable prefix and faults (EFAULT) on
/// the first byte beyond it, which is what a <c>UserBuffer</c> whose length exceeds its readable prefix means.
/// A fully unreadable buffer points at the guard page itself. Disposing unmaps everything.
/// </summary>
public sealed class GuardedMemory : IDisposable
{
    private static readonly int PageSize = Environment.SystemPageSize;
    private readonly List<(nint Base, nuint Length)> mappings = [];

    /// <summary>Places <paramref name="readable"/> right before a guard page and returns its address.</summary>
    public unsafe nint Place(ReadOnlySpan<byte> readable)
    {
        var dataPages = (readable.Length + PageSize - 1) / PageSize;
        var length = (nuint)((dataPages + 1) * PageSize);
        var mapped = Native.mmap(0, length, Native.ProtRead | Native.ProtWrite, Native.MapPrivate | Native.MapAnonymous, -1, 0);
        if (mapped == -1) throw new InvalidOperationException($"mmap failed: {SystemError.Describe(Native.Errno)}");
        mappings.Add((mapped, length));
        var guard = mapped + dataPages * PageSize;
        if (Native.mprotect(guard, (nuint)PageSize, Native.ProtNone) != 0)
            throw new InvalidOperationException($"mprotect failed: {SystemError.Describe(Native.Errno)}");
        var start = guard - readable.Length;
        readable.CopyTo(new Span<byte>((void*)start, readable.Length));
        return start;
    }

    /// <summary>The address of a user buffer (0 for a null pointer).</summary>
    public nint Place(Udpconf.Reference.Api.UserBuffer? buffer) => buffer is null ? 0 : Place(buffer.Readable.Span);

    /// <summary>Writable memory of <paramref name="length"/> bytes (for getsockopt's result), guard page after it.</summary>
    public nint Writable(int length) => Place(new byte[Math.Max(0, length)]);

    public void Dispose()
    {
        foreach (var (b, l) in mappings) Native.munmap(b, l);
        mappings.Clear();
    }
}
