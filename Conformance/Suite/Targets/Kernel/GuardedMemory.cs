using Udpconf.Reference.Api;

namespace Udpconf.Suite.Targets.Kernel;

/// <summary>
/// User memory for one system call. Every buffer gets its own mapping whose last page is PROT_NONE, and its
/// readable bytes end right before that guard page: the kernel copies the readable prefix and faults (EFAULT) on
/// the first byte beyond it, which is what a <c>UserBuffer</c> whose length exceeds its readable prefix means.
/// A fully unreadable buffer points at the guard page itself. Disposing unmaps everything, or gives the mappings
/// back to a <see cref="Pool"/>, whose next calls reuse them (guard page and all) instead of mapping, protecting and
/// unmapping again: three system calls and a page fault per buffer.
/// </summary>
/// <param name="pool">Where the mappings come from and go back to; null: mapped for this call and unmapped after it.</param>
/// <param name="pinned">The call sends with MSG_ZEROCOPY: the kernel may read its buffers after it returned, so they go
/// back to the pool only at <see cref="Pool.Release"/> (the sockets closed and the links read empty), not for the next call.</param>
public sealed class GuardedMemory(GuardedMemory.Pool? pool = null, bool pinned = false) : IDisposable
{
    private static readonly int PageSize = Environment.SystemPageSize;
    private readonly List<(nint Base, nuint Length)> mappings = [];

    /// <summary>Mappings of earlier calls on one thread, by length, up to <see cref="MostBytes"/> in all. The buffers of a
    /// call the kernel may still read after it returned (MSG_ZEROCOPY pins the pages until the packet is freed) are held
    /// apart until <see cref="Release"/>: the next call would write over bytes still queued. (Unmapping each instead
    /// cost a fuzz run more than the sends themselves: measured on 6.18.44, a fifth of the namespace thread's time.)</summary>
    public sealed class Pool : IDisposable
    {
        public const long MostBytes = 16L << 20;
        private readonly Dictionary<nuint, Stack<nint>> free = [];
        private readonly List<(nint Mapping, nuint Length)> held = [];
        private long bytes, heldBytes;

        /// <summary>A pinned call's mapping, kept out of use until <see cref="Release"/>; false when the pool is full.</summary>
        internal bool Hold(nint mapping, nuint length)
        {
            if (heldBytes + (long)length > MostBytes) return false;
            held.Add((mapping, length));
            heldBytes += (long)length;
            return true;
        }

        /// <summary>The pinned calls' mappings back in use: to be called when nothing the kernel holds can point into
        /// them any more (their sockets closed, the links read empty).</summary>
        public void Release()
        {
            foreach (var (mapping, length) in held)
                if (!Keep(mapping, length)) Native.munmap(mapping, length);
            held.Clear();
            heldBytes = 0;
        }

        internal nint Take(nuint length)
        {
            if (!free.TryGetValue(length, out var stack) || stack.Count == 0) return 0;
            bytes -= (long)length;
            return stack.Pop();
        }

        internal bool Keep(nint mapping, nuint length)
        {
            if (bytes + (long)length > MostBytes) return false;
            if (!free.TryGetValue(length, out var stack)) free[length] = stack = new Stack<nint>();
            stack.Push(mapping);
            bytes += (long)length;
            return true;
        }

        public void Dispose()
        {
            foreach (var (length, stack) in free)
                while (stack.Count > 0) Native.munmap(stack.Pop(), length);
            bytes = 0;
            foreach (var (mapping, length) in held) Native.munmap(mapping, length);
            held.Clear();
            heldBytes = 0;
        }
    }

    /// <summary>Places <paramref name="readable"/> right before a guard page and returns its address.</summary>
    public unsafe nint Place(ReadOnlySpan<byte> readable)
    {
        var dataPages = (readable.Length + PageSize - 1) / PageSize;
        var guard = Map(dataPages) + dataPages * PageSize;
        var start = guard - readable.Length;
        readable.CopyTo(new Span<byte>((void*)start, readable.Length));
        return start;
    }

    /// <summary><paramref name="dataPages"/> pages and a guard page after them, from the pool or mapped anew.</summary>
    private nint Map(int dataPages)
    {
        var length = (nuint)((dataPages + 1) * PageSize);
        var reused = pool?.Take(length) ?? 0;
        var mapped = reused != 0 ? reused : MapInRegion(length);
        mappings.Add((mapped, length));
        if (reused == 0 && Native.mprotect(mapped + dataPages * PageSize, (nuint)PageSize, Native.ProtNone) != 0)
            throw new InvalidOperationException($"mprotect failed: {SystemError.Describe(Native.Errno)}");
        return mapped;
    }

