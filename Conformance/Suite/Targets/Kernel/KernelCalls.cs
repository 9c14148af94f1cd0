using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;

namespace Udpconf.Suite.Targets.Kernel;

/// <summary>The system calls of one run. Descriptors are renumbered as the model numbers them (lowest free
/// from 3), so that results compare; the real descriptor behind each is kept.</summary>
internal sealed class KernelCalls : IDisposable
{
    private Descriptors descriptors = new(1 << 29);
    private readonly Sandbox sandbox;
    /// <summary>The guarded buffers of earlier calls, reused by the next (<see cref="GuardedMemory.Pool"/>).</summary>
    private readonly GuardedMemory.Pool buffers = new();

    /// <summary>Made on the namespace's thread. An unprivileged host: that thread loses CAP_NET_BIND_SERVICE and
    /// CAP_NET_RAW, as a process of an ordinary user would lack them.</summary>
    public KernelCalls(Sandbox sandbox, HostConfig host)
    {
        this.sandbox = sandbox;
        if (!host.Privileged && Native.DropEffective(Native.CapNetBindService, Native.CapNetRaw) is var errno and not 0)
            throw new InvalidOperationException($"capset (dropping CAP_NET_BIND_SERVICE and CAP_NET_RAW): {SystemError.Describe(errno)}");
    }

    /// <summary>The counters as the last read left them (after its step's capture), the next read's "before".</summary>
    private CounterDelta? last;
    /// <summary>Markers sent since the last read (one UDP OutDatagrams each), and the steps run since it.</summary>
    private int markersSinceRead, stepsSinceRead;

    /// <summary>One operation with everything observed about it: result, packets, counter changes, error queue. The
    /// counters are read after the capture: one read's "after" is the next one's "before", and the markers the captures
    /// sent (one UDP OutDatagrams each) are taken out of the change.</summary>
    /// <param name="settle">Send markers and read up to them (the proof that nothing more is coming); false: read what
    /// the links hold, the next settled step's markers proving the run of steps complete.</param>
    /// <param name="readCounters">Read the counters after this step, the change covering every step since the last read
    /// (<see cref="Observation.CounterSteps"/>); false: this step's counters are left null and its changes go into
    /// the next read's.</param>
    public Observation Step(Operation operation, bool settle = true, bool readCounters = true)
    {
        var before = last ??= sandbox.Counters();
        var (kind, value, errno, option) = Run(operation);
        var packets = sandbox.Capture(out var markers, settle);
        var errorQueue = DrainErrorQueue(operation);
        markersSinceRead += markers;
        stepsSinceRead++;
        if (!readCounters) return new Observation(kind, value, errno, packets, option, null, ErrorQueue: errorQueue);
        var after = sandbox.Counters();
        last = after;
        var counters = new CounterDelta(after.OutDatagrams - before.OutDatagrams - markersSinceRead, after.OutDiscards - before.OutDiscards,
            after.SndbufErrors - before.SndbufErrors, after.OutNoRoutes - before.OutNoRoutes);
        var steps = stepsSinceRead;
        (markersSinceRead, stepsSinceRead) = (0, 0);
        return new Observation(kind, value, errno, packets, option, counters, ErrorQueue: errorQueue, CounterSteps: steps);
    }

    /// <summary>The operations in order, each observation handed to <paramref name="observed"/> as its step is done.
    /// <paramref name="markerEveryStep"/>: each step settled by its own markers; else only the last one, whose markers
    /// prove the whole run complete (<see cref="Step"/>). The counters are read where a step is settled, so once for
    /// the whole run unless <paramref name="countersEveryStep"/> or <paramref name="markerEveryStep"/>: reading them
    /// (the kernel writing all of /proc/net/snmp) was a third of a plain send's step (issue 17). A run's results and
    /// packets still say at which step each datagram went or failed; its counters are compared over the run.</summary>
    public void Steps(IReadOnlyList<Operation> operations, bool markerEveryStep, Action<Observation> observed, CancellationToken cancellation = default,
        bool countersEveryStep = false)
    {
        for (var i = 0; i < operations.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            var settle = markerEveryStep || i == operations.Count - 1;
            observed(Step(operations[i], settle, readCounters: settle || countersEveryStep));
        }
    }

    /// <summary>The error queue of the socket an operation used (a send, or a setsockopt that pushed a corked datagram,
    /// or a connect), read until empty; nothing for other operations.</summary>
    /// <remarks>Only for a descriptor that was given an option or sent a control message (<see cref="mayQueue"/>): a
    /// socket's error queue fills only under options (IP_RECVERR, IPV6_RECVERR, SO_ZEROCOPY, SO_TIMESTAMPING) or a
    /// send's timestamping request, and the read that finds it empty was a seventh of a plain send's step. A test runs
    /// every case and fuzz sequences with and without this and finds the same observations.</remarks>
    private IReadOnlyList<ErrorQueueEntry> DrainErrorQueue(Operation operation)
    {
        if (operation is not (SendToOp or SendMsgOp or SendMmsgOp or SetSockOptOp or ConnectOp)) return [];
        var fd = Operation.DescriptorOf(operation)!.Value;
        if (operation is SetSockOptOp || operation is SendMsgOp { ControlLength: not 0 } ||
            operation is SendMmsgOp mmsg && mmsg.Messages.Any(m => m.ControlLength != 0))
            mayQueue.Add(fd);
        return DrainAlways || mayQueue.Contains(fd) ? ErrorQueue.Drain(Resolve(fd)) : [];
    }

