using System.Buffers.Binary;
using System.Globalization;
using Udpconf.Reference;
using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;
using Udpconf.Reference.Wire;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Targets;

namespace Udpconf.Suite.Compare;

/// <summary>What checking a step's own expectations gave: the problems, how many expectations were checked, and
/// those that could not be (a deciding clause, counters or an error queue where the model says nothing and the
/// target reported none).</summary>
public sealed record ExpectationCheck(List<Problem> Problems, int Checked, IReadOnlyList<string> Unchecked);

/// <summary>Checks what a case file itself says a step must give against what the target did (and, for the
/// deciding clause, against the model's prediction, since targets report no clauses). It needs no prediction for
/// anything the target observed: for a step the model does not say (<see cref="OutcomeKind.Unmodeled"/>) every
/// expectation on the result, the packets, and the counters or error queue the target reported is still checked;
/// only the deciding clause, and counters or an error queue the target did not report, are left skipped.</summary>
public static class CaseExpectations
{
    public static List<Problem> Check(Step step, Outcome predicted, Observation observed) => Evaluate(step, predicted, observed).Problems;

    /// <summary>How many expectations a step's lines state (as <see cref="Evaluate"/> counts them when it can check
    /// them all).</summary>
    public static int Count(Step step)
    {
        var e = step.Expectation;
        return (e.Result is { } r ? 1 + (r.OptionValue is null && r.SymbolicOption is null ? 0 : 1) + (r.Clause is null ? 0 : 1) : 0) +
               (e.PacketCount is null ? 0 : 1) + e.Packets.Count + (e.Counters.Count > 0 ? 1 : 0) + (e.ErrorQueue is null ? 0 : 1);
    }

    public static ExpectationCheck Evaluate(Step step, Outcome predicted, Observation observed)
    {
        var problems = new List<Problem>();
        var skipped = new List<string>();
        var done = 0;
        var modeled = predicted.Kind != OutcomeKind.Unmodeled;
        var expectation = step.Expectation;
        if (expectation.Result is { } result) done += CheckResult(result, predicted, observed, problems, skipped);

        // Only a step that says something of its packets needs those on the wire (most say nothing of them).
        var packets = expectation.PacketCount is null && expectation.Packets.Count == 0 ? []
            : observed.Packets.Where(p => Comparer.OnWire(p.Interface)).ToArray();
        if (expectation.PacketCount is { } count)
        {
            done++;
            if (count != packets.Length)
                problems.Add(new Problem(ProblemSource.Case, "packets", $"{count} packet(s)", $"{packets.Length} packet(s)", predicted.Clause));
        }
        foreach (var packet in expectation.Packets)
        {
            done++;
            if (packet.Index >= packets.Length)
            {
                problems.Add(new Problem(ProblemSource.Case, $"packet {packet.Index + 1}", "a packet", $"only {packets.Length} packet(s)", predicted.Clause));
                continue;
            }
            foreach (var (field, wanted) in packet.Fields)
            {
                var actual = Field(packets[packet.Index], field);
                if (field == "csum" && wanted == "valid")
                {
                    var (valid, observedText) = ChecksumOf(packets, packet.Index);
                    if (!valid) problems.Add(new Problem(ProblemSource.Case, $"packet {packet.Index + 1} {field}", wanted, observedText, ClauseFor(field)));
                }
                else if (!Matches(field, wanted, actual, packets[packet.Index].Bytes))
                    problems.Add(new Problem(ProblemSource.Case, $"packet {packet.Index + 1} {field}", wanted, actual, ClauseFor(field)));
            }
        }
        if (expectation.Counters.Count > 0)
        {
            // Without the target's counters the model's stand in, where the model says anything.
            var counters = observed.Counters ?? (modeled ? predicted.Counters : null);
            if (observed.CounterSteps != 1) skipped.Add($"counters (the target read them over {observed.CounterSteps} steps)");
            else if (counters is not { } known) skipped.Add("counters (the target reports none and the model does not say)");
            else
            {
                done++;
                foreach (var (counter, wanted) in expectation.Counters)
                {
                    var actual = known.Of(counter);
                    if (actual != wanted) problems.Add(new Problem(ProblemSource.Case, $"counter {counter}", wanted.ToString(), actual.ToString(), ClauseId.UdpResult));
                }
            }
        }
        if (expectation.ErrorQueue is { } wantedQueue)
        {
            var queue = observed.ErrorQueue ?? (modeled ? predicted.ErrorQueue : null);
            if (queue is null) skipped.Add("the error queue (the target reports none and the model does not say)");
            else
            {
                done++;
                if (!queue.SequenceEqual(wantedQueue))
                    problems.Add(new Problem(ProblemSource.Case, "error queue", Comparer.ErrorQueue(wantedQueue), Comparer.ErrorQueue(queue), predicted.Clause));
            }
        }
        return new ExpectationCheck(problems, done, skipped);
    }

