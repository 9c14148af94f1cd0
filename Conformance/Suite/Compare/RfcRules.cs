using Udpconf.Reference.Host;
using Udpconf.Reference.Wire;
using Udpconf.Suite.Targets;

namespace Udpconf.Suite.Compare;

/// <summary>A rule every IPv4 host's UDP output keeps, whatever its stack chooses elsewhere: its id (as reports and
/// JSON write it), the RFC text it comes from, and the requirement in a line.</summary>
public sealed record RfcRule(string Id, string Source, string Requirement);

/// <summary>A packet of a step that breaks <see cref="Rule"/>: which one (1-based, among the step's packets on a
/// captured link) and what is wrong with it.</summary>
public sealed record RfcFinding(string Rule, int Packet, string What);

/// <summary>
/// The RFC-level judge: it reads what a target put on the wire at a step and names every packet that breaks RFC 768,
/// RFC 791 or RFC 1122, independently of the model and of Linux. A difference from the model says "differs from
/// Linux" (a choice: DF, identifications, errnos, which options exist); a finding here says "breaks an RFC", whoever
/// sent it, the live kernel and the model included. Only what the packets alone show is judged: a source of 0.0.0.0
/// (allowed while a host learns its address), a destination port of 0 (reserved, not forbidden) and a lost fragment
/// (the network may lose one too) are not findings.
/// </summary>
public static class RfcRules
{
    public static readonly RfcRule Header = new("rfc791.header", "RFC 791 §3.1",
        "version 4, IHL at least 5, total length equal to the packet's length and at least the header's");
    public static readonly RfcRule HeaderChecksum = new("rfc791.header_checksum", "RFC 791 §3.1, RFC 1071",
        "the header checksum sums the header to 0xFFFF");
    public static readonly RfcRule ReservedFlag = new("rfc791.reserved_flag", "RFC 791 §3.1 (Flags)", "bit 0 of the flags is zero");
    public static readonly RfcRule Options = new("rfc791.options", "RFC 791 §3.1 (Options)",
        "options are well formed: every option but End and No-Operation has a length of at least 2 that fits the header; " +
        "an option whose copied flag is set is in every fragment");
    public static readonly RfcRule Fragments = new("rfc791.fragments", "RFC 791 §3.2 (Fragmentation and Reassembly)",
        "a fragment with More Fragments set carries a multiple of 8 data bytes; no fragment ends past 65535 bytes; " +
        "fragments of one datagram do not overlap with different bytes, and do not extend past the last fragment");
    public static readonly RfcRule UdpLength = new("rfc768.length", "RFC 768 (Length)",
        "the UDP length is the length of the whole datagram, header and data (after reassembly), at least 8");
    public static readonly RfcRule UdpChecksum = new("rfc768.checksum", "RFC 768 (Checksum), RFC 1122 §4.1.3.4",
        "the UDP checksum is 0 (none) or sums pseudo-header, header and data to 0xFFFF; a device that finishes it " +
        "(checksum offload) may be handed the pseudo-header sum");
    public static readonly RfcRule Ttl = new("rfc1122.ttl", "RFC 1122 §3.2.1.7", "a host MUST NOT send a datagram with a TTL of zero");
    public static readonly RfcRule SourceAddress = new("rfc1122.source_address", "RFC 1122 §3.2.1.3",
        "the source is not a broadcast address (255.255.255.255 or a subnet's on the host), a multicast or class E " +
        "address, nor a loopback address outside the loopback device");
    public static readonly RfcRule DestinationAddress = new("rfc1122.destination_address", "RFC 1122 §3.2.1.3 (a), (g)",
        "the destination is not 0.0.0.0 (\"MUST NOT be sent, except as a source address\"), nor a loopback address " +
        "outside the loopback device");

    /// <summary>Every rule, in the order reports list them.</summary>
    public static readonly IReadOnlyList<RfcRule> All =
        [Header, HeaderChecksum, ReservedFlag, Options, Fragments, UdpLength, UdpChecksum, Ttl, SourceAddress, DestinationAddress];

    private static readonly Dictionary<string, RfcRule> ById = All.ToDictionary(r => r.Id, StringComparer.Ordinal);

    public static RfcRule? Find(string id) => ById.GetValueOrDefault(id);

