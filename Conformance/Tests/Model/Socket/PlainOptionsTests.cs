using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Socket;
using Udpconf.Reference.Symbols;
using Xunit;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Tests.Model.Socket;

/// <summary>
/// Options the send path does not read (catalog part 2, options.*), as measured on 6.18.44
/// (Conformance/cases/options/): their checks and what getsockopt reads back.
/// </summary>
public class PlainOptionsTests
{
    private static Sim Linux() => Sim.WithSocket(Profile.Linux);

    private static Outcome Set(Sim sim, int level, int name, byte[] value) =>
        sim.Run(new SetSockOptOp(Fd.Named("s"), level, name, UserBuffer.Of(value), value.Length));

    private static string Get(Sim sim, int level, int name, int length = 4) =>
        Convert.ToHexString(sim.Run(new GetSockOptOp(Fd.Named("s"), level, name, length)).OptionValue!.Value.Span);

    [Theory]
    [Trait("clause", "options.flag")]
    [InlineData(SolSocket, 9)]
    [InlineData(SolSocket, 1)]
    [InlineData(SolUdp, 104)]
    public void A_socket_or_udp_flag_needs_an_int_and_reads_back_one_or_zero(int level, int name)
    {
        var sim = Linux();
        Assert.Equal("00000000", Get(sim, level, name));
        Expect.Value(sim.SetInt("s", level, name, 300), 0, ClauseId.OptionsFlag);
        Assert.Equal("01000000", Get(sim, level, name));
        Assert.Equal("01", Get(sim, level, name, 1));
        Expect.Error(Set(sim, level, name, [0]), Errno.EINVAL, ClauseId.OptionsFlag);
        Expect.Value(sim.SetInt("s", level, name, 0), 0);
        Assert.Equal("00000000", Get(sim, level, name));
    }

    [Fact]
    [Trait("clause", "options.flag")]
    public void An_ip_flag_reads_an_int_a_byte_or_nothing()
    {
        var sim = Linux();
        Expect.Value(Set(sim, SolIp, IpPktInfo, [1, 0]), 0, ClauseId.OptionsFlag);
        Assert.Equal("01000000", Get(sim, SolIp, IpPktInfo));
        Expect.Value(sim.Run(new SetSockOptOp(Fd.Named("s"), SolIp, IpPktInfo, UserBuffer.Of(new byte[] { 5, 0, 0, 0 }), 0)), 0);
        Assert.Equal("00000000", Get(sim, SolIp, IpPktInfo));
    }

    [Fact]
    [Trait("clause", "options.value")]
    public void Kept_values_have_their_own_starts_and_ranges()
    {
        var sim = Linux();
        Assert.Equal("01000000", Get(sim, SolSocket, 18));
        sim.SetInt("s", SolSocket, 18, 0);
        Assert.Equal("01000000", Get(sim, SolSocket, 18));
        sim.SetInt("s", SolSocket, 18, -1);
        Assert.Equal("FFFFFF7F", Get(sim, SolSocket, 18));
        Assert.Equal("FFFFFFFF", Get(sim, SolSocket, 42));
        Expect.Error(sim.SetInt("s", SolIp, 21, 256), Errno.EINVAL, ClauseId.OptionsValue);
        Expect.Error(sim.Run(new SetSockOptOp(Fd.Named("s"), SolIp, 21, UserBuffer.Of(new byte[] { 5 }), 0)), Errno.EINVAL, ClauseId.OptionsValue);
        Expect.Value(sim.SetInt("s", SolIp, 21, 255), 0, ClauseId.OptionsValue);
        Expect.Error(sim.SetInt("s", SolIp, 26, 2), Errno.EINVAL, ClauseId.OptionsValue);
        Expect.Error(sim.SetInt("s", SolUdp, 100, 1), Errno.ENOPROTOOPT, ClauseId.OptionsValue);
        Expect.Value(sim.SetInt("s", SolUdp, 100, 2), 0, ClauseId.OptionsValue);
        Assert.Equal("02000000", Get(sim, SolUdp, 100));
    }

    [Fact]
    [Trait("clause", "options.timestamp")]
    public void The_two_timestamp_options_are_one_switch()
    {
        var sim = Linux();
        sim.SetInt("s", SolSocket, 29, 1);
        Assert.Equal("01000000", Get(sim, SolSocket, 29));
        sim.SetInt("s", SolSocket, 35, 1);
        Assert.Equal("00000000", Get(sim, SolSocket, 29));
        Assert.Equal("01000000", Get(sim, SolSocket, 35));
        Expect.Value(sim.SetInt("s", SolSocket, 29, 0), 0, ClauseId.OptionsTimestamp);
        Assert.Equal("00000000", Get(sim, SolSocket, 35));
    }

