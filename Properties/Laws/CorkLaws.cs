using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Symbols;
using Xunit;
using Outcome = Udpconf.Reference.Outcome;

namespace Udpconf.Properties.Laws;

/// <summary>A payload cut at <see cref="Cuts"/> into pieces (some empty, many of odd length), sent from
/// 192.0.2.1:5000 to 198.51.100.7:9 over tun0 with <see cref="Mtu"/>, scatter-gather or not, with IP options.</summary>
public sealed record CorkCase(byte[] Data, int[] Cuts, int Mtu, bool ScatterGather, OptionsCase Options, int Seed)
{
    public ReadOnlyMemory<byte>[] Pieces => Payload.Split(Data, Cuts);

    public override string ToString() =>
        $"{Data.Length} bytes in pieces [{string.Join(", ", Pieces.Select(p => p.Length))}], mtu {Mtu}{(ScatterGather ? "" : " without SG")}, {Options}";
}

/// <summary>A <see cref="CorkCase"/> with MSG_PROBE sends of the given lengths slipped in after the given pieces
/// (index 0: after the first piece; never before it), corked by MSG_MORE or by UDP_CORK.</summary>
public sealed record ProbeCase(CorkCase Cork, (int After, int Length)[] Probes, bool UdpCork)
{
    public override string ToString() =>
        $"{Cork}, probes {string.Join(", ", Probes.Select(p => $"{p.Length} bytes after piece {p.After}"))}, corked by {(UdpCork ? "UDP_CORK" : "MSG_MORE")}";
}

/// <summary>
/// Corking: any split of a payload into MSG_MORE pieces, or into plain sends between UDP_CORK 1 and UDP_CORK 0, or
/// into the blocks of one gather list, sends exactly the bytes that one send of the whole payload sends. The one
/// documented exception is the 2.6 bug udp_sendmsg.probe_length_counted: a MSG_PROBE send while corked adds its
/// length to up->len (L645-646), which becomes the UDP length (L420) and enters the checksum's pseudo-header
/// (L439-440, L464-465), though its data was never appended (L791-792).
/// </summary>
/// <remarks>
/// How the packets are compared: each run is a fresh model in which the socket is bound to 192.0.2.1:5000 (no
/// ephemeral port symbol) and exactly one datagram is sent, so every run introduces the same symbols in the same
/// order (2.6: the destination's counter ipid@198.51.100.7 at step 0, or the constant 0 when DF is set on an
/// unconnected socket; current kernels: the fresh ipid#1). The law first requires equal symbol lists and equal
/// identification values, and only then binds both runs from the same seed and compares every byte of every packet,
/// checksums included: nothing is compared modulo the identification, because nothing needs to be.
/// The host has no checksum offload, where a single-buffer datagram's field would legitimately differ (pseudo-header
/// sum only, udp_push.checksum_offload) between one send and pieces.
/// </remarks>
public class CorkLaws
{
    private static Profile[] Profiles => [Profile.Spec, Profile.Linux];

    [Property(MaxTest = 500, Arbitrary = [typeof(CorkArbitraries)])]
    [Trait("clause", "udp_sendmsg.corkreq")]
    [Trait("clause", "udp_sendmsg.pending_append")]
    [Trait("clause", "udp_sendmsg.length_accumulates")]
    [Trait("clause", "udp_sendmsg.push_uncorked")]
    [Trait("clause", "ip_generic_getfrag.checksum")]
    [Trait("clause", "ip_append_data.fragment_layout")]
    [Trait("clause", "udp_push.header")]
    public Property Any_split_into_MSG_MORE_pieces_sends_the_bytes_of_one_send(CorkCase c)
    {
        var verdict = new Verdict();
        foreach (var profile in Profiles)
        {
            var (whole, wholeOutcome) = SendWhole(c, profile);
            var session = Open(c, profile);
            var pieces = c.Pieces;
            Outcome? last = null;
            for (var i = 0; i < pieces.Length && verdict.Ok; i++)
            {
                var more = i < pieces.Length - 1;
                last = session.SendTo(pieces[i], more ? MsgFlags.More : MsgFlags.None);
                RequireSent(verdict, profile, $"piece {i}", last, pieces[i].Length, more ? 0 : 1);
            }
            if (verdict.Ok) SameBytes(verdict, profile, c.Seed, whole, wholeOutcome, session, last!);
        }
        return verdict.ToProperty();
    }