    /// <summary>The findings for the packets a step put on captured links (lo is not captured), numbered as the
    /// comparison numbers them. <paramref name="host"/> tells which links finish checksums and which subnet broadcast
    /// addresses the host has.</summary>
    public static IReadOnlyList<RfcFinding> Check(IReadOnlyList<ObservedPacket> packets, HostConfig host)
    {
        var findings = new List<RfcFinding>();
        var wire = packets.Where(p => Comparer.OnWire(p.Interface)).ToArray();
        var broadcasts = host.Interfaces.SelectMany(i => i.Addresses)
            .Select(a => Interface.SubnetBroadcast(a.Address, a.PrefixLength)).OfType<Ipv4Address>().ToHashSet();
        var fragments = new Dictionary<(uint Source, uint Destination, ushort Id, byte Protocol), List<(int Number, Packet Packet, bool Offload)>>();
        for (var i = 0; i < wire.Length; i++)
        {
            var number = i + 1;
            var link = host.InterfaceByName(wire[i].Interface);
            var offload = wire[i].Offload?.NeedsChecksum == true || link?.ChecksumOffload == true;
            var packet = Packet.Parse(wire[i].Bytes);
            if (!packet.IsIpv4)
            {
                findings.Add(new(Header.Id, number, packet.Problem!));
                continue;
            }
            var ip = packet.Ip;
            if (ip.TotalLength != packet.Bytes.Length && wire[i].Offload is not { GsoType: not 0 })
                findings.Add(new(Header.Id, number, $"total length {ip.TotalLength}, packet {packet.Bytes.Length} bytes"));
            if (!packet.HeaderChecksumValid)
                findings.Add(new(HeaderChecksum.Id, number, "the header checksum does not sum the header to 0xFFFF"));
            if (ip.Reserved) findings.Add(new(ReservedFlag.Id, number, "the reserved flag is set"));
            if (OptionProblem(ip.Options.Span) is { } options) findings.Add(new(Options.Id, number, options));
            if (ip.Ttl == 0) findings.Add(new(Ttl.Id, number, "TTL 0"));
            Addresses(ip, link, broadcasts, number, findings);

            var data = packet.Bytes.Length - Math.Min(ip.HeaderLength, packet.Bytes.Length);
            if (ip.MoreFragments && data % 8 != 0)
                findings.Add(new(Fragments.Id, number, $"More Fragments set on {data} data bytes, not a multiple of 8"));
            if (ip.FragmentOffsetBytes + data > 0xFFFF)
                findings.Add(new(Fragments.Id, number, $"the fragment ends at byte {ip.FragmentOffsetBytes + data}, past 65535"));

            if (ip.MoreFragments || ip.FragmentOffsetBytes > 0)
            {
                var key = (ip.Source.Value, ip.Destination.Value, ip.Identification, ip.Protocol);
                if (!fragments.TryGetValue(key, out var list)) fragments[key] = list = [];
                list.Add((number, packet, offload));
            }
            else if (ip.Protocol == Ipv4Header.ProtocolUdp)
                Udp(packet.Payload, packet, offload, number, findings);
        }
        foreach (var group in fragments.Values) Reassemble(group, findings);
        return findings;
    }

    private static void Addresses(Ipv4Header ip, Interface? link, HashSet<Ipv4Address> broadcasts, int number, List<RfcFinding> findings)
    {
        var loopbackDevice = link?.IsLoopback == true;
        var source = ip.Source;
        if (source.IsLimitedBroadcast || broadcasts.Contains(source)) findings.Add(new(SourceAddress.Id, number, $"source {source} is a broadcast address"));
        else if (source.IsMulticast) findings.Add(new(SourceAddress.Id, number, $"source {source} is a multicast address"));
        else if (source.IsClassE) findings.Add(new(SourceAddress.Id, number, $"source {source} is a class E address"));
        else if (source.IsLoopback && !loopbackDevice) findings.Add(new(SourceAddress.Id, number, $"source {source} is a loopback address outside the loopback device"));
        var destination = ip.Destination;
        if (destination.IsZero) findings.Add(new(DestinationAddress.Id, number, "destination 0.0.0.0"));
        else if (destination.IsLoopback && !loopbackDevice) findings.Add(new(DestinationAddress.Id, number, $"destination {destination} is a loopback address outside the loopback device"));
    }

    /// <summary>What is wrong with an option list, or null: RFC 791's two single-byte options, End (0) and No-Operation
    /// (1), and every other one a type, a length of at least 2 (type and length bytes included) and its data.</summary>
    public static string? OptionProblem(ReadOnlySpan<byte> options)
    {
        for (var at = 0; at < options.Length;)
        {
            var type = options[at];
            if (type == 0) return null;
            if (type == 1) { at++; continue; }
            if (at + 1 >= options.Length) return $"option {type} at byte {at} has no length byte";
            var length = options[at + 1];
            if (length < 2) return $"option {type} at byte {at} has length {length}, below 2";
            if (at + length > options.Length) return $"option {type} at byte {at} has length {length}, past the header's {options.Length} option bytes";
            at += length;
        }
        return null;
    }

