using System.Buffers.Binary;
using Udpconf.Reference;
using Udpconf.Reference.Host;
using Udpconf.Suite;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Model;
using Udpconf.TestSupport;
using Xunit;

namespace Udpconf.Tests.Verdicts;

/// <summary>
/// The RFC-level judge (<see cref="RfcRules"/>): packets the model sends hold every rule, and each rule finds the
/// packet that breaks it, the header checksums of the broken packet recomputed (with the tests' own RFC 1071 sum) so
/// that one rule at a time is broken. Then over the whole case library: the model's findings are exactly the
/// situations where Linux itself breaks an RFC, each measured on the live kernel (kernel-verdicts.json records them).
/// </summary>
public class RfcRulesTests
{
    private static HostConfig Host => HostConfig.Default;

    /// <summary>The packets the model sends for a datagram of <paramref name="length"/> bytes to 198.51.100.7:9
    /// (fragmented above 1472).</summary>
    private static List<byte[]> Sent(int length, Action<Sim>? before = null)
    {
        var sim = Sim.WithSocket(Profile.Linux);
        before?.Invoke(sim);
        var outcome = sim.SendTo("s", length, Ipv4Address.Parse("198.51.100.7"));
        Assert.Equal(OutcomeKind.Value, outcome.Kind);
        return sim.Packets(outcome).Select(p => p.ToArray()).ToList();
    }

    private static IReadOnlyList<RfcFinding> Check(IEnumerable<byte[]> packets, string link = "tun0") =>
        RfcRules.Check(packets.Select(p => new ObservedPacket(link, p)).ToArray(), Host);

    /// <summary>The header checksum made right again after an edit, so that only the edited rule is broken.</summary>
    private static byte[] Fix(byte[] packet)
    {
        packet[10] = packet[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Rfc1071.Checksum(packet.AsSpan(0, (packet[0] & 0x0F) * 4)));
        return packet;
    }