    [Property(MaxTest = 500, Arbitrary = [typeof(CorkArbitraries)])]
    [Trait("clause", "udp_setsockopt.cork_on")]
    [Trait("clause", "udp_setsockopt.cork_off_push")]
    [Trait("clause", "udp_sendmsg.corkreq")]
    [Trait("clause", "udp_sendmsg.pending_append")]
    [Trait("clause", "ip_generic_getfrag.checksum")]
    public Property Any_split_into_sends_between_UDP_CORK_1_and_0_sends_the_bytes_of_one_send(CorkCase c)
    {
        var verdict = new Verdict();
        foreach (var profile in Profiles)
        {
            var (whole, wholeOutcome) = SendWhole(c, profile);
            var session = Open(c, profile);
            var on = session.SetInt(SocketOption.SolUdp, SocketOption.UdpCork, 1);
            RequireSent(verdict, profile, "UDP_CORK 1", on, 0, 0);
            var pieces = c.Pieces;
            for (var i = 0; i < pieces.Length && verdict.Ok; i++)
                RequireSent(verdict, profile, $"piece {i}", session.SendTo(pieces[i]), pieces[i].Length, 0);
            if (!verdict.Ok) continue;
            var off = session.SetInt(SocketOption.SolUdp, SocketOption.UdpCork, 0);
            RequireSent(verdict, profile, "UDP_CORK 0", off, 0, 1);
            if (verdict.Ok) SameBytes(verdict, profile, c.Seed, whole, wholeOutcome, session, off);
        }
        return verdict.ToProperty();
    }

    [Property(MaxTest = 500, Arbitrary = [typeof(CorkArbitraries)])]
    [Trait("clause", "sys_sendto.single_iov")]
    [Trait("clause", "ip_generic_getfrag.checksum")]
    public Property A_gather_list_of_any_split_sends_the_bytes_of_one_block(CorkCase c)
    {
        var verdict = new Verdict();
        foreach (var profile in Profiles)
        {
            var (whole, wholeOutcome) = SendWhole(c, profile);
            var session = Open(c, profile);
            var gathered = session.SendMsg(c.Pieces);
            RequireSent(verdict, profile, "sendmsg", gathered, c.Data.Length, 1);
            if (verdict.Ok) SameBytes(verdict, profile, c.Seed, whole, wholeOutcome, session, gathered);
        }
        return verdict.ToProperty();
    }

