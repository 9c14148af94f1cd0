using Udpconf.Reference;
using Udpconf.Reference.Api;
using Xunit;

namespace Udpconf.Tests.Model.Syscall;

/// <summary>
/// sendmsg's front end (__sys_sendmsg, ___sys_sendmsg, __copy_msghdr, ____sys_sendmsg in net/socket.c, import_iovec in
/// lib/iov_iter.c): part 2 of the catalog, each behavior measured on 6.18.44 (Conformance/cases/sys_sendmsg/).
/// </summary>
public class SysSendmsgTests
{
    private static UserBuffer Remote => Sim.Addr(Hosts.Remote, 9);

    private static Outcome Send(Sim sim, string s, IReadOnlyList<UserBuffer> iov, UserBuffer? name = null, int? nameLength = null,
        UserBuffer? control = null, long controlLength = 0, MsgFlags flags = MsgFlags.None) =>
        sim.Run(new SendMsgOp(Fd.Named(s), name, nameLength ?? (name is null ? 0 : SockAddr.InLength), iov, control, controlLength, flags));

    private static UserBuffer[] Ones(int count) => Enumerable.Range(0, count).Select(_ => UserBuffer.Pattern(1)).ToArray();

    [Fact]
    [Trait("clause", "sys_sendmsg.compat_flag")]
    public void MSG_CMSG_COMPAT_is_EINVAL_before_the_descriptor_is_looked_up()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        var compat = (MsgFlags)0x80000000;
        Expect.Error(Send(sim, "s", [UserBuffer.Pattern(10)], Remote, flags: compat), Errno.EINVAL, ClauseId.SendmsgCompatFlag);
        Expect.Error(Send(sim, "nosuch", [UserBuffer.Pattern(10)], Remote, flags: compat), Errno.EINVAL, ClauseId.SendmsgCompatFlag);
        Expect.Error(sim.Run(new SendMmsgOp(Fd.Named("nosuch"), [], 0, compat)), Errno.EINVAL, ClauseId.SendmsgCompatFlag);
        Expect.Error(Send(sim, "nosuch", [UserBuffer.Pattern(10)], Remote, flags: (MsgFlags)0x40000000), Errno.EBADF, ClauseId.BadFd);
    }

    [Fact]
    [Trait("clause", "sys_sendmsg.namelen")]
    public void A_null_name_has_no_length_a_negative_one_is_EINVAL_and_one_above_128_is_128()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        Expect.Error(Send(sim, "s", [UserBuffer.Pattern(10)], Remote, nameLength: -1), Errno.EINVAL, ClauseId.SendmsgNameLength);
        Expect.Error(Send(sim, "s", [UserBuffer.Pattern(10)], null, nameLength: -1), Errno.EDESTADDRREQ, ClauseId.NoDest);
        var padded = new byte[129];
        Remote.Readable.Span.CopyTo(padded);
        var clamped = Send(sim, "s", [UserBuffer.Pattern(10)], UserBuffer.Of(padded), nameLength: 129);
        Expect.Value(clamped, 10);
        Expect.Passed(clamped, ClauseId.SendmsgNameLength);
        // The name comes before msg_iovlen.
        Expect.Error(Send(sim, "s", Ones(1025), Remote, nameLength: -1), Errno.EINVAL, ClauseId.SendmsgNameLength);
    }

    [Theory]
    [Trait("clause", "sys_sendmsg.iovlen")]
    [InlineData(1024)]
    [InlineData(1025)]
    public void More_than_1024_entries_are_EMSGSIZE_before_the_control_buffer(int count)
    {
        var sim = Sim.WithSocket(Profile.Linux);
        var outcome = Send(sim, "s", Ones(count), Remote, control: UserBuffer.Of(Array.Empty<byte>()), controlLength: 1L << 31);
        if (count > 1024) Expect.Error(outcome, Errno.EMSGSIZE, ClauseId.SendmsgIovLength);
        else
        {
            Expect.Error(outcome, Errno.ENOBUFS, ClauseId.SendmsgControlLength);
            Expect.Value(Send(sim, "s", Ones(count), Remote), count);
        }
    }

    [Fact]
    [Trait("clause", "sys_sendmsg.iov_read")]
    public void A_length_negative_as_ssize_t_is_EINVAL_before_the_control_buffer()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        Expect.Error(Send(sim, "s", [UserBuffer.Unreadable(-1)], Remote), Errno.EINVAL, ClauseId.SendmsgIovRead);
        Expect.Error(Send(sim, "s", [UserBuffer.Pattern(1), UserBuffer.Unreadable(long.MinValue)], Remote,
            control: UserBuffer.Of(Array.Empty<byte>()), controlLength: 1L << 31), Errno.EINVAL, ClauseId.SendmsgIovRead);
        var empty = Send(sim, "s", [], Remote);
        Expect.Value(empty, 0);
        Expect.NotPassed(empty, ClauseId.SendmsgIovRead);
    }

    [Fact]
    [Trait("clause", "sys_sendmsg.iov_range")]
    public void A_length_beyond_user_space_is_EFAULT_among_several_entries_and_clamped_alone()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        Expect.Error(Send(sim, "s", [UserBuffer.Unreadable(1L << 47), UserBuffer.Pattern(1)], Remote), Errno.EFAULT, ClauseId.SendmsgIovRange);
        var alone = Send(sim, "s", [UserBuffer.Unreadable(1L << 62)], Remote);
        Expect.Error(alone, Errno.EMSGSIZE, ClauseId.LenOver0xFFFF);
        Expect.Passed(alone, ClauseId.SendmsgIovRange);
        // A NULL base (no readable byte) of length 0 passes and sends nothing from it.
        Expect.Value(Send(sim, "s", [UserBuffer.Unreadable(0), UserBuffer.Pattern(3)], Remote), 3);
    }

    [Theory]
    [Trait("clause", "sys_sendmsg.iov_range")]
    [InlineData(UserMemory.MappedHigh)]
    [InlineData(UserMemory.MappedLow + 1)]
    public void A_mapped_entry_whose_end_passes_the_top_from_some_bases_of_the_region_and_not_others_is_unmodeled(long below)
    {
        // Its end lies past the top when mapped at the region's high end and not at its low end.
        var sim = Sim.WithSocket(Profile.Linux);
        var length = UserMemory.Top - below + 1;
        Assert.Null(UserMemory.AccessOk(UserBuffer.Unreadable(length)));
        var outcome = Send(sim, "s", [UserBuffer.Unreadable(length), UserBuffer.Pattern(1)], Remote);
        Assert.Equal((OutcomeKind.Unmodeled, ClauseId.SendmsgIovRange), (outcome.Kind, outcome.Clause.Id));
        Assert.Equal("an entry whose end may be past the top of user space or not, by where the target mapped it", outcome.Note);
        // Two such entries leave it as undecided as one.
        Assert.Equal(OutcomeKind.Unmodeled, Send(sim, "s", [UserBuffer.Unreadable(length), UserBuffer.Unreadable(length)], Remote).Kind);
        // An entry that surely fails decides, wherever it stands.
        Expect.Error(Send(sim, "s", [UserBuffer.Unreadable(length), UserBuffer.Null(UserMemory.Top + 1)], Remote), Errno.EFAULT, ClauseId.SendmsgIovRange);
        // The same entry alone is clamped first.
        Expect.Error(Send(sim, "s", [UserBuffer.Unreadable(length)], Remote), Errno.EMSGSIZE, ClauseId.LenOver0xFFFF);
    }

    [Theory]
    [Trait("clause", "sys_sendmsg.control_length")]
    [InlineData(2147483648L)]
    [InlineData(-1L)]
    public void A_control_length_above_INT_MAX_is_ENOBUFS(long length)
    {
        var sim = Sim.WithSocket(Profile.Linux);
        Expect.Error(Send(sim, "s", [UserBuffer.Pattern(10)], Remote, control: UserBuffer.Of(Array.Empty<byte>()), controlLength: length), Errno.ENOBUFS, ClauseId.SendmsgControlLength);
    }

    [Theory]
    [Trait("clause", "sys_sendmsg.control_alloc")]
    [Trait("clause", "sys_sendmsg.control_copy")]
    [InlineData(131072L, Errno.ENOBUFS)]
    [InlineData(2147483647L, Errno.ENOBUFS)]
    [InlineData(131071L, Errno.EFAULT)]
    [InlineData(37L, Errno.EFAULT)]
    [InlineData(36L, Errno.EFAULT)]
    public void A_control_buffer_from_131072_bytes_is_not_allocated_and_a_smaller_unreadable_one_faults(long length, Errno errno)
    {
        var sim = Sim.WithSocket(Profile.Linux);
        var outcome = Send(sim, "s", [UserBuffer.Pattern(10)], Remote, control: UserBuffer.Of(Array.Empty<byte>()), controlLength: length);
        Expect.Error(outcome, errno, errno == Errno.ENOBUFS ? ClauseId.SendmsgControlAlloc : ClauseId.SendmsgControlCopy);
        if (length > 36 && errno == Errno.EFAULT) Expect.Passed(outcome, ClauseId.SendmsgControlAlloc);
    }

    [Fact]
    [Trait("clause", "sys_sendmsg.control_alloc")]
    public void Each_multicast_membership_holds_48_bytes_of_the_option_memory_a_control_buffer_comes_from()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        Outcome Join(int op, byte last) => sim.Run(new SetSockOptOp(Fd.Named("s"), 0, op, UserBuffer.Of(new byte[] { 239, 1, 2, last, 0, 0, 0, 0 }), 8));
        Outcome Control(long length) => Send(sim, "s", [UserBuffer.Pattern(1)], Remote, control: UserBuffer.Of(Array.Empty<byte>()), controlLength: length);
        Expect.Value(Join(35, 3), 0);
        Expect.Error(Control(131023), Errno.EFAULT, ClauseId.SendmsgControlCopy);
        Expect.Error(Control(131024), Errno.ENOBUFS, ClauseId.SendmsgControlAlloc);
        Expect.Value(Join(35, 4), 0);
        Expect.Error(Control(130975), Errno.EFAULT, ClauseId.SendmsgControlCopy);
        Expect.Error(Control(130976), Errno.ENOBUFS, ClauseId.SendmsgControlAlloc);
        Expect.Value(Join(36, 4), 0);
        Expect.Error(Control(131023), Errno.EFAULT, ClauseId.SendmsgControlCopy);
    }

    [Fact]
    [Trait("clause", "sys_sendmsg.control_copy")]
    public void Readable_control_bytes_go_on_to_the_protocol()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        var sent = Send(sim, "s", [UserBuffer.Pattern(10)], Remote, control: UserBuffer.Of(new byte[8]), controlLength: 8);
        Expect.Value(sent, 10);
        Expect.Passed(sent, ClauseId.SendmsgControlCopy);
        Expect.Error(Send(sim, "s", [UserBuffer.Pattern(10)], Remote, control: UserBuffer.Of(new byte[8]), controlLength: 16), Errno.EFAULT, ClauseId.SendmsgControlCopy);
    }

    [Fact]
    [Trait("clause", "sys_sendmsg.iov_range")]
    [Trait("clause", "sys_sendmsg.control_alloc")]
    [Trait("clause", "sys_sendto.result")]
    public void The_trace_names_the_checks_a_call_went_through_and_the_result_once()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        // No entries: no range was checked.
        var empty = Send(sim, "s", [], Remote);
        Expect.Value(empty, 0);
        Expect.NotPassed(empty, ClauseId.SendmsgIovRange);
        Assert.Single(empty.Trace, c => c == ClauseId.SysResult);
        // A control buffer of 36 bytes fits the one on the stack; 37 are allocated (and then unreadable here).
        var onStack = Send(sim, "s", Ones(1), Remote, control: UserBuffer.Unreadable(36), controlLength: 36);
        Expect.Error(onStack, Errno.EFAULT, ClauseId.SendmsgControlCopy);
        Expect.NotPassed(onStack, ClauseId.SendmsgControlAlloc);
        Expect.Passed(Send(sim, "s", Ones(1), Remote, control: UserBuffer.Unreadable(37), controlLength: 37), ClauseId.SendmsgControlAlloc);
    }

    [Fact]
    [Trait("clause", "sys_sendmsg.control_alloc")]
    public void A_control_buffer_near_optmem_max_while_a_zerocopy_range_is_pending_is_unmodeled()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        Expect.Value(sim.SetInt("s", SocketOption.SolSocket, SocketOption.SoZerocopy, 1), 0);
        Expect.Value(sim.SendTo("s", 100, Hosts.Remote, flags: MsgFlags.More | MsgFlags.Zerocopy), 100);
        var near = Send(sim, "s", Ones(1), Remote, control: UserBuffer.Unreadable(Profile.Linux.OptmemMax - 1), controlLength: Profile.Linux.OptmemMax - 1);
        Assert.Equal(OutcomeKind.Unmodeled, near.Kind);
        Assert.Contains("near optmem_max while a MSG_ZEROCOPY range is pending", near.Note);
        // Far below the limit it is answered.
        Expect.Error(Send(sim, "s", Ones(1), Remote, control: UserBuffer.Unreadable(1000), controlLength: 1000), Errno.EFAULT, ClauseId.SendmsgControlCopy);
        // "Near" begins 4096 bytes below optmem_max, the room the notification buffer may hold, less the memberships' memory.
        long Edge = Profile.Linux.OptmemMax - 4096;
        Outcome Control(long length) => Send(sim, "s", Ones(1), Remote, control: UserBuffer.Unreadable(length), controlLength: length);
        Assert.Equal(OutcomeKind.Unmodeled, Control(Edge).Kind);
        Expect.Error(Control(Edge - 1), Errno.EFAULT, ClauseId.SendmsgControlCopy);
        Expect.Value(sim.Run(new SetSockOptOp(Fd.Named("s"), 0, 35, UserBuffer.Of(new byte[] { 239, 1, 2, 3, 0, 0, 0, 0 }), 8)), 0);
        Assert.Equal(OutcomeKind.Unmodeled, Control(Edge - 48).Kind);
        Expect.Error(Control(Edge - 49), Errno.EFAULT, ClauseId.SendmsgControlCopy);
    }
}
