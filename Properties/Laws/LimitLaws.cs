using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Xunit;
using Outcome = Udpconf.Reference.Outcome;

namespace Udpconf.Properties.Laws;

/// <summary>One sendto of <see cref="Length"/> bytes (the length argument; any value up to int.MaxValue) with
/// <see cref="OptionsLength"/> bytes of IP options, IP_MTU_DISCOVER <see cref="PmtuMode"/> and device MTU
/// <see cref="Mtu"/>.</summary>
public sealed record SingleSend(long Length, int OptionsLength, int PmtuMode, int Mtu)
{
    public override string ToString() => $"sendto of {Length} bytes, {OptionsLength} option bytes, IP_MTU_DISCOVER {PmtuMode}, mtu {Mtu}";
}

/// <summary>One sendto of <see cref="Length"/> bytes in IP_MTU_DISCOVER mode <see cref="PmtuMode"/> (0-5) with
/// <see cref="OptionsLength"/> bytes of IP options over device MTU <see cref="Mtu"/>.</summary>
public sealed record DfSend(int Length, int OptionsLength, int PmtuMode, int Mtu)
{
    public override string ToString() => $"sendto of {Length} bytes, {OptionsLength} option bytes, IP_MTU_DISCOVER {PmtuMode}, mtu {Mtu}";
}

/// <summary>Sends of the given lengths, all but the last with MSG_MORE, under IP_MTU_DISCOVER <see cref="PmtuMode"/>
/// (WANT or DO) with <see cref="OptionsLength"/> bytes of IP options and device MTU <see cref="Mtu"/>.</summary>
public sealed record CorkedSends(long[] Lengths, int OptionsLength, int PmtuMode, int Mtu)
{
    public override string ToString() =>
        $"sends of [{string.Join(", ", Lengths)}] (MSG_MORE but the last), {OptionsLength} option bytes, IP_MTU_DISCOVER {PmtuMode}, mtu {Mtu}";
}

/// <summary>
/// EMSGSIZE comes exactly when a documented bound is crossed, in both profiles. The bounds are the text's, written
/// out here:
/// <list type="bullet">
/// <item>udp_sendmsg L499-500: a length above 65535 (0xFFFF), before anything else.</item>
/// <item>ip_append_data L833-836: cork.length + length above 0xFFFF - fragheaderlen, where fragheaderlen = 20 + options
/// (L830) and the first piece's length counts the 8-byte UDP header (L526): 65507 - options bytes of payload in all,
/// summed over the corked pieces. The failed append flushes every pending piece (L650-651), so the next send starts
/// a new datagram; the 0xFFFF check of udp_sendmsg returns before the cork is touched.</item>
/// <item>IP_PMTUDISC_DO: the datagram may not be fragmented (L1227-1228). 2.6 builds it and its push refuses it
/// when 20 + options + 8 + payload exceeds the MTU; current kernels refuse it in ip_append_data with the MTU in
/// place of 0xFFFF (and do the same for IP_PMTUDISC_PROBE and INTERFACE).</item>
/// </list>
/// </summary>
public class LimitLaws
{
    private static Profile[] Profiles => [Profile.Spec, Profile.Linux];
    private const int IpHeader = 20;
    private const int UdpHeader = 8;
    private const int MaxIpLength = 0xFFFF;

    [Property(MaxTest = 500, Arbitrary = [typeof(LimitArbitraries)])]
    [Trait("clause", "udp_sendmsg.len_over_0xffff")]
    [Trait("clause", "ip_append_data.emsgsize_total")]
    [Trait("clause", "udp_sendmsg.header_len")]
    public Property A_send_fails_with_EMSGSIZE_exactly_when_its_length_passes_65535_or_its_datagram_passes_65535_bytes(SingleSend send)
    {
        var verdict = new Verdict();
        foreach (var profile in Profiles)
        {
            var session = Setup(profile, send.Mtu, send.OptionsLength, send.PmtuMode, verdict);
            if (session is null) continue;
            var outcome = session.SendLength(send.Length);
            var clause = send.Length > MaxIpLength ? ClauseId.LenOver0xFFFF
                : IpHeader + send.OptionsLength + UdpHeader + send.Length > MaxIpLength ? ClauseId.EmsgsizeTotal
                : null;
            Expect(verdict, profile, "the send", outcome, clause, send.Length);
            if (clause is null)
                verdict.Require(outcome.Datagrams.Count == 1 && outcome.Datagrams[0].Data.Length == send.Length,
                    () => $"{profile.Name}: {outcome.Datagrams.Count} datagrams for {send.Length} bytes");
        }
        return verdict.ToProperty();
    }