    /// <summary>The law with its documented exception. linux: MSG_PROBE sends while corked change nothing, the bytes
    /// are those of one send. spec: the bytes are those of one send except exactly two fields of the first fragment's
    /// UDP header: the length, which is 8 + payload + the probes' lengths, and the checksum, which is the RFC 1071
    /// checksum over that wrong length (in the header and the pseudo-header), the header and the real data.</summary>
    [Property(MaxTest = 500, Arbitrary = [typeof(CorkArbitraries)])]
    [Trait("clause", "udp_sendmsg.probe_length_counted")]
    [Trait("clause", "ip_append_data.probe")]
    [Trait("clause", "udp_push.header")]
    [Trait("clause", "udp_push.checksum")]
    public Property Corked_MSG_PROBE_sends_change_only_the_UDP_length_and_checksum_in_spec_and_nothing_in_linux(ProbeCase p)
    {
        var verdict = new Verdict();
        var c = p.Cork;
        foreach (var profile in Profiles)
        {
            var (whole, wholeOutcome) = SendWhole(c, profile);
            var session = Open(c, profile);
            if (p.UdpCork) RequireSent(verdict, profile, "UDP_CORK 1", session.SetInt(SocketOption.SolUdp, SocketOption.UdpCork, 1), 0, 0);
            var pieces = c.Pieces;
            Outcome? last = null;
            for (var i = 0; i < pieces.Length && verdict.Ok; i++)
            {
                var final = i == pieces.Length - 1 && !p.UdpCork;
                last = session.SendTo(pieces[i], final || p.UdpCork ? MsgFlags.None : MsgFlags.More);
                RequireSent(verdict, profile, $"piece {i}", last, pieces[i].Length, final ? 1 : 0);
                if (i == pieces.Length - 1) break;
                foreach (var probe in p.Probes.Where(probe => probe.After == i))
                {
                    var flags = MsgFlags.Probe | (p.UdpCork ? MsgFlags.None : MsgFlags.More);
                    RequireSent(verdict, profile, $"probe of {probe.Length} after piece {i}", session.SendTo(new byte[probe.Length], flags), probe.Length, 0);
                }
            }
            if (p.UdpCork && verdict.Ok)
            {
                last = session.SetInt(SocketOption.SolUdp, SocketOption.UdpCork, 0);
                RequireSent(verdict, profile, "UDP_CORK 0", last, 0, 1);
            }
            if (!verdict.Ok) continue;

            var expected = whole.Packets(wholeOutcome, c.Seed).Select(b => (byte[])b.Clone()).ToList();
            if (profile == Profile.Spec)
            {
                // The probes counted by up->len: only those sent while the datagram was pending, i.e. after a piece
                // that is not the last (a probe is never generated after the last piece).
                var counted = p.Probes.Where(probe => probe.After < pieces.Length - 1).Sum(probe => probe.Length);
                var first = expected[0];
                var ihl = (first[0] & 0xF) * 4;
                var wrongLength = (ushort)(8 + c.Data.Length + counted);
                var segment = new byte[8 + c.Data.Length];
                first.AsSpan(ihl, 4).CopyTo(segment); // the ports, as in the single send
                BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(4), wrongLength);
                c.Data.CopyTo(segment, 8);
                var checksum = Rfc1071.UdpChecksumField(Hosts.Local, Hosts.Remote, wrongLength, segment);
                BinaryPrimitives.WriteUInt16BigEndian(first.AsSpan(ihl + 4), wrongLength);
                BinaryPrimitives.WriteUInt16BigEndian(first.AsSpan(ihl + 6), checksum);
            }
            SameBytes(verdict, profile, c.Seed, expected, session, last!);
        }
        return verdict.ToProperty();
    }

    private static Session Open(CorkCase c, Profile profile)
    {
        var session = Session.Open(Hosts.Tun0(c.Mtu, scatterGather: c.ScatterGather), profile);
        if (c.Options.Length > 0)
        {
            var set = session.SetBytes(SocketOption.SolIp, SocketOption.IpOptions, c.Options.Given);
            if (set.Kind != OutcomeKind.Value) throw new InvalidOperationException($"IP_OPTIONS {c.Options}: {set}");
        }
        return session;
    }

    /// <summary>The reference: one sendto of the whole payload on a fresh model.</summary>
    private static (Session Session, Outcome Outcome) SendWhole(CorkCase c, Profile profile)
    {
        var session = Open(c, profile);
        var outcome = session.SendTo(c.Data);
        if (outcome.Kind != OutcomeKind.Value || outcome.Datagrams.Count != 1)
            throw new InvalidOperationException($"{profile.Name}: one send of {c.Data.Length} bytes: {outcome}");
        return (session, outcome);
    }

    private static void RequireSent(Verdict verdict, Profile profile, string what, Outcome outcome, long value, int datagrams) =>
        verdict.Require(outcome.Kind == OutcomeKind.Value && outcome.Value == value && outcome.Datagrams.Count == datagrams,
            () => $"{profile.Name}: {what}: {outcome} with {outcome.Datagrams.Count} datagrams, expected {value} and {datagrams}");

    private static void SameBytes(Verdict verdict, Profile profile, int seed, Session whole, Outcome wholeOutcome, Session split, Outcome splitOutcome) =>
        SameBytes(verdict, profile, seed, whole.Packets(wholeOutcome, seed), split, splitOutcome, whole.Model.Symbols, wholeOutcome.Datagrams[0].Ident);

    private static void SameBytes(Verdict verdict, Profile profile, int seed, IReadOnlyList<byte[]> expected, Session split, Outcome splitOutcome) =>
        SameBytes(verdict, profile, seed, expected, split, splitOutcome, null, null);

    /// <summary>Same symbols, same identification, then the same bytes in every packet.</summary>
    private static void SameBytes(Verdict verdict, Profile profile, int seed, IReadOnlyList<byte[]> expected, Session split, Outcome splitOutcome,
        IReadOnlyList<Symbol>? wholeSymbols, IdentValue? wholeIdent)
    {
        if (wholeSymbols is not null)
            verdict.Require(split.Model.Symbols.SequenceEqual(wholeSymbols),
                () => $"{profile.Name}: symbols [{string.Join(", ", split.Model.Symbols.Select(s => s.Name))}], one send has [{string.Join(", ", wholeSymbols.Select(s => s.Name))}]");
        if (wholeIdent is not null)
            verdict.Require(splitOutcome.Datagrams[0].Ident == wholeIdent,
                () => $"{profile.Name}: identification {splitOutcome.Datagrams[0].Ident}, one send has {wholeIdent}");
        if (!verdict.Ok) return;
        var actual = split.Packets(splitOutcome, seed);
        verdict.Require(actual.Count == expected.Count, () => $"{profile.Name}: {actual.Count} packets, one send gives {expected.Count}");
        for (var i = 0; i < Math.Min(actual.Count, expected.Count) && verdict.Ok; i++)
        {
            var index = i;
            verdict.Require(actual[i].AsSpan().SequenceEqual(expected[i]), () =>
            {
                var at = 0;
                while (at < Math.Min(actual[index].Length, expected[index].Length) && actual[index][at] == expected[index][at]) at++;
                return $"{profile.Name}: packet {index} differs from byte {at} ({actual[index].Length} bytes, expected {expected[index].Length})";
            });
        }
    }
}

