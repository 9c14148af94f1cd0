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
    int? GsoSize = null)
{
    /// <summary>The addresses of the UDP pseudo-header (the cork's flow): the final destination even when a source
    /// route sends the datagram to its first hop.</summary>
    public Ipv4Address? PseudoSource { get; init; }
    public Ipv4Address? PseudoDestination { get; init; }
    /// <summary>The data's checksum as it was summed piece by piece while appending; null: sum <see cref="Data"/>.</summary>
    public uint? DataSum { get; init; }

    public int TransportLength => UdpHeader.Length + Data.Length;

    /// <summary>The UDP header and data as the first fragment carries them, symbols bound.</summary>
    public byte[] RenderTransport(Bindings bindings)
    {
        var sourcePort = SourcePort.Resolve(bindings);
        var header = new UdpHeader(sourcePort, DestinationPort, UdpLength, 0);
        var source = PseudoSource ?? Source;
        var destination = PseudoDestination ?? Destination;
        ushort checksum;
        switch (ChecksumMode)
        {
            case UdpChecksumMode.Disabled:
                checksum = 0;
                break;
            case UdpChecksumMode.PseudoHeaderOnly:
                checksum = UdpHeader.PartialChecksumField(source, destination, UdpLength);
                break;
            default:
                var headerBytes = new byte[UdpHeader.Length];
                header.Emit(headerBytes);
                var accumulator = new ChecksumAccumulator();
                accumulator.AddSum(InternetChecksum.PseudoHeaderSum(source, destination, Ipv4Header.ProtocolUdp, UdpLength));
                accumulator.Add(headerBytes);
                accumulator.AddSum(DataSum ?? InternetChecksum.Sum(Data.Span));
                // spec: udp_push.checksum_zero
                checksum = UdpHeader.ChecksumField(accumulator.Sum);
                break;
        }
        var transport = new byte[TransportLength];
        (header with { Checksum = checksum }).Emit(transport);
        Data.Span.CopyTo(transport.AsSpan(UdpHeader.Length));
        return transport;
    }

    /// <summary>Every packet on the wire, in order, as bytes (IP header included).</summary>
    public IReadOnlyList<byte[]> Render(Bindings bindings)
    {
        var transport = RenderTransport(bindings);
        var ident = Ident.Resolve(bindings);
        var payloads = GsoSize is null ? FragmentPayloads : [transport.Length];
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