    /// <summary>Checks the => line; returns how many of its parts were checked.</summary>
    private static int CheckResult(ResultExpectation result, Outcome predicted, Observation observed, List<Problem> problems, List<string> skipped)
    {
        var done = 1;
        var ok = result.Kind switch
        {
            OutcomeKind.Value => observed.Kind == OutcomeKind.Value && (result.Value is null || result.Value == observed.Value),
            OutcomeKind.Error => observed.Kind == OutcomeKind.Error && observed.Error is { } e && result.Errnos.Contains(e),
            _ => observed.Kind == result.Kind,
        };
        if (!ok) problems.Add(new Problem(ProblemSource.Case, "result", result.ToString(), observed.Describe(), result.Clause ?? predicted.Clause));
        if (result.OptionValue is { } option)
        {
            done++;
            if (observed.OptionValue is not { } got || !option.Span.SequenceEqual(got.Span))
                problems.Add(new Problem(ProblemSource.Case, "option value", Convert.ToHexString(option.Span), observed.OptionValue is { } v ? Convert.ToHexString(v.Span) : "none", result.Clause ?? predicted.Clause));
        }
        if (result.SymbolicOption is { } symbolic)
        {
            // The case says what was set; any tick rate a kernel is built with may read it back (the comparison with
            // the model binds one rate for the whole run).
            done++;
            if (observed.OptionValue is not { } got || !Symbol.TickRates.Any(hz => symbolic.Render(hz).AsSpan().SequenceEqual(got.Span)))
                problems.Add(new Problem(ProblemSource.Case, "option value", $"{symbolic.Describe()} (in jiffies of HZ {string.Join("|", Symbol.TickRates)})",
                    observed.OptionValue is { } v ? Convert.ToHexString(v.Span) : "none", result.Clause ?? predicted.Clause));
        }
        if (result.Clause is { } clause)
        {
            // A target reports no clause: only the model can say which one decided, and here it says nothing.
            if (predicted.Kind == OutcomeKind.Unmodeled) skipped.Add($"the deciding clause {clause} (the model does not say)");
            else
            {
                done++;
                if (clause != predicted.Clause)
                    problems.Add(new Problem(ProblemSource.Case, "deciding clause (model)", clause.Id, predicted.Clause.Id, clause));
            }
        }
        return done;
    }

    /// <summary>A field of an observed packet as text, in the form case files write it.</summary>
    public static string Field(ObservedPacket packet, string field)
    {
        if (field == "iface") return packet.Interface;
        var view = Packet.Parse(packet.Bytes);
        if (!view.IsIpv4) return $"(not IPv4: {view.Problem})";
        return PacketFields.ByName(field)?.Read(view) ?? "?";
    }

    private static bool Matches(string field, string wanted, string actual, byte[] bytes)
    {
        if (field == "payload")
        {
            var view = Packet.Parse(bytes);
            if (!view.IsIpv4) return false;
            var data = DataWords.Read(new Token(wanted, 0));
            return data.Readable.Span.SequenceEqual(view.Data.Span);
        }
        if (field == "options") return string.Equals(NormalizeHex(wanted), actual, StringComparison.OrdinalIgnoreCase);
        if (actual.StartsWith("0x") || wanted.StartsWith("0x"))
            return TryNumber(wanted, out var a) && TryNumber(actual, out var b) && a == b;
        return wanted == actual;
    }

