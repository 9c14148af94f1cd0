using System.Buffers.Binary;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Xunit;

namespace Udpconf.Tests.Model.Syscall;

/// <summary>
/// sendmmsg() (__sys_sendmmsg, net/socket.c): part 2 of the catalog, each behavior measured on 6.18.44
/// (Conformance/cases/sys_sendmmsg/).
/// </summary>
public class SysSendmmsgTests
{
    private static MmsgEntry To(int length, ushort port = 9) =>
        new(Sim.Addr(Hosts.Remote, port), SockAddr.InLength, [UserBuffer.Pattern(length)], null, 0);

    private static Outcome Send(Sim sim, string s, MmsgEntry[] entries, uint? vlen = null, MsgFlags flags = MsgFlags.None) =>
        sim.Run(new SendMmsgOp(Fd.Named(s), entries, vlen ?? (uint)entries.Length, flags));

    /// <summary>The msg_len fields the call wrote, from its value bytes.</summary>
    private static uint[] Lengths(Outcome outcome) =>
        outcome.OptionValue is { } bytes ? Enumerable.Range(0, bytes.Length / 4).Select(i => BinaryPrimitives.ReadUInt32LittleEndian(bytes.Span[(4 * i)..])).ToArray() : [];

    [Fact]
    [Trait("clause", "sys_sendmmsg.descriptor")]
    public void The_descriptor_is_looked_up_first_even_for_a_vlen_of_0()
    {
        var sim = Sim.Linux();
        Expect.Error(Send(sim, "nosuch", []), Errno.EBADF, ClauseId.SendmmsgDescriptor);
        Expect.Error(Send(sim, "nosuch", [To(10)]), Errno.EBADF, ClauseId.SendmmsgDescriptor);
        sim.Run(new OpenFileOp("f"));
        Expect.Error(Send(sim, "f", []), Errno.ENOTSOCK, ClauseId.SendmmsgDescriptor);
    }

