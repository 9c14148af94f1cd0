using System.Buffers.Binary;
using System.Globalization;
using Udpconf.Reference;
using Udpconf.Reference.Host;
using Udpconf.Reference.Wire;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Targets;

namespace Udpconf.Suite.Compare;

/// <summary>Checks what a case file itself says a step must give against what the target did (and, for the
/// deciding clause, against the model's prediction, since targets report no clauses).</summary>
public static class CaseExpectations
{
    public static List<Problem> Check(Step step, Outcome predicted, Observation observed)
    {
        var problems = new List<Problem>();
        var expectation = step.Expectation;
        if (expectation.Result is { } result) CheckResult(result, predicted, observed, problems);

        var packets = observed.Packets.Where(p => Comparer.OnWire(p.Interface)).ToArray();
        if (expectation.PacketCount is { } count && count != packets.Length)
            problems.Add(new Problem("case", "packets", $"{count} packet(s)", $"{packets.Length} packet(s)", predicted.Clause));
        foreach (var packet in expectation.Packets)
        {
            if (packet.Index >= packets.Length)
            {
                problems.Add(new Problem("case", $"packet {packet.Index + 1}", "a packet", $"only {packets.Length} packet(s)", predicted.Clause));
                continue;
            }
            foreach (var (field, wanted) in packet.Fields)
            {
                var actual = Field(packets[packet.Index], field);
                if (!Matches(field, wanted, actual, packets[packet.Index].Bytes))
                    problems.Add(new Problem("case", $"packet {packet.Index + 1} {field}", wanted, actual, ClauseFor(field)));
            }
        }
        if (expectation.Counters.Count > 0)
        {
            var counters = observed.Counters ?? predicted.Counters;
            foreach (var (name, wanted) in expectation.Counters)
            {
                var actual = name switch
                {
                    "OutDatagrams" => counters.OutDatagrams,
                    "OutDiscards" => counters.OutDiscards,
                    "SndbufErrors" => counters.SndbufErrors,
                    _ => counters.OutNoRoutes,
                };
                if (actual != wanted) problems.Add(new Problem("case", $"counter {name}", wanted.ToString(), actual.ToString(), ClauseId.UdpResult));
            }
        }
        if (expectation.ErrorQueue is { } wantedQueue)
        {
            var queue = observed.ErrorQueue ?? predicted.ErrorQueue;
            if (!queue.SequenceEqual(wantedQueue))
                problems.Add(new Problem("case", "error queue", Comparer.ErrorQueue(wantedQueue), Comparer.ErrorQueue(queue), predicted.Clause));
        }
        return problems;
    }

    private static void CheckResult(ResultExpectation result, Outcome predicted, Observation observed, List<Problem> problems)
    {
        var ok = result.Kind switch
        {
            OutcomeKind.Value => observed.Kind == OutcomeKind.Value && (result.Value is null || result.Value == observed.Value),
            OutcomeKind.Error => observed.Kind == OutcomeKind.Error && observed.Error is { } e && result.Errnos.Contains(e),
            _ => observed.Kind == result.Kind,
        };
        if (!ok) problems.Add(new Problem("case", "result", result.ToString(), observed.Describe(), result.Clause ?? predicted.Clause));
        if (result.OptionValue is { } option && (observed.OptionValue is not { } got || !option.Span.SequenceEqual(got.Span)))
            problems.Add(new Problem("case", "option value", Convert.ToHexString(option.Span), observed.OptionValue is { } v ? Convert.ToHexString(v.Span) : "none", ClauseId.GetSockOpt));
        if (result.Clause is { } clause && clause != predicted.Clause)
            problems.Add(new Problem("case", "deciding clause (model)", clause, predicted.Clause, clause));
    }