    [Property(MaxTest = 500, Arbitrary = [typeof(LimitArbitraries)])]
    [Trait("clause", "ip_append_data.emsgsize_total")]
    [Trait("clause", "udp_sendmsg.length_accumulates")]
    [Trait("clause", "udp_sendmsg.append_error_flush")]
    [Trait("clause", "udp_sendmsg.len_over_0xffff")]
    [Trait("clause", "udp_sendmsg.corkreq")]
    [Trait("clause", "ip_push.local_fragment")]
    public Property Corked_sends_fail_with_EMSGSIZE_exactly_when_their_running_total_crosses_the_bound(CorkedSends sends)
    {
        var verdict = new Verdict();
        foreach (var profile in Profiles)
        {
            var linux = profile == Profile.Linux;
            var session = Setup(profile, sends.Mtu, sends.OptionsLength, sends.PmtuMode, verdict);
            if (session is null) continue;
            var headerLength = IpHeader + sends.OptionsLength;
            // The bound on cork.length: 0xFFFF less the headers; current kernels under DO take the MTU instead.
            var bound = (linux && sends.PmtuMode == SocketOption.PmtuDo ? sends.Mtu : MaxIpLength) - headerLength;
            long pending = -1; // cork.length of the pending datagram (UDP header included); -1: nothing pending
            for (var i = 0; i < sends.Lengths.Length && verdict.Ok; i++)
            {
                var length = sends.Lengths[i];
                var last = i == sends.Lengths.Length - 1;
                var outcome = session.SendLength(length, last ? MsgFlags.None : MsgFlags.More);
                var what = $"send {i} of {length} bytes with {(pending < 0 ? "nothing" : pending + " bytes")} pending";
                if (length > MaxIpLength)
                {
                    Expect(verdict, profile, what, outcome, ClauseId.LenOver0xFFFF, length);
                    continue; // the cork is untouched
                }
                var total = (pending < 0 ? UdpHeader : pending) + length;
                if (total > bound)
                {
                    Expect(verdict, profile, what, outcome, ClauseId.EmsgsizeTotal, length);
                    pending = -1; // udp_flush_pending_frames
                    continue;
                }
                if (!last)
                {
                    Expect(verdict, profile, what, outcome, null, length);
                    pending = total;
                    continue;
                }
                // The datagram is pushed: 2.6 under DO refuses it now if it does not fit the MTU.
                var refused = !linux && sends.PmtuMode == SocketOption.PmtuDo && headerLength + total > sends.Mtu;
                Expect(verdict, profile, what, outcome, refused ? ClauseId.LocalFragment : null, length);
                if (!refused)
                    verdict.Require(outcome.Datagrams.Count == 1 && UdpHeader + outcome.Datagrams[0].Data.Length == total,
                        () => $"{profile.Name}: the pushed datagram holds {outcome.Datagrams.Select(d => UdpHeader + d.Data.Length).FirstOrDefault()} bytes, expected {total}");
            }
        }
        return verdict.ToProperty();
    }

    [Property(MaxTest = 500, Arbitrary = [typeof(LimitArbitraries)])]
    [Trait("clause", "ip_append_data.emsgsize_total")]
    [Trait("clause", "ip_push.local_fragment")]
    [Trait("clause", "ip_append_data.cork_init")]
    public Property Under_a_mode_that_keeps_DF_a_send_fails_with_EMSGSIZE_exactly_when_its_datagram_exceeds_the_MTU(DfSend send)
    {
        var verdict = new Verdict();
        foreach (var profile in Profiles)
        {
            var linux = profile == Profile.Linux;
            var session = Setup(profile, send.Mtu, send.OptionsLength, send.PmtuMode, verdict);
            if (session is null) continue;
            var mode = !linux && send.PmtuMode > SocketOption.PmtuDo ? SocketOption.PmtuWant : send.PmtuMode;
            var datagram = IpHeader + send.OptionsLength + UdpHeader + send.Length;
            var keepsDf = linux ? mode is SocketOption.PmtuDo or SocketOption.PmtuProbe or SocketOption.PmtuInterface : mode == SocketOption.PmtuDo;
            string? clause = null;
            if (keepsDf && datagram > send.Mtu) clause = linux ? ClauseId.EmsgsizeTotal : ClauseId.LocalFragment;
            var outcome = session.SendLength(send.Length);
            Expect(verdict, profile, $"mode {mode}, datagram of {datagram} bytes", outcome, clause, send.Length);
        }
        return verdict.ToProperty();
    }

    /// <summary>A bound socket on tun0 with the given MTU, options and mode. 2.6 refuses modes above DO (EINVAL); the
    /// socket then stays in WANT.</summary>
    private static Session? Setup(Profile profile, int mtu, int optionsLength, int mode, Verdict verdict)
    {
        var session = Session.Open(Hosts.Tun0(mtu), profile);
        if (optionsLength > 0)
        {
            // NOPs, then an END: options the compiler passes unchanged.
            var options = Enumerable.Repeat((byte)1, optionsLength - 1).Append((byte)0).ToArray();
            var set = session.SetBytes(SocketOption.SolIp, SocketOption.IpOptions, options);
            if (set.Kind != OutcomeKind.Value) { verdict.Fail($"{profile.Name}: IP_OPTIONS: {set}"); return null; }
        }
        var setMode = session.SetInt(SocketOption.SolIp, SocketOption.IpMtuDiscover, mode);
        var accepted = profile == Profile.Linux ? mode <= SocketOption.PmtuOmit : mode <= SocketOption.PmtuDo;
        if (accepted != (setMode.Kind == OutcomeKind.Value) || (!accepted && !setMode.IsError(Errno.EINVAL)))
        {
            verdict.Fail($"{profile.Name}: IP_MTU_DISCOVER {mode}: {setMode}");
            return null;
        }
        return session;
    }

