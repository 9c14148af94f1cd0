using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;

namespace Udpconf.Reference.Ip;

/// <summary>One buffer of the write queue: the bytes it holds (IP header space included) and what it costs.</summary>
public sealed class Skb
{
    public int Length { get; set; }
    public bool HardwareChecksum { get; init; }
    /// <summary>Holds a whole oversized datagram for UDP fragmentation offload.</summary>
    public bool Ufo { get; init; }
    public int PageFragments { get; set; }
    public int LastPage { get; set; } = -1;
    public int TrueSize { get; set; }
}

/// <summary>The ids of one ubuf_info_msgzc: <paramref name="First"/> and the <paramref name="Count"/> - 1 after it.
/// <paramref name="MayBeZerocopy"/>: some piece was appended on a device that takes checksums and scatter-gather, so
/// that its pages may have been pinned rather than copied (uarg->zerocopy left set).</summary>
/// <paramref name="Buffers"/>: the write queue's length after the last MSG_ZEROCOPY piece (its last buffer holds the
/// range). <paramref name="Split"/>: a later piece found a buffer without it at the queue's tail and began a second
/// ubuf_info, whose completions come in an order the model does not follow.
public sealed record ZerocopyRange(uint First, uint Count, bool MayBeZerocopy, int Buffers = 0, bool Split = false)
{
    public uint Last => unchecked(First + Count - 1);
}

/// <summary>
/// The cork (inet->cork plus the write queue): what the datagram being built will carry. Only its methods change
/// it, each one step of the text, so what belongs together changes together: cork_init sets route, options, MTU and
/// resets length and pages at once; every piece of data goes into the bytes and their running sum together; a
/// release forgets all the datagram's parts but cork.length (reset by the next cork_init, as in the text).
/// </summary>
public sealed class Cork
{
    private readonly List<Skb> queue = [];
    private readonly List<byte> data = [];
    private Wire.ChecksumAccumulator dataSum;

    public RouteResult? Route { get; private set; }
    public IpOptions? Options { get; private set; }
    /// <summary>cork.addr: the final destination, written into a source route's last slot.</summary>
    public Ipv4Address Address { get; private set; }
    public int FragSize { get; private set; }
    /// <summary>cork.gso_size: the UDP segment size in force when the datagram's first piece was appended (0: none).</summary>
    public int GsoSize { get; private set; }
    /// <summary>cork.length: bytes appended so far, UDP header included.</summary>
    public int Length { get; private set; }

    // cork.fl: the addresses and ports recorded when the datagram was set up.
    public Ipv4Address FlowDestination { get; private set; }
    public ushort FlowDestinationPort { get; private set; }
    public Ipv4Address FlowSource { get; private set; }
    public PortValue FlowSourcePort { get; private set; }
    /// <summary>Per-datagram IP_TTL / IP_TOS from control messages (current kernels).</summary>
    public int? Ttl { get; private set; }
    public int? Tos { get; private set; }
    /// <summary>Current kernels: the neighbour that MSG_CONFIRM on the datagram's first piece confirms once the
    /// datagram leaves (skb_set_dst_pending_confirm; neigh_confirm in ip_finish_output2).</summary>
    public Ipv4Address? ConfirmOnSend { get; private set; }
    /// <summary>The MSG_ZEROCOPY ids the pending datagram's buffers hold (one ubuf_info), null when none.</summary>
    public ZerocopyRange? Zerocopy { get; internal set; }
    /// <summary>The route is a group's this host had joined on its device when the datagram was set up (RTCF_LOCAL).</summary>
    public bool GroupJoinedAtRoute { get; internal set; }

    /// <summary>The write queue: the buffers of the datagram, in order.</summary>
    public IReadOnlyList<Skb> Queue => queue;
    /// <summary>The user data appended so far, in order (the UDP header is not in it).</summary>
    public IReadOnlyList<byte> Data => data;
    /// <summary>The running checksum of <see cref="Data"/>, added piece by piece as ip_generic_getfrag does.</summary>
    public uint DataSum => dataSum.Sum;
    public int CurrentPage { get; private set; } = -1;
    public int PageOffset { get; private set; }
    public int PagesAllocated { get; private set; }

    public int WriteMemory => queue.Sum(s => s.TrueSize);

    /// <summary>udp_sendmsg's set-up of a new datagram: the flow it goes to and its per-datagram choices.</summary>
    internal void SetUp((Ipv4Address Destination, ushort Port, Ipv4Address Source) flow, PortValue sourcePort, int? ttl, int? tos, Ipv4Address? confirmOnSend)
    {
        SetFlow(flow);
        FlowSourcePort = sourcePort;
        Ttl = ttl;
        Tos = tos;
        ConfirmOnSend = confirmOnSend;
    }

    /// <summary>The flow's addresses and destination port (set up, or rewritten by a connect while pending).</summary>
    internal void SetFlow((Ipv4Address Destination, ushort Port, Ipv4Address Source) flow)
    {
        FlowDestination = flow.Destination;
        FlowDestinationPort = flow.Port;
        FlowSource = flow.Source;
    }

    /// <summary>ip_setup_cork: the first append of a datagram records its options, route and MTU; length and pages
    /// start afresh.</summary>
    internal void Init(RouteResult route, IpOptions? options, Ipv4Address address, int fragSize, int gsoSize)
    {
        GsoSize = gsoSize;
        Options = options;
        Address = address;
        Route = route;
        FragSize = fragSize;
        Length = 0;
        ForgetPage();
    }

    /// <summary>No current page: the next page fragment takes a fresh one. Init and Release share it, so that the line
    /// is one mutant, not two that an equivalence keyed by the line's text cannot tell apart.</summary>
    private void ForgetPage()
    {
        CurrentPage = -1;
        PageOffset = 0;
    }

    /// <summary>cork.length grows by an append's length, and a failed append takes what it did not queue back off.</summary>
    internal void Grow(int length) => Length += length;

    internal void Unwind(int remaining) => Length -= remaining;

    internal void Enqueue(Skb skb) => queue.Add(skb);

    /// <summary>A piece of user data, copied and summed (ip_generic_getfrag).</summary>
    internal void AddData(byte[] bytes)
    {
        data.AddRange(bytes);
        dataSum.Add(bytes);
    }

    /// <summary>A fresh page for page fragments; it becomes the current page, filled from its start.</summary>
    internal int NewPage()
    {
        CurrentPage = ++PagesAllocated;
        PageOffset = 0;
        return CurrentPage;
    }

    /// <summary><paramref name="count"/> more bytes of the current page are used.</summary>
    internal void FillPage(int count) => PageOffset += count;

    /// <summary>Empties the queue and forgets options and route (ip_flush_pending_frames / the end of a push).
    /// cork.length stays: it is reset when the next datagram is set up.</summary>
    public void Release()
    {
        queue.Clear();
        data.Clear();
        dataSum = default;
        Options = null;
        Route = null;
        Ttl = null;
        Tos = null;
        ConfirmOnSend = null;
        Zerocopy = null;
        ForgetPage();
    }
}