    [Fact]
    [Trait("clause", "options.unsupported")]
    public void SO_PASSCRED_is_not_for_an_inet_socket()
    {
        var sim = Linux();
        Expect.Error(sim.SetInt("s", SolSocket, 16, 1), Errno.EOPNOTSUPP, ClauseId.OptionsUnsupported);
        Expect.Error(Set(sim, SolSocket, 16, [1]), Errno.EINVAL, ClauseId.OptionsUnsupported);
        Expect.Error(sim.Run(new GetSockOptOp(Fd.Named("s"), SolSocket, 34, 4)), Errno.EOPNOTSUPP, ClauseId.OptionsUnsupported);
    }

    [Fact]
    public void A_kept_option_changes_nothing_the_send_path_emits()
    {
        var plain = Linux();
        var set = Linux();
        foreach (var (level, name) in new[] { (SolSocket, 9), (SolIp, IpPktInfo), (SolUdp, 104), (SolSocket, 18) })
            Expect.Value(set.SetInt("s", level, name, 1), 0);
        Assert.Equal(plain.Packets(plain.SendTo("s", 3000, Hosts.Remote)), set.Packets(set.SendTo("s", 3000, Hosts.Remote)));
    }

    [Fact]
    [Trait("clause", "options.timeout")]
    public void Timeouts_read_back_as_bytes_when_whole_jiffies_on_every_build_else_in_jiffies_of_a_tick_rate_symbol()
    {
        var sim = Linux();
        byte[] Tv(long seconds, long micros) => [.. BitConverter.GetBytes(seconds), .. BitConverter.GetBytes(micros)];
        Expect.Value(Set(sim, SolSocket, 21, Tv(3, 0)), 0, ClauseId.OptionsTimeout);
        Assert.Equal(Convert.ToHexString(Tv(3, 0)), Get(sim, SolSocket, 21, 16));
        Expect.Error(Set(sim, SolSocket, 21, Tv(0, 1_000_000)), Errno.EDOM, ClauseId.OptionsTimeout);
        Expect.Error(Set(sim, SolSocket, 20, [1, 0, 0, 0, 0, 0, 0, 0]), Errno.EINVAL, ClauseId.OptionsTimeout);
        Expect.Value(Set(sim, SolSocket, 20, Tv(-5, 0)), 0);
        Assert.Equal(Convert.ToHexString(new byte[16]), Get(sim, SolSocket, 20, 16));
        Expect.Value(Set(sim, SolSocket, 67, Tv(0, 1)), 0);
        var reading = sim.Run(new GetSockOptOp(Fd.Named("s"), SolSocket, 67, 12));
        Expect.Value(reading, 12, ClauseId.OptionsTimeout);
        Assert.Null(reading.OptionValue);
        Assert.Equal(new TimeoutReading("HZ", 0, 1, 12), reading.SymbolicOption);
        Assert.Equal(SymbolKind.TickRate, sim.Model.Symbols.Single(s => s.Name == "HZ").Kind);
    }

    /// <summary>The bytes measured on 6.18.44 at HZ 250 (Conformance/cases/options/timeout_linux), and the same
    /// arithmetic at the other rates: DIV_ROUND_UP of the microseconds in jiffies, read back as whole jiffies; from
    /// LONG_MAX / HZ - 1 seconds on, for ever (zeros).</summary>
    [Theory]
    [Trait("clause", "options.timeout")]
    [InlineData(250, 0L, 1L, 0L, 4000L)]
    [InlineData(250, 0L, 4000L, 0L, 4000L)]
    [InlineData(250, 0L, 4001L, 0L, 8000L)]
    [InlineData(250, 0L, 999_999L, 1L, 0L)]
    [InlineData(250, 12L, 345_678L, 12L, 348_000L)]
    [InlineData(250, 36_893_488_147_419_100L, 999_999L, 36_893_488_147_419_101L, 0L)]
    [InlineData(250, 36_893_488_147_419_101L, 0L, 36_893_488_147_419_101L, 0L)]
    [InlineData(250, 36_893_488_147_419_102L, 0L, 0L, 0L)]
    [InlineData(1000, 0L, 1L, 0L, 1000L)]
    [InlineData(300, 0L, 1L, 0L, 3333L)]
    [InlineData(300, 0L, 999_999L, 1L, 3333L)]
    [InlineData(300, 0L, 20_000L, 0L, 23_333L)]
    [InlineData(100, 36_893_488_147_419_102L, 0L, 36_893_488_147_419_102L, 0L)]
    public void A_timeout_reads_back_in_whole_jiffies_of_the_tick_rate(int hz, long seconds, long micros, long readSeconds, long readMicros)
    {
        var bytes = new TimeoutReading("HZ", seconds, micros, 16).Render((ushort)hz);
        Assert.Equal((readSeconds, readMicros), (BitConverter.ToInt64(bytes, 0), BitConverter.ToInt64(bytes, 8)));
        Assert.Equal(bytes[..10], new TimeoutReading("HZ", seconds, micros, 10).Render((ushort)hz));
    }