    /// <summary>EMSGSIZE decided by <paramref name="clause"/> with nothing sent, or (null) success returning the
    /// length.</summary>
    private static void Expect(Verdict verdict, Profile profile, string what, Outcome outcome, string? clause, long length)
    {
        if (clause is null)
            verdict.Require(outcome.Kind == OutcomeKind.Value && outcome.Value == length,
                () => $"{profile.Name}: {what}: {outcome}, expected {length}");
        else
            verdict.Require(outcome.IsError(Errno.EMSGSIZE) && outcome.Clause == clause && outcome.Datagrams.Count == 0,
                () => $"{profile.Name}: {what}: {outcome}, expected EMSGSIZE [{clause}] with nothing sent");
    }
}

public static class LimitArbitraries
{
    private static Gen<int> OptionsLength() => Gen.Frequency((1, Gen.Constant(0)), (3, Gen.Choose(1, 10).Select(w => w * 4)));

    /// <summary>Lengths around 65535 and around 65507 - options, anywhere in 0-70000, and far beyond.</summary>
    private static Gen<long> Length(int optionsLength) => Gen.Frequency(
        (3, Gen.Choose(-3, 3).Select(d => (long)(65535 + d))),
        (3, Gen.Choose(-3, 3).Select(d => (long)(65507 - optionsLength + d))),
        (3, Gen.Choose(0, 70000).Select(n => (long)n)),
        (1, Gen.Elements(0L, 65536L, 1L << 20, int.MaxValue)));

    private static Gen<int> Mtu() => Gen.Frequency((2, Gen.Elements(68, 576, 1500, 9000, 65535)), (1, Gen.Choose(68, 65535)));

    /// <summary>Single sends in modes that let the datagram be fragmented (DONT, WANT; OMIT in current kernels; 2.6
    /// refuses OMIT and stays in WANT).</summary>
    public static Arbitrary<SingleSend> SingleSends() => Arb.From(
        from options in OptionsLength()
        from length in Length(options)
        from mode in Gen.Elements(SocketOption.PmtuDont, SocketOption.PmtuWant, SocketOption.PmtuOmit)
        // The MTU does not enter these bounds; MTUs below 576 would only make the 64 KiB datagrams slow to build.
        from mtu in Gen.Frequency((2, Gen.Elements(576, 1500, 9000, 65535)), (1, Gen.Choose(576, 65535)))
        select new SingleSend(length, options, mode, mtu));

    /// <summary>Sends in every mode 0-5 whose datagram is within a few bytes of the MTU, or anywhere up to twice it.</summary>
    public static Arbitrary<DfSend> DfSends() => Arb.From(
        from options in OptionsLength()
        from mode in Gen.Choose(0, 5)
        from mtu in Mtu()
        from length in Gen.Frequency(
            (3, Gen.Choose(-3, 3).Select(d => mtu - 28 - options + d)),
            (2, Gen.Choose(0, 2 * mtu)))
        select new DfSend(Math.Clamp(length, 0, 65507 - options), options, mode, mtu));

    public static Arbitrary<CorkedSends> Corked()
    {
        // Pieces whose running total lands near the bound: about 65507 - options split in 1-5 pieces, nudged.
        var gen =
            from options in OptionsLength()
            from mode in Gen.Elements(SocketOption.PmtuWant, SocketOption.PmtuDo)
            from mtu in Gen.Frequency((1, Gen.Elements(576, 1500, 9000)), (1, Gen.Choose(68, 65535)))
            from count in Gen.Choose(1, 6)
            from target in Gen.Frequency(
                (3, Gen.Choose(-3, 3).Select(d => 65507 - options + d)),
                (1, Gen.Choose(-3, 3).Select(d => mtu - 28 - options + d)),
                (1, Gen.Choose(0, 100000)))
            from cuts in Gen.ArrayOf(Gen.Choose(0, Math.Max(target, 0)), count - 1)
            from huge in Gen.Frequency((5, Gen.Constant(-1)), (1, Gen.Choose(0, count - 1)))
            select new CorkedSends(Pieces(Math.Max(target, 0), cuts, huge), options, mode, mtu);
        return Arb.From(gen);
    }

    private static long[] Pieces(int total, int[] cuts, int huge)
    {
        var points = cuts.Order().ToList();
        var pieces = new List<long>();
        var start = 0;
        foreach (var point in points) { pieces.Add(point - start); start = point; }
        pieces.Add(total - start);
        if (huge >= 0) pieces[huge] = 65536 + huge;
        return pieces.ToArray();
    }
}
