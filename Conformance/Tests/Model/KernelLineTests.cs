using System.Reflection;
using Udpconf.Reference;
using Udpconf.Reference.Host;
using Udpconf.Suite;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets.Model;
using Xunit;

namespace Udpconf.Tests.Model;

/// <summary>The kernel-line profiles (linux-6.12, linux-6.1): what they are made of and how cases written for linux run
/// under them.</summary>
public class KernelLineTests
{
    private static readonly string Root = SpecMap.FindRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("no Conformance.sln above the test binaries");

    [Fact]
    public void Every_switch_a_kernel_line_sets_otherwise_says_since_when_and_what_changed()
    {
        foreach (var line in Profile.KernelLines)
        {
            Assert.Equal(Profile.Linux.Name, line.Family);
            Assert.Equal(line, Profile.Find(line.Name));
            var differing = Profile.Switches.Where(p => !Equals(p.GetValue(line), p.GetValue(Profile.Linux))).ToArray();
            Assert.NotEmpty(differing);
            foreach (var property in differing)
            {
                var change = property.GetCustomAttribute<KernelChangeAttribute>();
                Assert.True(change is { Since.Length: > 0, Change.Length: > 0 }, $"{line.Name} sets {property.Name} otherwise than linux, and the switch has no [KernelChange]");
            }
        }
        Assert.DoesNotContain(Profile.Linux61, Profile.All);
    }

    [Fact]
    public void A_case_for_linux_runs_under_a_line_and_its_own_expectations_the_lines_model_contradicts_are_not_checked()
    {
        var file = CaseLibrary.Load(CaseLibrary.DefaultFolder(Root)).Single(f => f.Id == "udp_cork/tos_at_cork_linux");
        Assert.True(file.Case!.Inherits(Profile.Linux612.Name));
        Assert.False(file.Case.Inherits(Profile.Linux.Name));
        Assert.False(file.Case.AppliesTo(Profile.Spec.Name));

        // Under linux-6.12 the model itself sends TOS 16 where the case expects 0 (written for the newest kernel): that
        // expectation is not checked, and said so; the rest of the case is.
        var result = CaseRunner.Run(file, Profile.Linux612, new ModelTarget(Profile.Linux612), TestContext.Current.CancellationToken);
        Assert.Equal(VerdictKind.Pass, result.Kind);
        var step = result.Steps[3];
        Assert.Contains("not checked", step.Reason);
        Assert.Contains("linux-6.12 model does not meet them", step.Reason);

        // The newest model held to the line fails the case where the line differs: the expectation is kept when the
        // line's model meets it.
        var newest = CaseRunner.Run(file, Profile.Linux612, new ModelTarget(Profile.Linux), TestContext.Current.CancellationToken);
        Assert.Equal(VerdictKind.Fail, newest.Kind);
    }

    [Fact]
    public void A_case_naming_a_line_is_checked_in_full_under_it_and_is_not_run_under_the_others()
    {
        var file = CaseLibrary.Load(CaseLibrary.DefaultFolder(Root)).Single(f => f.Id == "udp_cork/tos_at_cork_6_12");
        Assert.False(file.Case!.Inherits(Profile.Linux612.Name));
        Assert.True(file.Case.AppliesTo(Profile.Linux61.Name));
        Assert.False(file.Case.AppliesTo(Profile.Linux.Name));
        var result = CaseRunner.Run(file, Profile.Linux61, new ModelTarget(Profile.Linux61), TestContext.Current.CancellationToken);
        Assert.Equal(VerdictKind.Pass, result.Kind);
        Assert.All(result.Steps, s => Assert.Null(s.Reason));
    }

    [Theory]
    [InlineData(0, 5, true)]    // getsockopt IP_ROUTER_ALERT: known from 6.12 (measured on 6.12, not on 6.1)
    [InlineData(1, 80, false)]  // setsockopt SO_DEVMEM_DONTNEED: from 6.12
    public void An_option_a_line_first_knows_is_known_on_that_line_and_not_before(int level, int name, bool get)
    {
        Outcome Run(Profile profile)
        {
            var sim = Sim.WithSocket(profile);
            return get ? sim.Run(new Reference.Api.GetSockOptOp(Reference.Api.Fd.Named("s"), level, name, 4))
                : sim.Run(new Reference.Api.SetSockOptOp(Reference.Api.Fd.Named("s"), level, name, Reference.Api.UserBuffer.Of(new byte[4]), 4));
        }
        Assert.False(Run(Profile.Linux612).IsError(Errno.ENOPROTOOPT));
        Assert.True(Run(Profile.Linux61).IsError(Errno.ENOPROTOOPT));
    }

    [Fact]
    public void SO_PASSCRED_on_UDP_is_a_switch_on_6_12_and_refused_on_current_kernels()
    {
        // 6.16 refused the pass options nothing reads on a UDP socket (Profile.PassOptionsRestricted).
        Outcome Set(Profile profile) => Sim.WithSocket(profile).SetInt("s", Reference.Api.SocketOption.SolSocket, 16, 1); // SO_PASSCRED
        Expect.Value(Set(Profile.Linux612), 0, ClauseId.OptionsFlag);
        Expect.Error(Set(Profile.Linux), Errno.EOPNOTSUPP, ClauseId.OptionsUnsupported);
    }