    private static string Rules(IEnumerable<RfcFinding> findings) => string.Join(" ", findings.Select(f => $"{f.Rule}@{f.Packet}"));

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(1472)]
    [InlineData(4000)]
    [InlineData(65507)]
    public void What_the_model_sends_holds_every_rule(int length) => Assert.Empty(Check(Sent(length)));

    [Fact]
    public void A_bad_header_checksum_is_found()
    {
        var packet = Sent(10)[0];
        packet[10] ^= 1;
        Assert.Equal("rfc791.header_checksum@1", Rules(Check([packet])));
    }

    [Fact]
    public void A_total_length_that_is_not_the_packets_is_found()
    {
        var packet = Sent(10)[0];
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)(packet.Length + 4));
        Assert.Contains("rfc791.header@1", Rules(Check([Fix(packet)])));
    }

    [Fact]
    public void The_reserved_flag_is_found()
    {
        var packet = Sent(10)[0];
        packet[6] |= 0x80;
        Assert.Equal("rfc791.reserved_flag@1", Rules(Check([Fix(packet)])));
    }

    [Fact]
    public void TTL_zero_is_found()
    {
        var packet = Sent(10)[0];
        packet[8] = 0;
        Assert.Equal("rfc1122.ttl@1", Rules(Check([Fix(packet)])));
    }

    [Theory]
    [InlineData("255.255.255.255", 12, "rfc1122.source_address")]
    [InlineData("192.0.2.255", 12, "rfc1122.source_address")] // the subnet broadcast of tun0's 192.0.2.1/24
    [InlineData("224.0.0.1", 12, "rfc1122.source_address")]
    [InlineData("240.0.0.1", 12, "rfc1122.source_address")]
    [InlineData("127.0.0.1", 12, "rfc1122.source_address")]
    [InlineData("0.0.0.0", 16, "rfc1122.destination_address")]
    [InlineData("127.0.0.2", 16, "rfc1122.destination_address")]
    public void Addresses_a_host_must_not_send_are_found(string address, int offset, string rule)
    {
        var packet = Sent(0)[0];
        Ipv4Address.Parse(address).Write(packet.AsSpan(offset));
        // The UDP checksum covers the addresses: zero (no checksum) keeps it out of the way.
        packet[26] = packet[27] = 0;
        Assert.Equal($"{rule}@1", Rules(Check([Fix(packet)])));
    }

    [Fact]
    public void Loopback_addresses_on_the_loopback_device_and_a_source_of_zero_are_not_findings()
    {
        var packet = Sent(0)[0];
        Ipv4Address.Parse("0.0.0.0").Write(packet.AsSpan(12));
        packet[26] = packet[27] = 0;
        Assert.Empty(Check([Fix(packet)]));
        // lo is never captured: what a stack sends to itself is not on the wire.
        var local = Sent(0)[0];
        Ipv4Address.Parse("127.0.0.1").Write(local.AsSpan(16));
        Assert.Empty(Check([Fix(local)], "lo"));
    }

    [Fact]
    public void Malformed_options_and_a_copied_option_missing_from_a_fragment_are_found()
    {
        Assert.Null(RfcRules.OptionProblem([1, 1, 0x94, 4, 0, 0, 0, 0])); // NOP NOP, router alert, End
        Assert.Contains("length 1", RfcRules.OptionProblem([7, 1, 0, 0]));
        Assert.Contains("past the header", RfcRules.OptionProblem([7, 39, 4, 0]));
        Assert.Contains("no length byte", RfcRules.OptionProblem([1, 1, 1, 7]));

        // Router alert (0x94) is a copied option: the model puts it in every fragment; one without it is found.
        var fragments = Sent(3000, sim => sim.SetIpOptions("s", [0x94, 4, 0, 0]));
        Assert.True(fragments.Count > 1);
        Assert.Empty(Check(fragments));
        var second = fragments[1];
        second[20] = second[21] = second[22] = second[23] = 1; // NOPs in place of the option
        Assert.Equal("rfc791.options@2", Rules(Check([fragments[0], Fix(second), .. fragments.Skip(2)])));
    }

    [Fact]
    public void Fragment_layout_breaks_are_found_and_a_lost_fragment_is_not()
    {
        var fragments = Sent(4000);
        Assert.Equal(3, fragments.Count);
        // A lost fragment is what a network may do too: not a finding, and the datagram is not judged as UDP.
        Assert.Empty(Check([fragments[0], fragments[2]]));

        // More Fragments on a length that is not a multiple of 8.
        var odd = fragments[0][..^3];
        BinaryPrimitives.WriteUInt16BigEndian(odd.AsSpan(2), (ushort)odd.Length);
        Assert.Contains("rfc791.fragments@1", Rules(Check([Fix(odd), fragments[1], fragments[2]])));

        // An overlap with other bytes.
        var overlap = (byte[])fragments[1].Clone();
        overlap[30] ^= 0xFF;
        var shifted = fragments[1][..20].Concat(overlap[20..]).ToArray();
        Assert.Contains("rfc791.fragments", Rules(Check([fragments[0], fragments[1], Fix(shifted), fragments[2]])));

        // A fragment past the end of the last one.
        var late = (byte[])fragments[1].Clone();
        var offset = (fragments[2][6] << 8 | fragments[2][7]) & 0x1FFF;
        BinaryPrimitives.WriteUInt16BigEndian(late.AsSpan(6), (ushort)(0x2000 | offset + 8));
        Assert.Contains("rfc791.fragments", Rules(Check([fragments[0], fragments[1], fragments[2], Fix(late)])));

        // A fragment that would end past 65535.
        var far = (byte[])fragments[1].Clone();
        BinaryPrimitives.WriteUInt16BigEndian(far.AsSpan(6), 0x2000 | 0x1FFF);
        Assert.Contains("rfc791.fragments@1", Rules(Check([Fix(far)])));
    }

    [Fact]
    public void UDP_length_and_checksum_are_judged_on_the_reassembled_datagram()
    {
        var fragments = Sent(4000);
        var last = (byte[])fragments[2].Clone();
        last[^1] ^= 0x55; // the datagram's last byte: only the UDP checksum over all fragments can tell
        Assert.Equal("rfc768.checksum@1", Rules(Check([fragments[0], fragments[1], last])));

        var single = Sent(100)[0];
        BinaryPrimitives.WriteUInt16BigEndian(single.AsSpan(24), 100); // the UDP length field: 108 is right
        Assert.Contains("rfc768.length@1", Rules(Check([single])));

        var zero = Sent(100)[0];
        zero[26] = zero[27] = 0; // no checksum: allowed
        Assert.Empty(Check([zero]));
    }

    [Fact]
    public void The_pseudo_header_sum_of_checksum_offload_is_allowed_only_where_the_device_finishes_it()
    {
        var offload = Host with { Interfaces = [.. Host.Interfaces.Select(i => i.Name == "tun0" ? i with { ChecksumOffload = true } : i)] };
        var sim = Sim.WithSocket(Profile.Linux, offload);
        var outcome = sim.SendTo("s", 100, Ipv4Address.Parse("198.51.100.7"));
        var packet = sim.Packets(outcome)[0].ToArray();
        Assert.Empty(RfcRules.Check([new ObservedPacket("tun0", packet)], offload));
        Assert.Equal("rfc768.checksum@1", Rules(RfcRules.Check([new ObservedPacket("tun0", packet)], Host)));
    }

    /// <summary>Where the model (so Linux, when the live kernel's record agrees) breaks an RFC itself: each line is a
    /// case measured on the live kernel, explained in reports/README.md. A new finding fails this test until it is
    /// looked at; a rendering bug in the model (a wrong checksum, a bad length) would be one.</summary>
    private static readonly string[] LinuxFindings =
    [
        "linux ip_push/record_route_redirected_source_linux rfc1122.destination_address",
        "linux ip_push/record_route_redirected_source_linux rfc1122.source_address",
        "linux local_delivery/bound_device_linux rfc1122.destination_address",
        "linux multicast/all_hosts_ttl_zero_linux rfc1122.ttl",
        "linux multicast/loop_all_ttl_zero_linux rfc1122.ttl",
        "linux multicast/ttl_zero_joined_while_corked_linux rfc1122.ttl",
        "linux udp_cork/connect_while_pending_linux rfc1122.destination_address",
        "linux udp_cork/connect_while_pending_linux rfc1122.source_address",
        "linux udp_sendmsg/onlink_strict_route rfc768.checksum",
        "linux udp_sendmsg/source_route rfc768.checksum",
        "spec ip_append_data/probe rfc768.length",
        "spec udp_cork/probe_length_counted_spec rfc768.length",
    ];

    [Fact]
    public void On_the_model_only_the_known_breaks_of_Linux_and_of_the_notes_are_found_and_the_kernel_record_shows_the_same()
    {
        var root = SpecMap.FindRoot(AppContext.BaseDirectory)!;
        var cases = CaseLibrary.Load(CaseLibrary.DefaultFolder(root));
        var results = CaseRunner.RunAll(cases, [Profile.Spec, Profile.Linux], p => new ModelTarget(p), TestContext.Current.CancellationToken).ToArray();
        var found = results.SelectMany(r => r.RfcFindings.Select(f => $"{r.Profile} {r.CaseId} {f.Finding.Rule}")).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(LinuxFindings, found);

        var kernel = KernelVerdicts.Read(root);
        Assert.NotNull(kernel);
        // The record holds the kernel's runs under both profiles: the packets are the kernel's either way.
        var recorded = kernel.Cases.Where(v => v.Profile == Profile.Linux.Name)
            .SelectMany(v => (v.Rfc ?? []).Select(f => $"{v.Profile} {v.Case} {f.Rule}")).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(LinuxFindings.Where(f => f.StartsWith("linux ", StringComparison.Ordinal)), recorded);
    }
}
