using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Xunit;
using Outcome = Udpconf.Reference.Outcome;

namespace Udpconf.Properties.Laws;

/// <summary>
/// One datagram of <see cref="PayloadLength"/> bytes sent from 192.0.2.1:5000 to 198.51.100.7:9 over tun0 with device
/// MTU <see cref="Mtu"/>, through the default route with MTU metric <see cref="RouteMtu"/> (null: none, the path MTU
/// is the device's), locked when <see cref="MtuLocked"/>, with IP_OPTIONS <see cref="Options"/> and IP_MTU_DISCOVER
/// <see cref="PmtuMode"/>.
/// </summary>
public sealed record FragmentationCase(int PayloadLength, int Mtu, int? RouteMtu, bool MtuLocked, OptionsCase Options, int PmtuMode, int Seed)
{
    public override string ToString() =>
        $"{PayloadLength} bytes, device mtu {Mtu}, route mtu {RouteMtu?.ToString() ?? "none"}{(MtuLocked ? " locked" : "")}, {Options}, IP_MTU_DISCOVER {PmtuMode}";
}

/// <summary>
/// How the send path cuts a datagram into IP fragments (ip_append_data L830-972, ip_push_pending_frames L1223-1260),
/// for any payload length, link MTU (68-65535), path MTU, IP options (0-40 bytes) and IP_MTU_DISCOVER mode: the
/// fragments reassemble into the UDP header and payload, every fragment but the last is maxfraglen and none exceeds
/// the MTU, offsets run contiguously from 0 with MF on all but the last, DF follows the mode, all share one
/// identification, and options appear in full in the first fragment and only the copied ones after.
/// </summary>
/// <remarks>
/// What each case must give is worked out here from the text, not from the model:
/// <list type="bullet">
/// <item>The MTU data is laid out against (cork.fragsize): dst_mtu of the route, the path MTU (L810). Current
/// kernels take the device MTU instead for IP_PMTUDISC_PROBE and later modes (ip_sk_use_pmtu; Profile.MaxPmtuMode).</item>
/// <item>fragheaderlen = 20 + options, maxfraglen = ((mtu - fragheaderlen) &amp; ~7) + fragheaderlen (L830-831); data
/// fills each fragment up to maxfraglen while the rest does not fit the MTU (L872-874, L893-895).</item>
/// <item>DF (L1233-1236): IP_PMTUDISC_DO, or the datagram fits dst_mtu and the mode is WANT on a route whose MTU is
/// not locked (ip_dont_fragment). Current kernels also set it for IP_PMTUDISC_PROBE.</item>
/// <item>Refusals: 2.6 builds an oversized datagram and refuses it under DO, which may not be fragmented (L1227-1228:
/// EMSGSIZE from the push); current kernels refuse it in ip_append_data for DO, PROBE and INTERFACE with the MTU as
/// the bound (Profile.StrictPmtuAtAppend). 2.6 accepts IP_MTU_DISCOVER 0-2 only: 3-5 are EINVAL.</item>
/// </list>
/// </remarks>
public class FragmentationLaws
{
    private static Profile[] Profiles => [Profile.Spec, Profile.Linux];

    // The helpers come before the laws: spec-map.md credits the ClauseId constants found after a law's attributes to
    // that law.

    /// <summary>What one profile did with the case.</summary>
    private sealed record Run(Profile Profile, int Mode, int LayoutMtu, byte[] Payload, IReadOnlyList<RawPacket> Packets);

    private static string Summary(IReadOnlyList<int> lengths) =>
        lengths.Count <= 6 ? string.Join(", ", lengths) : $"{string.Join(", ", lengths.Take(3))}, … ({lengths.Count}), {string.Join(", ", lengths.TakeLast(2))}";