    /// <summary>The descriptors (as the operations name them) whose error queue may hold entries.</summary>
    private readonly HashSet<Fd> mayQueue = [];

    /// <summary>Every send's error queue read, as before <see cref="mayQueue"/> (the tests' reference).</summary>
    public bool DrainAlways { get; init; }

    private int Resolve(Fd fd) => descriptors.Resolve(fd);

    private (OutcomeKind, long, Errno?, ReadOnlyMemory<byte>?) Install(string name, int fd, int errno) =>
        fd < 0 ? Fail(errno) : (OutcomeKind.Value, descriptors.Install(name, fd), null, null);

    private static (OutcomeKind, long, Errno?, ReadOnlyMemory<byte>?) Fail(int errno) => (OutcomeKind.Error, -1, (Errno)errno, null);

    private static (OutcomeKind, long, Errno?, ReadOnlyMemory<byte>?) Result(long value, int errno) =>
        value < 0 ? Fail(errno) : (OutcomeKind.Value, value, null, null);

    private unsafe (OutcomeKind Kind, long Value, Errno? Error, ReadOnlyMemory<byte>? Option) Run(Operation operation)
    {
        using var memory = new GuardedMemory(buffers, pinned: Zerocopy(operation));
        switch (operation)
        {
            case SocketOp op:
            {
                // SOCK_CLOEXEC, whatever the case asks (the kernel takes it apart from the type, before any check): a
                // process another test starts meanwhile must not inherit the socket, or close would not release its
                // port (socket/autobind failed so in a full test run, a forked child holding the only ephemeral port).
                var fd = Native.socket(op.Domain, op.Type | SocketType.CloexecFlag, op.Protocol);
                return Install(op.Name, fd, Native.Errno);
            }
            case OpenFileOp op:
            {
                var fd = Native.open("/dev/null", Native.ORdwr | Native.OCloexec);
                return Install(op.Name, fd, Native.Errno);
            }
            case BindOp op:
            {
                var r = Native.bind(Resolve(op.Fd), memory.Place(op.Address), op.AddressLength);
                return Result(r, Native.Errno);
            }
            case ConnectOp op:
            {
                var r = Native.connect(Resolve(op.Fd), memory.Place(op.Address), op.AddressLength);
                return Result(r, Native.Errno);
            }
            case SetSockOptOp op:
            {
                var r = Native.setsockopt(Resolve(op.Fd), op.Level, op.OptName, memory.Place(op.Value), op.OptLen);
                return Result(r, Native.Errno);
            }
            case GetSockOptOp op:
            {
                var buffer = memory.Writable(Math.Max(0, op.OptLen));
                var length = op.OptLen;
                var r = Native.getsockopt(Resolve(op.Fd), op.Level, op.OptName, buffer, &length);
                if (r < 0) return Fail(Native.Errno);
                var bytes = new ReadOnlySpan<byte>((void*)buffer, Math.Clamp(length, 0, Math.Max(0, op.OptLen))).ToArray();
                return (OutcomeKind.Value, length, null, bytes);
            }
            case SetNonblockOp op:
            {
                var fd = Resolve(op.Fd);
                var flags = Native.fcntl(fd, Native.FGetfl, 0);
                if (flags < 0) return Fail(Native.Errno);
                var r = Native.fcntl(fd, Native.FSetfl, op.Nonblocking ? flags | Native.ONonblock : flags & ~Native.ONonblock);
                return Result(r, Native.Errno);
            }
            case SendToOp op:
            {
                var data = memory.Place(op.Data);
                var address = memory.Place(op.Address);
                var r = Native.sendto(Resolve(op.Fd), data, (nuint)op.Data.Length, (int)op.Flags, address, op.AddressLength);
                return Result(r, Native.Errno);
            }
            case SendMsgOp op:
            {
                var msg = (MsgHdr*)memory.Writable(sizeof(MsgHdr));
                *msg = Header(memory, new MmsgEntry(op.Name, op.NameLength, op.Iov, op.Control, op.ControlLength));
                var r = Native.sendmsg(Resolve(op.Fd), (nint)msg, (int)op.Flags);
                return Result(r, Native.Errno);
            }
            case SendMmsgOp op:
            {
                // The vector's readable entries end right before a guard page: an entry the call reaches beyond them
                // faults, as the operation says. A SIGPIPE would not end the process: .NET ignores the signal.
                var entries = new MmsgHdr[op.Messages.Count];
                for (var k = 0; k < entries.Length; k++) entries[k].Header = Header(memory, op.Messages[k]);
                var vector = memory.Place(System.Runtime.InteropServices.MemoryMarshal.AsBytes(entries.AsSpan()));
                var r = Native.sendmmsg(Resolve(op.Fd), vector, op.Vlen, (int)op.Flags);
                if (r < 0) return Fail(Native.Errno);
                // msg_len of each entry sent, as the kernel wrote it.
                var sent = new ReadOnlySpan<MmsgHdr>((void*)vector, Math.Min(r, entries.Length));
                var lengths = new byte[sent.Length * 4];
                for (var k = 0; k < sent.Length; k++) System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(lengths.AsSpan(k * 4), sent[k].Length);
                return (OutcomeKind.Value, r, null, lengths);
            }
            case ShutdownOp op:
            {
                var r = Native.shutdown(Resolve(op.Fd), op.How);
                return Result(r, Native.Errno);
            }
            case CloseOp op:
            {
                var fd = Resolve(op.Fd);
                var r = Native.close(fd);
                var errno = Native.Errno;
                if (r == 0) descriptors.Closed(fd);
                return Result(r, errno);
            }
            case HostChangeOp op:
                try
                {
                    sandbox.Change(op.Interface, op.Mtu, op.Up);
                }
                catch (NetlinkException refused) when (op.Mtu is not null && refused.Errno == (int)Errno.EINVAL)
                {
                    // An MTU out of the link's range (below its min_mtu, above its max_mtu) is the call's answer, as
                    // the model gives it; any other refusal is a broken run (a link the case does not have).
                    return Result(-1, refused.Errno);
                }
                return (OutcomeKind.Value, 0, null, null);
            default:
                return (OutcomeKind.Unmodeled, 0, null, null);
        }
    }