    private static string NormalizeHex(string text) => text.StartsWith("hex:") ? text : "hex:" + text;

    private static bool TryNumber(string text, out long value) =>
        text.StartsWith("0x") ? long.TryParse(text[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out value)
            : long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);

    /// <summary><c>csum=valid</c> on the packet at <paramref name="index"/> of a step: the UDP checksum is not 0 (it
    /// was computed) and verifies over the whole datagram. A fragment (first or later) is checked on the datagram
    /// reassembled from the step's fragments that share its identification, addresses and protocol, by offset; a
    /// datagram whose fragments are not all there, or overlap, is not valid, and the observed text says why.</summary>
    public static (bool Valid, string Observed) ChecksumOf(IReadOnlyList<ObservedPacket> packets, int index)
    {
        var packet = Packet.Parse(packets[index].Bytes);
        if (!packet.IsIpv4) return (false, $"(not IPv4: {packet.Problem})");
        var ip = packet.Ip;
        ReadOnlySpan<byte> udp;
        var over = "";
        if (!ip.MoreFragments && ip.FragmentOffsetBytes == 0) udp = packet.Payload.Span;
        else
        {
            var (datagram, fragments, why) = Reassemble(packets, ip);
            if (datagram is null) return (false, $"(a fragment: {why})");
            udp = datagram;
            over = $" over the datagram reassembled from {fragments} fragments";
        }
        if (udp.Length < UdpHeader.Length) return (false, "(no UDP header)");
        var field = BinaryPrimitives.ReadUInt16BigEndian(udp[UdpHeader.ChecksumOffset..]);
        // RFC 768: under a source route the pseudo-header holds the final destination, not the next hop.
        return UdpHeader.Verify(ip.Source, packet.FinalDestination, udp) switch
        {
            UdpChecksumStatus.Zero => (false, "0x0000 (no checksum computed)"),
            UdpChecksumStatus.Valid => (true, $"0x{field:x4} (valid{over})"),
            _ => (false, $"0x{field:x4} (does not verify{over})"),
        };
    }

    /// <summary>The IP payload of the datagram <paramref name="fragment"/> belongs to, put together from the packets
    /// with the same identification, source, destination and protocol in the order of their offsets; null and why
    /// when the fragments do not make one whole datagram (one missing, an overlap, no last fragment).</summary>
    public static (byte[]? Payload, int Fragments, string Why) Reassemble(IReadOnlyList<ObservedPacket> packets, Ipv4Header fragment)
    {
        var parts = new List<(int Offset, byte[] Data, bool More)>();
        foreach (var packet in packets)
        {
            if (!Ipv4Header.TryParse(packet.Bytes, out var ip, out _)) continue;
            if (ip.Identification != fragment.Identification || ip.Source != fragment.Source ||
                ip.Destination != fragment.Destination || ip.Protocol != fragment.Protocol) continue;
            var end = Math.Clamp((int)ip.TotalLength, ip.HeaderLength, packet.Bytes.Length);
            parts.Add((ip.FragmentOffsetBytes, packet.Bytes[ip.HeaderLength..end], ip.MoreFragments));
        }
        parts.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        var whole = new List<byte>();
        foreach (var (offset, data, _) in parts)
        {
            if (offset > whole.Count) return (null, parts.Count, $"bytes {whole.Count} to {offset - 1} of datagram id {fragment.Identification} are in no fragment of this step");
            if (offset < whole.Count) return (null, parts.Count, $"fragments of datagram id {fragment.Identification} overlap at offset {offset}");
            whole.AddRange(data);
        }
        if (parts.Count == 0 || parts[^1].More)
            return (null, parts.Count, $"the last fragment (MF=0) of datagram id {fragment.Identification} is not among this step's packets");
        return (whole.ToArray(), parts.Count, "");
    }

    private static Clause ClauseFor(string field) =>
        field == "iface" ? ClauseId.Route : PacketFields.ByName(field)?.Clause ?? ClauseId.IpHeader;
}