    /// <summary>Runs the case in both profiles. Where the text says the datagram is refused, the law checks that it
    /// is (and nothing leaves); otherwise it checks that the send succeeds with one datagram and applies
    /// <paramref name="law"/> to its fragments.</summary>
    private static Property ForEachProfile(FragmentationCase c, Action<Run, Verdict> law)
    {
        var verdict = new Verdict();
        foreach (var profile in Profiles)
        {
            var linux = profile == Profile.Linux;
            var session = Session.Open(Hosts.Tun0(c.Mtu, c.RouteMtu, mtuLocked: c.MtuLocked), profile);
            if (c.Options.Length > 0)
            {
                var set = session.SetBytes(SocketOption.SolIp, SocketOption.IpOptions, c.Options.Given);
                if (set.Kind != OutcomeKind.Value) { verdict.Fail($"{profile.Name}: IP_OPTIONS: {set}"); continue; }
            }
            var mode = c.PmtuMode;
            var setMode = session.SetInt(SocketOption.SolIp, SocketOption.IpMtuDiscover, mode);
            if (!linux && mode > SocketOption.PmtuDo)
            {
                // 2.6 knows DONT, WANT and DO only; the socket keeps its default, WANT.
                verdict.Require(setMode.IsError(Errno.EINVAL), () => $"spec: IP_MTU_DISCOVER {mode}: {setMode}, expected EINVAL");
                mode = SocketOption.PmtuWant;
            }
            else if (setMode.Kind != OutcomeKind.Value) { verdict.Fail($"{profile.Name}: IP_MTU_DISCOVER {mode}: {setMode}"); continue; }

            var pathMtu = c.RouteMtu ?? c.Mtu;
            var layoutMtu = linux && mode >= SocketOption.PmtuProbe ? c.Mtu : pathMtu;
            var headerLength = 20 + c.Options.Length;
            var total = headerLength + 8 + c.PayloadLength;
            var refusedAtAppend = linux && mode is SocketOption.PmtuDo or SocketOption.PmtuProbe or SocketOption.PmtuInterface && total > layoutMtu;
            var refusedAtPush = !linux && mode == SocketOption.PmtuDo && total > layoutMtu;

            var payload = Payload.Random(c.PayloadLength, c.Seed);
            var outcome = session.SendTo(payload);
            if (refusedAtAppend || refusedAtPush)
            {
                var clause = refusedAtAppend ? ClauseId.EmsgsizeTotal : ClauseId.LocalFragment;
                verdict.Require(outcome.IsError(Errno.EMSGSIZE) && outcome.Clause == clause && outcome.Datagrams.Count == 0,
                    () => $"{profile.Name}: {total} bytes over MTU {layoutMtu} in mode {mode}: {outcome}, expected EMSGSIZE [{clause}] and nothing sent");
                continue;
            }
            if (outcome.Kind != OutcomeKind.Value || outcome.Value != c.PayloadLength || outcome.Datagrams.Count != 1)
            {
                verdict.Fail($"{profile.Name}: {outcome} with {outcome.Datagrams.Count} datagrams, expected {c.PayloadLength} and one datagram");
                continue;
            }
            var packets = session.Packets(outcome, c.Seed).Select(RawPacket.Read).ToList();
            law(new Run(profile, mode, layoutMtu, payload, packets), verdict);
        }
        return verdict.ToProperty();
    }

    [Property(MaxTest = 300, Arbitrary = [typeof(FragmentationArbitraries)])]
    [Trait("clause", "ip_append_data.fragment_layout")]
    [Trait("clause", "ip_push.coalesce")]
    [Trait("clause", "ip_push.local_fragment")]
    public Property Fragments_reassemble_into_the_UDP_header_and_payload_that_were_sent(FragmentationCase c) =>
        ForEachProfile(c, (run, verdict) =>
        {
            var transport = RawPacket.Reassemble(run.Packets, out var problem);
            if (transport is null) { verdict.Fail($"{run.Profile.Name}: {problem}"); return; }
            var header = transport[..Math.Min(8, transport.Length)];
            verdict
                .Require(transport.Length == 8 + c.PayloadLength, () => $"{run.Profile.Name}: reassembled {transport.Length} bytes for {c.PayloadLength} of payload")
                .Require(transport.Length >= 8 && ((header[0] << 8) | header[1]) == Session.LocalPort
                         && ((header[2] << 8) | header[3]) == Session.RemotePort && ((header[4] << 8) | header[5]) == 8 + c.PayloadLength,
                    () => $"{run.Profile.Name}: UDP header {Convert.ToHexString(header)}")
                .Require(transport.Length >= 8 && transport.AsSpan(8).SequenceEqual(run.Payload), () => $"{run.Profile.Name}: the payload differs")
                .Require(transport.Length >= 8 && Rfc1071.ReceiverSum(Hosts.Local, Hosts.Remote, transport.Length, transport) == 0xFFFF,
                    () => $"{run.Profile.Name}: the UDP checksum does not verify");
        });