    /// <summary>A send with MSG_ZEROCOPY: the kernel may read its buffers after the call returned, so they are not reused
    /// before the sockets are closed.</summary>
    public static bool Zerocopy(Operation operation) =>
        (operation switch { SendToOp op => op.Flags, SendMsgOp op => op.Flags, SendMmsgOp op => op.Flags, _ => default }).HasFlag(MsgFlags.Zerocopy);

    /// <summary>A msghdr whose buffers are placed in <paramref name="memory"/> (msg_flags 0).</summary>
    /// <remarks>What the kernel reads exactly (the gather list, entries read whole, a name or control message no longer
    /// than its bytes) is packed (<see cref="GuardedMemory.PlaceExact"/>); a buffer meant to fault keeps a guard page
    /// right after its readable bytes.</remarks>
    private static unsafe MsgHdr Header(GuardedMemory memory, MmsgEntry entry)
    {
        var iov = (IoVec*)memory.WritableExact(sizeof(IoVec) * Math.Max(1, entry.Iov.Count));
        for (var i = 0; i < entry.Iov.Count; i++)
        {
            var buffer = entry.Iov[i];
            iov[i] = new IoVec
            {
                Base = buffer.NullBase ? 0 : PlaceUpTo(memory, buffer, buffer.Length),
                Length = unchecked((nuint)buffer.Length),
            };
        }
        return new MsgHdr
        {
            Name = PlaceUpTo(memory, entry.Name, entry.NameLength), NameLength = entry.NameLength,
            Iov = entry.Iov.Count == 0 ? 0 : (nint)iov, IovLength = (nuint)entry.Iov.Count,
            Control = PlaceUpTo(memory, entry.Control, entry.ControlLength), ControlLength = (nuint)entry.ControlLength,
        };
    }

    /// <summary>A buffer the kernel reads <paramref name="length"/> bytes of: packed when it has them all, else before
    /// its guard page.</summary>
    private static nint PlaceUpTo(GuardedMemory memory, UserBuffer? buffer, long length) =>
        buffer is { NullBase: false, FullyReadable: true } && length >= 0 && length <= buffer.Readable.Length
            ? memory.PlaceExact(buffer.Readable.Span[..(int)length])
            : memory.Place(buffer);

    /// <summary>The buffers of MSG_ZEROCOPY sends back in use (<see cref="GuardedMemory.Pool.Release"/>): after
    /// <see cref="Reset"/> and the links read empty.</summary>
    public void ReleaseBuffers() => buffers.Release();

    /// <summary>Every socket and file of the run closed, descriptors numbered from 3 again and the counters read
    /// afresh at the next step, for the next sequence in the same namespace.</summary>
    public void Reset()
    {
        CloseAll();
        descriptors = new Descriptors(1 << 29);
        mayQueue.Clear();
        last = null;
        (markersSinceRead, stepsSinceRead) = (0, 0);
    }

    private void CloseAll()
    {
        foreach (var fd in descriptors.Open.ToArray())
        {
            Native.close(fd);
            descriptors.Closed(fd);
        }
    }

    public void Dispose()
    {
        buffers.Dispose();
        CloseAll();
    }
}