    [Theory]
    [Trait("clause", "options.value")]
    [InlineData(0x10, 6)]
    [InlineData(0x08, 2)]
    [InlineData(0x1f, 4)]
    [InlineData(0x04, 0)]
    public void A_new_tos_sets_the_priority(int tos, int priority)
    {
        var sim = Linux();
        sim.SetInt("s", SolSocket, 12, 3);
        sim.SetInt("s", SolIp, IpTos, tos);
        Assert.Equal(Convert.ToHexString(BitConverter.GetBytes(priority)), Get(sim, SolSocket, 12));
        sim.SetInt("s", SolSocket, 12, 3);
        sim.SetInt("s", SolIp, IpTos, tos);
        Assert.Equal("03000000", Get(sim, SolSocket, 12));
    }

    [Fact]
    [Trait("clause", "options.value")]
    public void The_pacing_rate_is_an_unsigned_long()
    {
        var sim = Linux();
        Assert.Equal("FFFFFFFFFFFFFFFF", Get(sim, SolSocket, 47, 8));
        Expect.Value(Set(sim, SolSocket, 47, [0, 0, 0, 0, 1, 0, 0, 0]), 0, ClauseId.OptionsValue);
        Assert.Equal("FFFFFFFF", Get(sim, SolSocket, 47));
        Assert.Equal("0000000001000000", Get(sim, SolSocket, 47, 8));
        Expect.Value(Set(sim, SolSocket, 47, [0xff, 0xff, 0xff, 0xff]), 0);
        Assert.Equal("FFFFFFFFFFFFFFFF", Get(sim, SolSocket, 47, 8));
        Expect.Error(Set(sim, SolSocket, 47, [1, 2, 3]), Errno.EINVAL, ClauseId.OptionsValue);
    }

    [Fact]
    [Trait("clause", "options.flag")]
    public void A_locked_filter_stays_locked()
    {
        var sim = Linux();
        Expect.Value(sim.SetInt("s", SolSocket, 44, 1), 0, ClauseId.OptionsFlag);
        Expect.Error(sim.SetInt("s", SolSocket, 44, 0), Errno.EPERM, ClauseId.OptionsFlag);
        Assert.Equal("01000000", Get(sim, SolSocket, 44));
        Expect.Error(sim.Run(new GetSockOptOp(Fd.Named("s"), SolSocket, 70, 4)), Errno.ENOPROTOOPT, ClauseId.GetSockOpt);
    }

    [Fact]
    [Trait("clause", "options.reuse")]
    public void Reuse_needs_both_sockets_and_different_devices_never_conflict()
    {
        var sim = Sim.Linux(Hosts.TwoLinks());
        foreach (var name in new[] { "a", "b", "c", "d" }) sim.Socket(name);
        Expect.Value(sim.Bind("a", Hosts.Local, 5000), 0);
        sim.SetInt("b", SolSocket, 2, 1);
        Expect.Error(sim.Bind("b", Hosts.Local, 5000), Errno.EADDRINUSE, ClauseId.BindInUse);
        sim.SetInt("a", SolSocket, 2, 1);
        var shared = sim.Bind("b", Hosts.Local, 5000);
        Expect.Value(shared, 0);
        Expect.Passed(shared, ClauseId.OptionsReuse);
        sim.SetInt("c", SolSocket, SoBindToIfindex, 2);
        sim.SetInt("d", SolSocket, SoBindToIfindex, 3);
        Expect.Value(sim.Bind("c", Ipv4Address.Any, 5002), 0);
        Expect.Value(sim.Bind("d", Ipv4Address.Any, 5002), 0);
        sim.Socket("e");
        Expect.Error(sim.Bind("e", Ipv4Address.Any, 5002), Errno.EADDRINUSE, ClauseId.BindInUse);
    }

    [Fact]
    public void The_spec_profile_does_not_follow_them()
    {
        var sim = Sim.WithSocket(Profile.Spec);
        Assert.Equal(OutcomeKind.Unmodeled, sim.SetInt("s", SolSocket, 9, 1).Kind);
    }
}