    [Property(MaxTest = 300, Arbitrary = [typeof(FragmentationArbitraries)])]
    [Trait("clause", "ip_append_data.fraglen")]
    [Trait("clause", "ip_append_data.fragment_layout")]
    [Trait("clause", "ip_append_data.cork_init")]
    public Property Every_fragment_but_the_last_carries_maxfraglen_and_none_exceeds_the_MTU(FragmentationCase c) =>
        ForEachProfile(c, (run, verdict) =>
        {
            var headerLength = 20 + c.Options.Length;
            var maxData = ((run.LayoutMtu - headerLength) & ~7);
            // The lengths the text's loop gives: maxfraglen while the rest does not fit the MTU, then the rest.
            var expected = new List<int>();
            for (var rest = 8 + c.PayloadLength; ; )
            {
                if (rest <= run.LayoutMtu - headerLength) { expected.Add(rest); break; }
                expected.Add(maxData);
                rest -= maxData;
            }
            var actual = run.Packets.Select(p => p.Payload.Length).ToList();
            verdict
                .Require(actual.SequenceEqual(expected), () => $"{run.Profile.Name}: fragment payloads [{Summary(actual)}], expected [{Summary(expected)}] (layout MTU {run.LayoutMtu})")
                .Require(run.Packets.All(p => p.TotalLength <= run.LayoutMtu), () => $"{run.Profile.Name}: a fragment exceeds the MTU {run.LayoutMtu}")
                .Require(run.Packets.SkipLast(1).All(p => p.Payload.Length % 8 == 0), () => $"{run.Profile.Name}: a non-final fragment's payload is not a multiple of 8");
        });

    [Property(MaxTest = 300, Arbitrary = [typeof(FragmentationArbitraries)])]
    [Trait("clause", "ip_append_data.fragment_layout")]
    [Trait("clause", "ip_push.header")]
    public Property Offsets_run_contiguously_from_0_and_MF_is_set_on_all_but_the_last_fragment(FragmentationCase c) =>
        ForEachProfile(c, (run, verdict) =>
        {
            var offset = 0;
            for (var i = 0; i < run.Packets.Count; i++)
            {
                var p = run.Packets[i];
                var last = i == run.Packets.Count - 1;
                var expectedOffset = offset;
                verdict
                    .Require(p.FragmentOffset == expectedOffset, () => $"{run.Profile.Name}: fragment {i} at offset {p.FragmentOffset}, expected {expectedOffset}")
                    .Require(p.MoreFragments == !last, () => $"{run.Profile.Name}: fragment {i} of {run.Packets.Count} has MF={p.MoreFragments}")
                    .Require(!p.Reserved, () => $"{run.Profile.Name}: fragment {i} has the reserved flag")
                    .Require(p.TotalLength == p.HeaderLength + p.Payload.Length, () => $"{run.Profile.Name}: fragment {i} total length {p.TotalLength}")
                    .Require(p.HeaderSumsToFfff, () => $"{run.Profile.Name}: fragment {i}'s header checksum does not verify");
                offset += p.Payload.Length;
            }
        });

    [Property(MaxTest = 300, Arbitrary = [typeof(FragmentationArbitraries)])]
    [Trait("clause", "ip_push.df")]
    [Trait("clause", "ip_push.local_fragment")]
    [Trait("clause", "ip_append_data.emsgsize_total")]
    public Property DF_is_set_on_every_fragment_exactly_as_the_PMTU_mode_and_the_path_MTU_decide(FragmentationCase c) =>
        ForEachProfile(c, (run, verdict) =>
        {
            var mode = run.Mode;
            var total = 20 + c.Options.Length + 8 + c.PayloadLength;
            var pathMtu = c.RouteMtu ?? c.Mtu;
            var wantsDf = mode == SocketOption.PmtuDo || (mode == SocketOption.PmtuWant && !c.MtuLocked && total <= pathMtu);
            if (run.Profile == Profile.Linux) wantsDf |= mode == SocketOption.PmtuProbe;
            verdict.Require(run.Packets.All(p => p.DontFragment == wantsDf),
                () => $"{run.Profile.Name}: DF [{string.Join(",", run.Packets.Select(p => p.DontFragment ? 1 : 0).Distinct())}], expected {wantsDf} (mode {mode}, total {total}, path MTU {pathMtu}{(c.MtuLocked ? " locked" : "")})");
        });