public static class CorkArbitraries
{
    private static Gen<CorkCase> Cases() =>
        from length in Gen.Frequency((5, Gen.Choose(0, 4000)), (1, Gen.Choose(0, 20000)))
        from seed in Gen.Choose(0, int.MaxValue)
        from count in Gen.Choose(0, 8)
        from cuts in Gen.ArrayOf(Gen.Frequency((3, Gen.Choose(0, length)), (1, Gen.Choose(0, Math.Min(length, 9)))), count)
        from mtu in Gen.Frequency((2, Gen.Elements(68, 576, 1006, 1500, 9000)), (1, Gen.Choose(68, 3000)))
        from scatterGather in Gen.Frequency((3, Gen.Constant(true)), (1, Gen.Constant(false)))
        from options in Gen.Frequency((3, Gen.Constant(OptionsCase.None)), (1, OptionsCase.Generate()))
        select new CorkCase(Payload.Random(length, seed), cuts, mtu, scatterGather, options, seed);

    public static Arbitrary<CorkCase> CorkCases() => Arb.From(Cases());

    public static Arbitrary<ProbeCase> ProbeCases()
    {
        var gen =
            from c in Cases()
            from count in Gen.Choose(0, 4)
            from probes in Gen.ArrayOf(
                Gen.Zip(Gen.Choose(0, Math.Max(c.Pieces.Length - 2, 0)), Gen.Frequency((3, Gen.Choose(0, 2000)), (1, Gen.Choose(0, 9)))),
                c.Pieces.Length > 1 ? count : 0)
            from udpCork in ArbMap.Default.GeneratorFor<bool>()
            select new ProbeCase(c, probes, udpCork);
        return Arb.From(gen);
    }
}