    [Fact]
    [Trait("clause", "sys_sendmmsg.vlen_zero")]
    public void A_vlen_of_0_returns_0_without_reading_the_vector()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        var none = Send(sim, "s", []);
        Expect.Value(none, 0, ClauseId.SendmmsgVlenZero);
        Expect.Value(Send(sim, "s", [To(10)], vlen: 0), 0, ClauseId.SendmmsgVlenZero);
        Assert.Empty(none.Datagrams);
    }

    [Theory]
    [Trait("clause", "sys_sendmmsg.vlen_clamp")]
    [InlineData(1025u)]
    [InlineData(uint.MaxValue)]
    public void A_vlen_above_1024_is_taken_as_1024(uint vlen)
    {
        var sim = Sim.WithSocket(Profile.Linux);
        // 1024 empty probes, then one to port 0 that would fail if it were sent.
        var entries = Enumerable.Repeat(To(0), 1024).Append(To(0, port: 0)).ToArray();
        var outcome = Send(sim, "s", entries, vlen, MsgFlags.Probe);
        Expect.Value(outcome, 1024, ClauseId.SendmmsgCount);
        Expect.Passed(outcome, ClauseId.SendmmsgVlenClamp);
        Assert.Equal(1024, Lengths(outcome).Length);
    }

    [Fact]
    [Trait("clause", "sys_sendmmsg.vlen_clamp")]
    public void A_vlen_of_1024_is_not_clamped()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        var outcome = Send(sim, "s", Enumerable.Repeat(To(0), 1024).ToArray(), 1024, MsgFlags.Probe);
        Expect.Value(outcome, 1024, ClauseId.SendmmsgCount);
        Expect.NotPassed(outcome, ClauseId.SendmmsgVlenClamp);
    }

    [Fact]
    [Trait("clause", "sys_sendmmsg.count")]
    [Trait("clause", "sys_sendmmsg.entry")]
    public void Every_entry_is_sent_as_sendmsg_sends_it_and_its_msg_len_written()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        var control = ControlMessages.Encode((SocketOption.SolIp, SocketOption.IpTtl, ControlMessages.Int(7)));
        MmsgEntry[] entries =
        [
            To(10),
            new(Sim.Addr(Hosts.Remote, 10), SockAddr.InLength, [UserBuffer.Pattern(3), UserBuffer.Pattern(4)], null, 0),
            new(Sim.Addr(Hosts.Remote, 11), SockAddr.InLength, [], UserBuffer.Of(control), control.Length),
        ];
        var outcome = Send(sim, "s", entries);
        Expect.Value(outcome, 3, ClauseId.SendmmsgCount);
        Assert.Equal([10u, 7u, 0u], Lengths(outcome));
        Assert.Equal([(ushort)9, (ushort)10, (ushort)11], outcome.Datagrams.Select(d => d.DestinationPort));
        Assert.Equal(7, outcome.Datagrams[2].Ttl);
    }

    [Fact]
    [Trait("clause", "sys_sendmmsg.entry")]
    public void The_calls_flags_apply_to_every_entry_so_MSG_MORE_corks_them_all()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        var corked = Send(sim, "s", [To(10), To(10), To(10)], flags: MsgFlags.More);
        Expect.Value(corked, 3, ClauseId.SendmmsgCount);
        Assert.Empty(corked.Datagrams);
        var push = Send(sim, "s", [To(0)]);
        Assert.Equal(8 + 30, push.Datagrams.Single().UdpLength);
    }

    [Fact]
    [Trait("clause", "sys_sendmmsg.data_left")]
    public void Under_MSG_PROBE_the_first_entry_with_data_ends_the_call()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        var outcome = Send(sim, "s", [To(0), To(0), To(10), To(10)], flags: MsgFlags.Probe);
        Expect.Value(outcome, 3, ClauseId.SendmmsgDataLeft);
        Assert.Equal([0u, 0u, 10u], Lengths(outcome));
        Assert.Empty(outcome.Datagrams);
    }

    [Fact]
    [Trait("clause", "sys_sendmmsg.first_error")]
    public void When_the_first_entry_fails_the_call_fails_with_its_error_and_clause()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        var outcome = Send(sim, "s", [To(10, port: 0), To(10)]);
        Expect.Error(outcome, Errno.EINVAL, ClauseId.DportZero);
        Expect.Passed(outcome, ClauseId.SendmmsgFirstError);
        Assert.Null(outcome.OptionValue);
        Assert.Empty(outcome.Datagrams);
        Expect.Error(Send(sim, "s", [To(70000)]), Errno.EMSGSIZE, ClauseId.LenOver0xFFFF);
    }

    [Fact]
    [Trait("clause", "sys_sendmmsg.partial")]
    public void When_a_later_entry_fails_the_call_returns_how_many_were_sent_and_the_error_is_lost()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        var outcome = Send(sim, "s", [To(10), To(10, port: 0), To(10)]);
        Expect.Value(outcome, 1, ClauseId.SendmmsgPartial);
        Assert.Equal([10u], Lengths(outcome));
        Assert.Single(outcome.Datagrams);
        var next = Send(sim, "s", [To(5)]);
        Expect.Value(next, 1, ClauseId.SendmmsgCount);
    }

    [Fact]
    [Trait("clause", "sys_sendmmsg.efault")]
    public void An_entry_past_the_vectors_readable_end_is_EFAULT()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        Expect.Error(Send(sim, "s", [], vlen: 1), Errno.EFAULT, ClauseId.SendmmsgFault);
        var outcome = Send(sim, "s", [To(10), To(4)], vlen: 3);
        Expect.Value(outcome, 2, ClauseId.SendmmsgPartial);
        Expect.Passed(outcome, ClauseId.SendmmsgFault);
        Assert.Equal([10u, 4u], Lengths(outcome));
    }

    [Fact]
    public void After_a_shutdown_the_first_entry_fails_with_EPIPE()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        sim.Run(new ShutdownOp(Fd.Named("s"), 1));
        Expect.Error(Send(sim, "s", [To(10), To(10)]), Errno.EPIPE, ClauseId.SendShutdown);
    }

    [Fact]
    public void Sendmmsg_came_after_the_notes_2_6_so_spec_leaves_it_unmodeled()
    {
        var outcome = Send(Sim.WithSocket(Profile.Spec), "s", [To(10)]);
        Assert.Equal(OutcomeKind.Unmodeled, outcome.Kind);
        Assert.Equal(ClauseId.SocketUnsupported, outcome.Clause);
        Assert.Equal("sendmmsg is not documented for profile spec", outcome.Note);
    }
}