    [Fact]
    public void A_zerocopy_datagram_to_a_group_out_of_lo_completes_copied_on_6_12_and_is_unmodeled_after()
    {
        // Measured: copied on 6.1.192 and 6.12.118, code 0 on 6.18.44 (Profile.LoopedGroupZerocopyCopied).
        Outcome Send(Profile profile)
        {
            var sim = Sim.WithSocket(profile);
            Expect.Value(sim.Run(new Reference.Api.SetSockOptOp(Reference.Api.Fd.Named("s"), Reference.Api.SocketOption.SolSocket,
                Reference.Api.SocketOption.SoBindToDevice, Reference.Api.UserBuffer.Of("lo\0"u8.ToArray()), 3)), 0);
            Expect.Value(sim.SetInt("s", Reference.Api.SocketOption.SolSocket, Reference.Api.SocketOption.SoZerocopy, 1), 0);
            return sim.SendTo("s", 10, Ipv4Address.Parse("239.1.2.3"), 9, Reference.Api.MsgFlags.Zerocopy);
        }
        var old = Send(Profile.Linux612);
        Expect.Value(old, 10);
        Assert.Equal(ErrorQueueEntry.Zerocopy(0, 0, copied: true), Assert.Single(old.ErrorQueue));
        Assert.Equal(OutcomeKind.Unmodeled, Send(Profile.Linux).Kind);
    }

    [Fact]
    public void SO_TXREHASH_on_6_12_is_a_value_from_minus_1_to_1_and_minus_1_reads_as_1()
    {
        // Measured on 6.12.118 (options/more_linux under vm:6.12); refused since 6.16 (Profile.PassOptionsRestricted).
        const int SoTxRehash = 74;
        var sim = Sim.WithSocket(Profile.Linux612);
        long Read() => System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(
            sim.Run(new Reference.Api.GetSockOptOp(Reference.Api.Fd.Named("s"), Reference.Api.SocketOption.SolSocket, SoTxRehash, 4)).OptionValue!.Value.Span);
        Assert.Equal(1, Read());
        foreach (var (value, readBack) in new[] { (0, 0), (1, 1), (-1, 1), (0, 0) })
        {
            Expect.Value(sim.SetInt("s", Reference.Api.SocketOption.SolSocket, SoTxRehash, value), 0);
            Assert.Equal(readBack, Read());
        }
        foreach (var refused in new[] { -2, 2, 300 })
            Expect.Error(sim.SetInt("s", Reference.Api.SocketOption.SolSocket, SoTxRehash, refused), Errno.EINVAL, ClauseId.OptionsValue);
        Assert.Equal(0, Read());
    }

    [Fact]
    public void A_single_iovec_past_the_top_of_user_space_is_EFAULT_on_6_1_and_clamped_to_EMSGSIZE_from_6_4()
    {
        // Measured: EFAULT on 6.1.192, EMSGSIZE on 6.12.118 and 6.18.44 (Profile.SingleIovAsUbuf).
        Outcome Send(Profile profile) => Sim.WithSocket(profile).Run(new Reference.Api.SendMsgOp(Reference.Api.Fd.Named("s"),
            Sim.Addr(Hosts.Remote, 9), Reference.Api.SockAddr.InLength, [Reference.Api.UserBuffer.Null(Reference.Api.UserMemory.Top + 1)], null, 0,
            Reference.Api.MsgFlags.None));
        Expect.Error(Send(Profile.Linux61), Errno.EFAULT, ClauseId.SendmsgIovRange);
        Expect.Error(Send(Profile.Linux612), Errno.EMSGSIZE, ClauseId.LenOver0xFFFF);
    }

    [Fact]
    public void UDP_ENCAP_takes_ESPINUDP_NON_IKE_before_6_12_only()
    {
        // UDP_ENCAP (SOL_UDP 100) 1, UDP_ENCAP_ESPINUDP_NON_IKE: removed in 6.12 (Profile.OptionsRelease).
        Outcome Set(Sim sim, int value) => sim.Run(new Reference.Api.SetSockOptOp(Reference.Api.Fd.Named("s"), Reference.Api.SocketOption.SolUdp, 100,
            Reference.Api.UserBuffer.Of(BitConverter.GetBytes(value)), 4));
        var old = Sim.WithSocket(Profile.Linux61);
        Expect.Value(Set(old, 1), 0, ClauseId.OptionsValue);
        var read = old.Run(new Reference.Api.GetSockOptOp(Reference.Api.Fd.Named("s"), Reference.Api.SocketOption.SolUdp, 100, 4));
        Assert.Equal(1, System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(read.OptionValue!.Value.Span));
        Expect.Error(Set(Sim.WithSocket(Profile.Linux612), 1), Errno.ENOPROTOOPT, ClauseId.OptionsValue);
        // The other types are as on current kernels.
        Expect.Value(Set(old, 2), 0, ClauseId.OptionsValue);
        Expect.Error(Set(old, 4), Errno.ENOPROTOOPT, ClauseId.OptionsValue);
    }
}