    [Property(MaxTest = 300, Arbitrary = [typeof(FragmentationArbitraries)])]
    [Trait("clause", "ip_push.header")]
    [Trait("clause", "ip_push.coalesce")]
    public Property All_fragments_of_a_datagram_share_one_identification_and_header(FragmentationCase c) =>
        ForEachProfile(c, (run, verdict) =>
        {
            var first = run.Packets[0];
            verdict.Require(run.Packets.All(p => p.Identification == first.Identification && p.Ttl == first.Ttl && p.Tos == first.Tos
                                                 && p.Protocol == 17 && p.Version == 4
                                                 && p.Source == Hosts.Local && p.Destination == Hosts.Remote),
                () => $"{run.Profile.Name}: identifications [{string.Join(",", run.Packets.Select(p => p.Identification).Distinct())}], " +
                      $"TTLs [{string.Join(",", run.Packets.Select(p => p.Ttl).Distinct())}], protocols [{string.Join(",", run.Packets.Select(p => p.Protocol).Distinct())}]");
        });

    [Property(MaxTest = 300, Arbitrary = [typeof(FragmentationArbitraries)])]
    [Trait("clause", "ip_push.options")]
    [Trait("clause", "udp_sendmsg.sockopt_ip_options")]
    [Trait("clause", "ip_append_data.fraglen")]
    public Property The_first_fragment_carries_the_options_and_later_fragments_only_the_copied_ones(FragmentationCase c) =>
        ForEachProfile(c, (run, verdict) =>
        {
            for (var i = 0; i < run.Packets.Count; i++)
            {
                var p = run.Packets[i];
                var expected = i == 0 ? c.Options.FirstFragment : c.Options.LaterFragments;
                var index = i;
                verdict
                    .Require(p.HeaderLength == 20 + expected.Length, () => $"{run.Profile.Name}: fragment {index} IHL gives {p.HeaderLength} bytes, expected {20 + expected.Length}")
                    .Require(p.Options.AsSpan().SequenceEqual(expected),
                        () => $"{run.Profile.Name}: fragment {index} options {Convert.ToHexString(p.Options)}, expected {Convert.ToHexString(expected)}");
                if (!verdict.Ok) break;
            }
        });
}

public static class FragmentationArbitraries
{
    public static Arbitrary<FragmentationCase> Cases()
    {
        var gen =
            from mtu in Gen.Frequency(
                (2, Gen.Elements(68, 69, 75, 76, 576, 1006, 1500, 9000, 65535)),
                (3, Gen.Choose(68, 2000)),
                (1, Gen.Choose(68, 65535)))
            from routeMtu in Gen.Frequency((3, Gen.Constant<int?>(null)), (1, Gen.Choose(68, mtu).Select(m => (int?)m)))
            from locked in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
            from options in OptionsCase.Generate()
            from mode in Gen.Choose(0, 5)
            from length in Length(Math.Min(mtu, routeMtu ?? mtu), options.Length)
            from seed in Gen.Choose(0, int.MaxValue)
            select new FragmentationCase(length, mtu, routeMtu, locked, options, mode, seed);
        return Arb.From(gen);
    }

    /// <summary>Payload lengths from 0 to 65507 less the options, many of them around the point where the datagram
    /// stops fitting the MTU.</summary>
    private static Gen<int> Length(int mtu, int optionsLength)
    {
        var max = 65507 - optionsLength;
        var fits = mtu - 28 - optionsLength;
        return Gen.Frequency(
            (6, Gen.Choose(0, 3000)),
            (2, Gen.Choose(-2, 2).Select(d => Math.Clamp(fits + d, 0, max))),
            (1, Gen.Choose(0, max)),
            (1, Gen.Elements(0, 1, 7, 8, max - 1, max)));
    }
}
