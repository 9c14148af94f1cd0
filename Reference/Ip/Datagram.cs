using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;
using Udpconf.Reference.Wire;

namespace Udpconf.Reference.Ip;

/// <summary>How the UDP checksum field is filled.</summary>
public enum UdpChecksumMode
{
    /// <summary>RFC 768 checksum, a computed 0 sent as 0xFFFF (udp_push.checksum, udp_push.checksum_zero).</summary>
    Computed,
    /// <summary>SO_NO_CHECK: the field is 0 (udp_push.no_check).</summary>
    Disabled,
    /// <summary>Checksum offload: the field holds the pseudo-header sum for the device to finish
    /// (udp_push.checksum_offload).</summary>
    PseudoHeaderOnly,
}

/// <summary>One IP datagram as it leaves the model, its symbolic fields unbound.</summary>
/// <param name="Interface">The device it is handed to (lo for local destinations).</param>
/// <param name="Options">IP options of the first fragment, padded to a multiple of 4.</param>
/// <param name="LaterFragmentOptions">The options of every later fragment: options not marked "copied" become NOPs.</param>
/// <param name="UdpLength">The UDP length field (and the pseudo-header's length).</param>
/// <param name="Data">The user data after the UDP header.</param>
/// <param name="FragmentPayloads">IP payload bytes of each fragment, in order; one entry when not fragmented.</param>
/// <param name="GsoSize">Set when the datagram is handed to the device whole (UDP fragmentation offload): the
/// fragment payload size the device will use.</param>
/// <param name="SegmentSize">UDP segmentation (GSO, current kernels: udp_gso.segments): the data leaves as datagrams
/// of this many bytes each, the last holding the rest, each with the whole IP header (options included), its own UDP
/// header and checksum, and the identification that follows the previous one's. Null: one datagram.</param>
public sealed record Datagram(
    string Interface,
    Ipv4Address Source,
    Ipv4Address Destination,
    byte Tos,
    byte Ttl,
    bool DontFragment,
    IdentValue Ident,
    ReadOnlyMemory<byte> Options,
    ReadOnlyMemory<byte> LaterFragmentOptions,
    PortValue SourcePort,
    ushort DestinationPort,
    ushort UdpLength,
    UdpChecksumMode ChecksumMode,
    ReadOnlyMemory<byte> Data,
    IReadOnlyList<int> FragmentPayloads,
    int? GsoSize = null,
    int? SegmentSize = null)
{
    /// <summary>The packets this datagram puts on its link: its fragments, one for UFO, its segments for UDP GSO.</summary>
    public int PacketCount => SegmentSize is { } size
        ? Segments(size).Sum(length => FragmentPayloads.Count > 1 ? Cut(UdpHeader.Length + length, FragmentRoom ?? FragmentPayloads[0]).Length : 1)
        : GsoSize is null ? FragmentPayloads.Count : 1;

    /// <summary>The data bytes of each UDP GSO segment: one segment when the data fits the size.</summary>
    private IReadOnlyList<int> Segments(int size)
    {
        if (Data.Length <= size) return [Data.Length];
        var pieces = new List<int>();
        for (var left = Data.Length; left > 0; left -= size) pieces.Add(Math.Min(size, left));
        return pieces;
    }

    /// <summary>Segments fragmented on output: the room after the IP header (the output MTU less the header), which the
    /// last fragment of each segment may fill whole (ip_fragment; every other fragment carries it rounded down to 8).</summary>
    public int? FragmentRoom { get; init; }
    /// <summary>The addresses of the UDP pseudo-header (the cork's flow): the final destination even when a source
    /// route sends the datagram to its first hop.</summary>
    public Ipv4Address? PseudoSource { get; init; }
    public Ipv4Address? PseudoDestination { get; init; }
    /// <summary>The data's checksum as it was summed piece by piece while appending; null: sum <see cref="Data"/>.</summary>
    public uint? DataSum { get; init; }

    public int TransportLength => UdpHeader.Length + Data.Length;

    /// <summary>The UDP header and data as the first fragment carries them, symbols bound.</summary>
    public byte[] RenderTransport(Bindings bindings) => RenderTransport(bindings, Data, UdpLength, DataSum);

    /// <summary>A UDP header and <paramref name="data"/> with the datagram's ports and checksum mode.</summary>
    private byte[] RenderTransport(Bindings bindings, ReadOnlyMemory<byte> data, ushort udpLength, uint? dataSum)
    {
        var sourcePort = SourcePort.Resolve(bindings);
        var header = new UdpHeader(sourcePort, DestinationPort, udpLength, 0);
        var source = PseudoSource ?? Source;
        var destination = PseudoDestination ?? Destination;
        ushort checksum;
        switch (ChecksumMode)
        {
            case UdpChecksumMode.Disabled:
                checksum = 0;
                break;
            case UdpChecksumMode.PseudoHeaderOnly:
                checksum = UdpHeader.PartialChecksumField(source, destination, udpLength);
                break;
            default:
                var headerBytes = new byte[UdpHeader.Length];
                header.Emit(headerBytes);
                var accumulator = new ChecksumAccumulator();
                accumulator.AddSum(InternetChecksum.PseudoHeaderSum(source, destination, Ipv4Header.ProtocolUdp, udpLength));
                accumulator.Add(headerBytes);
                accumulator.AddSum(dataSum ?? InternetChecksum.Sum(data.Span));
                // spec: udp_push.checksum_zero
                checksum = UdpHeader.ChecksumField(accumulator.Sum);
                break;
        }
        var transport = new byte[UdpHeader.Length + data.Length];
        (header with { Checksum = checksum }).Emit(transport);
        data.Span.CopyTo(transport.AsSpan(UdpHeader.Length));
        return transport;
    }

    /// <summary>UDP GSO (__udp_gso_segment): each segment is a datagram of its own, the IP header copied whole (options,
    /// TOS, TTL, DF), the identification stepping by one from the datagram's. When the output MTU fell below a segment
    /// since the datagram was corked, <see cref="FragmentPayloads"/> holds the fragmentation of a whole segment, and
    /// every segment is cut the same way (ip_finish_output_gso, then ip_fragment).</summary>
    private IReadOnlyList<byte[]> RenderSegments(Bindings bindings, int size)
    {
        var ident = Ident.Resolve(bindings);
        var packets = new List<byte[]>();
        var offset = 0;
        var segments = Segments(size);
        for (var k = 0; k < segments.Count; k++)
        {
            var transport = RenderTransport(bindings, Data.Slice(offset, segments[k]), (ushort)(UdpHeader.Length + segments[k]), null);
            var payloads = FragmentPayloads.Count > 1 ? Cut(transport.Length, FragmentRoom ?? FragmentPayloads[0]) : [transport.Length];
            packets.AddRange(Fragments(transport, payloads, unchecked((ushort)(ident + k))));
            offset += segments[k];
        }
        return packets;
    }

    /// <summary>ip_fragment's slow path: every fragment but the last carries the room after the header rounded down to
    /// 8 bytes; the last carries what is left, up to the whole room (found by the differential machine).</summary>
    public static int[] Cut(int length, int room)
    {
        var pieces = new List<int>();
        var left = length;
        for (; left > room; left -= room & ~7) pieces.Add(room & ~7);
        pieces.Add(left);
        return pieces.ToArray();
    }

    /// <summary>Every packet on the wire, in order, as bytes (IP header included).</summary>
    public IReadOnlyList<byte[]> Render(Bindings bindings)
    {
        if (SegmentSize is { } size) return RenderSegments(bindings, size);
        var transport = RenderTransport(bindings);
        return Fragments(transport, GsoSize is null ? FragmentPayloads : [transport.Length], Ident.Resolve(bindings));
    }

    /// <summary>The IP packets carrying <paramref name="transport"/> in pieces of <paramref name="payloads"/> bytes.</summary>
    private List<byte[]> Fragments(byte[] transport, IReadOnlyList<int> payloads, ushort ident)
    {
        var packets = new List<byte[]>(payloads.Count);
        var offset = 0;
        for (var i = 0; i < payloads.Count; i++)
        {
            var options = i == 0 ? Options : LaterFragmentOptions;
            var header = new Ipv4Header(
                Tos, (ushort)(Ipv4Header.MinimumLength + options.Length + payloads[i]), ident,
                Reserved: false, DontFragment, MoreFragments: i < payloads.Count - 1, (ushort)offset,
                Ttl, Ipv4Header.ProtocolUdp, 0, Source, Destination, options).WithComputedChecksum();
            var packet = new byte[header.TotalLength];
            header.Emit(packet);
            transport.AsSpan(offset, payloads[i]).CopyTo(packet.AsSpan(header.HeaderLength));
            packets.Add(packet);
            offset += payloads[i];
        }
        return packets;
    }
}