    /// <summary>A field of an observed packet as text, in the form case files write it.</summary>
    public static string Field(ObservedPacket packet, string field)
    {
        var bytes = packet.Bytes;
        if (field == "iface") return packet.Interface;
        if (!Ipv4Header.TryParse(bytes, out var ip, out var problem)) return $"(not IPv4: {problem})";
        var payload = bytes.AsSpan(Math.Min(ip.HeaderLength, bytes.Length));
        var first = ip.FragmentOffsetBytes == 0 && payload.Length >= 8;
        return field switch
        {
            "src" => ip.Source.ToString(),
            "dst" => ip.Destination.ToString(),
            "tos" => ip.Tos.ToString(),
            "ttl" => ip.Ttl.ToString(),
            "df" => ip.DontFragment ? "1" : "0",
            "mf" => ip.MoreFragments ? "1" : "0",
            "offset" => ip.FragmentOffsetBytes.ToString(),
            "id" => ip.Identification.ToString(),
            "len" => ip.TotalLength.ToString(),
            "ihl" => (ip.HeaderLength / 4).ToString(),
            "proto" => ip.Protocol.ToString(),
            "options" => "hex:" + Convert.ToHexString(ip.Options.Span).ToLowerInvariant(),
            "sport" => first ? BinaryPrimitives.ReadUInt16BigEndian(payload).ToString() : "(no UDP header)",
            "dport" => first ? BinaryPrimitives.ReadUInt16BigEndian(payload[2..]).ToString() : "(no UDP header)",
            "ulen" => first ? BinaryPrimitives.ReadUInt16BigEndian(payload[4..]).ToString() : "(no UDP header)",
            "csum" => first ? $"0x{BinaryPrimitives.ReadUInt16BigEndian(payload[6..]):x4}" : "(no UDP header)",
            "payload" => $"{(first ? payload.Length - 8 : payload.Length)} bytes",
            _ => "?",
        };
    }

    private static bool Matches(string field, string wanted, string actual, byte[] bytes)
    {
        if (field == "payload")
        {
            if (!Ipv4Header.TryParse(bytes, out var ip, out _)) return false;
            var payload = bytes.AsSpan(ip.HeaderLength);
            if (ip.FragmentOffsetBytes == 0 && payload.Length >= 8) payload = payload[8..];
            var data = OperationParser.Data(new Token(wanted, 0));
            return data.Readable.Span.SequenceEqual(payload);
        }
        if (field == "csum" && wanted == "valid") return actual.StartsWith("0x") && UdpChecksumValid(bytes);
        if (field == "options") return string.Equals(NormalizeHex(wanted), actual, StringComparison.OrdinalIgnoreCase);
        if (actual.StartsWith("0x") || wanted.StartsWith("0x"))
            return TryNumber(wanted, out var a) && TryNumber(actual, out var b) && a == b;
        return wanted == actual;
    }

    private static string NormalizeHex(string text) => text.StartsWith("hex:") ? text : "hex:" + text;

    private static bool TryNumber(string text, out long value) =>
        text.StartsWith("0x") ? long.TryParse(text[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out value)
            : long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);

    /// <summary>An unfragmented datagram whose UDP checksum verifies (or is 0: not computed).</summary>
    private static bool UdpChecksumValid(byte[] bytes)
    {
        if (!Ipv4Header.TryParse(bytes, out var ip, out _) || ip.MoreFragments || ip.FragmentOffsetBytes != 0) return false;
        var udp = bytes.AsSpan(ip.HeaderLength);
        if (udp.Length < 8) return false;
        var field = BinaryPrimitives.ReadUInt16BigEndian(udp[6..]);
        if (field == 0) return false;
        var sum = InternetChecksum.Sum(udp, InternetChecksum.PseudoHeaderSum(ip.Source, ip.Destination, Ipv4Header.ProtocolUdp, (ushort)udp.Length));
        return InternetChecksum.Fold(sum) == 0xFFFF;
    }

    private static string ClauseFor(string field) => field switch
    {
        "ttl" => ClauseId.Ttl,
        "df" => ClauseId.Df,
        "mf" or "offset" or "len" or "payload" => ClauseId.FragmentLayout,
        "options" or "ihl" => ClauseId.IpOptions,
        "sport" or "dport" or "ulen" => ClauseId.UdpHeader,
        "csum" => ClauseId.Checksum,
        "src" => ClauseId.SourceFromRoute,
        "iface" => ClauseId.Route,
        _ => ClauseId.IpHeader,
    };
}