    /// <summary>The pages <see cref="PlaceExact"/> fills, one after the other (a guard page after the last).</summary>
    private const int PackedPages = 16;
    private nint packed;
    private int packedUsed;

    /// <summary>
    /// Places bytes the kernel reads no further than: a gather-list entry read up to its length, a name or a control
    /// message of the length the call gives, a gather list itself. They go next to the call's other such bytes (8-byte
    /// aligned) in one mapping instead of each before a guard page of its own: a guard page matters only where the
    /// kernel is meant to fault, and a sendmmsg of a thousand messages mapped thousands of buffers one by one
    /// (sys_sendmmsg/vlen_clamp took 211-337 ms). Larger than half the packed pages: a mapping of its own, as
    /// <see cref="Place(ReadOnlySpan{byte})"/>.
    /// </summary>
    public unsafe nint PlaceExact(ReadOnlySpan<byte> bytes)
    {
        var at = Reserve(bytes.Length);
        if (at == 0) return Place(bytes);
        bytes.CopyTo(new Span<byte>((void*)at, bytes.Length));
        return at;
    }

    /// <summary>Zeroed memory of <paramref name="length"/> bytes the kernel reads no further than (<see cref="PlaceExact"/>).</summary>
    public unsafe nint WritableExact(int length)
    {
        var at = Reserve(length);
        if (at == 0) return Writable(length);
        new Span<byte>((void*)at, length).Clear();
        return at;
    }

    /// <summary>The next <paramref name="length"/> bytes of the packed pages (a new set when they are full); 0 for a
    /// length too large to pack.</summary>
    private nint Reserve(int length)
    {
        var size = (Math.Max(0, length) + 7) & ~7;
        if (size > PackedPages * PageSize / 2) return 0;
        if (packed == 0 || packedUsed + size > PackedPages * PageSize)
        {
            packed = Map(PackedPages);
            packedUsed = 0;
        }
        var at = packed + packedUsed;
        packedUsed += size;
        return at;
    }

    /// <summary>Maps <paramref name="length"/> bytes inside the region the model assumes (UserMemory.MappedLow to
    /// MappedHigh), so that access_ok answers for a large length as the model predicts: the next free place from a
    /// cursor that walks the region round, MAP_FIXED_NOREPLACE so that nothing already mapped is touched.</summary>
    private static nint MapInRegion(nuint length)
    {
        const long Low = UserMemory.MappedLow, High = UserMemory.MappedHigh;
        for (var attempt = 0; attempt < 4096; attempt++)
        {
            var at = Interlocked.Add(ref cursor, (long)length) - (long)length;
            if (at + (long)length > High)
            {
                Interlocked.CompareExchange(ref cursor, Low, at + (long)length);
                continue;
            }
            var mapped = Native.mmap((nint)at, length, Native.ProtRead | Native.ProtWrite,
                Native.MapPrivate | Native.MapAnonymous | Native.MapFixedNoReplace, -1, 0);
            if (mapped == (nint)at) return mapped;
            if (mapped != -1)
            {
                // A kernel before 4.17 takes the flag for a hint and may map elsewhere.
                Native.munmap(mapped, length);
                throw new InvalidOperationException($"mmap placed a buffer at 0x{mapped:x}, not at 0x{at:x}: this kernel does not know MAP_FIXED_NOREPLACE");
            }
            if (Native.Errno != Native.Eexist) throw new InvalidOperationException($"mmap failed: {SystemError.Describe(Native.Errno)}");
        }
        throw new InvalidOperationException($"no free place for {length} bytes between 0x{Low:x} and 0x{High:x}");
    }

    private static long cursor = UserMemory.MappedLow;

    /// <summary>Where the next mapping is tried (tests move it to see the walk wrap).</summary>
    internal static long Cursor { get => Interlocked.Read(ref cursor); set => Interlocked.Exchange(ref cursor, value); }

    /// <summary>The address of a user buffer (0 for a null pointer).</summary>
    public nint Place(Udpconf.Reference.Api.UserBuffer? buffer) => buffer is null ? 0 : Place(buffer.Readable.Span);

    /// <summary>Writable memory of <paramref name="length"/> bytes (for getsockopt's result), guard page after it.</summary>
    public nint Writable(int length) => Place(new byte[Math.Max(0, length)]);

    public void Dispose()
    {
        foreach (var (b, l) in mappings)
            if (pool is null || !(pinned ? pool.Hold(b, l) : pool.Keep(b, l))) Native.munmap(b, l);
        mappings.Clear();
    }
}