    /// <summary>The types of the options with the copied flag (bit 0x80) set, in order.</summary>
    private static List<byte> CopiedOptions(ReadOnlySpan<byte> options)
    {
        var copied = new List<byte>();
        if (OptionProblem(options) is not null) return copied;
        for (var at = 0; at < options.Length;)
        {
            var type = options[at];
            if (type == 0) break;
            if (type == 1) { at++; continue; }
            if ((type & 0x80) != 0) copied.Add(type);
            at += options[at + 1];
        }
        return copied;
    }

    /// <summary>The UDP rules on a whole datagram's IP payload: its length, and its checksum.</summary>
    private static void Udp(ReadOnlyMemory<byte> segment, Packet first, bool offload, int number, List<RfcFinding> findings)
    {
        if (segment.Length < UdpHeader.Length)
        {
            findings.Add(new(UdpLength.Id, number, $"a UDP datagram of {segment.Length} bytes, shorter than its header"));
            return;
        }
        UdpHeader.TryParse(segment.Span, out var udp, out _);
        if (udp.DatagramLength != segment.Length)
        {
            findings.Add(new(UdpLength.Id, number, $"UDP length {udp.DatagramLength}, datagram {segment.Length} bytes"));
            return;
        }
        var status = UdpHeader.Verify(first.Ip.Source, first.FinalDestination, segment.Span);
        if (status == UdpChecksumStatus.Invalid || status == UdpChecksumStatus.PartialOffload && !offload)
            findings.Add(new(UdpChecksum.Id, number, "the UDP checksum does not sum the datagram to 0xFFFF" +
                (status == UdpChecksumStatus.PartialOffload ? " (it is the pseudo-header sum, on a link that does not finish checksums)" : "")));
    }

    /// <summary>A datagram's fragments from one step: overlaps must agree, nothing may follow the last fragment, copied
    /// options must be in every fragment; a complete datagram is then judged as UDP. A datagram with a piece missing is
    /// not a finding.</summary>
    private static void Reassemble(List<(int Number, Packet Packet, bool Offload)> group, List<RfcFinding> findings)
    {
        var first = group.FirstOrDefault(f => f.Packet.Ip.FragmentOffsetBytes == 0);
        var last = group.Where(f => !f.Packet.Ip.MoreFragments).Select(f => (int?)(f.Packet.Ip.FragmentOffsetBytes + Data(f.Packet).Length)).Max();
        var size = last ?? group.Max(f => f.Packet.Ip.FragmentOffsetBytes + Data(f.Packet).Length);
        if (size > 0xFFFF) return; // found at its fragment
        var bytes = new byte[size];
        var have = new bool[size];
        if (first.Packet is { } head)
        {
            var copied = CopiedOptions(head.Ip.Options.Span);
            foreach (var (number, packet, _) in group.Where(f => f.Packet != head))
                if (copied.Except(CopiedOptions(packet.Ip.Options.Span)).ToArray() is { Length: > 0 } missing)
                    findings.Add(new(Options.Id, number, $"option(s) {string.Join(", ", missing)} of the first fragment are copied options but not in this one"));
        }
        foreach (var (number, packet, _) in group.OrderBy(f => f.Packet.Ip.FragmentOffsetBytes))
        {
            var data = Data(packet);
            var offset = packet.Ip.FragmentOffsetBytes;
            if (last is { } end && offset + data.Length > end)
            {
                findings.Add(new(Fragments.Id, number, $"the fragment ends at byte {offset + data.Length}, past the last fragment's end {end}"));
                return;
            }
            for (var i = 0; i < data.Length; i++)
            {
                if (have[offset + i] && bytes[offset + i] != data[i])
                {
                    findings.Add(new(Fragments.Id, number, $"the fragment overlaps an earlier one at byte {offset + i} with different data"));
                    return;
                }
                bytes[offset + i] = data[i];
                have[offset + i] = true;
            }
        }
        if (last is null || first.Packet is null || have.Contains(false) || first.Packet.Ip.Protocol != Ipv4Header.ProtocolUdp) return;
        Udp(bytes, first.Packet, first.Offload, first.Number, findings);
    }

    private static ReadOnlySpan<byte> Data(Packet packet) => packet.Bytes.AsSpan(Math.Min(packet.Ip.HeaderLength, packet.Bytes.Length));
}
