using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Kernel;
using Xunit;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Tests.Targets.Kernel;

/// <summary>
/// The model never answers with confidence for an option it does not know (issue 13): every option number of
/// SOL_SOCKET, SOL_IP and SOL_UDP is set (an int 0) and read (64 bytes) on an AF_INET datagram socket of the live
/// kernel and of the model. Where the kernel knows the option (anything but ENOPROTOOPT), the model must not answer
/// ENOPROTOOPT; where the kernel accepts the call, the model must not refuse it with EINVAL either. "The model does
/// not say" (unmodeled) is an honest answer to both.
/// </summary>
public class OptionCoverageTests
{
    /// <summary>Option numbers probed at each level: every number up to past the highest a current kernel defines
    /// (SOL_SOCKET ~80, SOL_IP ~80, SOL_UDP 100-104), and SOL_IP's multicast-routing block (200-212).</summary>
    private static readonly (int Level, string Name, int[] Numbers)[] Levels =
    [
        (SolSocket, "SOL_SOCKET", Enumerable.Range(0, 128).ToArray()),
        (SolIp, "SOL_IP", [.. Enumerable.Range(0, 128), .. Enumerable.Range(199, 15)]),
        (SolUdp, "SOL_UDP", Enumerable.Range(0, 128).ToArray()),
    ];

    [Fact]
    public void No_option_the_kernel_knows_is_answered_with_confidence_as_unknown()
    {
        Capability.RequireLive(KernelTarget.CanRun(out var why), why);
        var probes = Levels.SelectMany(l => l.Numbers.SelectMany(n => new (string What, Func<Fd, Operation> Make)[]
        {
            ($"setsockopt {l.Name} {n}", fd => new SetSockOptOp(fd, l.Level, n, UserBuffer.Of(new byte[4]), 4)),
            ($"getsockopt {l.Name} {n}", fd => new GetSockOptOp(fd, l.Level, n, 64)),
        })).ToArray();

        var kernel = OnKernel(probes.Select(p => p.Make).ToArray());

        var wrong = new List<string>();
        var known = 0;
        for (var i = 0; i < probes.Length; i++)
        {
            var observed = kernel[i];
            if (observed is { Kind: OutcomeKind.Error, Error: Errno.ENOPROTOOPT }) continue;
            known++;
            var predicted = OnModel(probes[i].Make);
            if (predicted.IsError(Errno.ENOPROTOOPT) || (observed.Kind == OutcomeKind.Value && predicted.IsError(Errno.EINVAL)))
                wrong.Add($"{probes[i].What}: kernel {observed.Describe()}, model {predicted}");
        }
        // The probe reached options the kernel knows, or it proved nothing.
        Assert.True(known > 50, $"only {known} probes reached an option the kernel knows");
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {known} known options answered with confidence as unknown:\n" + string.Join("\n", wrong));
    }

    /// <summary>Control messages the same way: every type 0-127 of SOL_SOCKET, SOL_IP and SOL_UDP with 4 bytes of 0,
    /// on a sendmsg of 10 bytes to 198.51.100.7:9. Where the kernel sends, the model must not refuse; where the kernel
    /// refuses, the model must not send (the kernel sent 9 of the 384 and refused the rest on 6.18.44; the model sent
    /// every SOL_UDP one and SCM_TXTIME, and refused SCM_TS_OPT_ID, until they were measured).</summary>
    [Fact]
    public void No_control_message_is_accepted_by_one_and_refused_by_the_other()
    {
        Capability.RequireLive(KernelTarget.CanRun(out var why), why);
        var remote = UserBuffer.Of(SockAddr.In(Hosts.Remote, 9));
        var probes = Levels.SelectMany(l => Enumerable.Range(0, 128).Select(type => (What: $"cmsg {l.Name} {type}",
            Make: (Func<Fd, Operation>)(fd => new SendMsgOp(fd, remote, SockAddr.InLength, [UserBuffer.Pattern(10)],
                UserBuffer.Of(ControlMessages.Encode((l.Level, type, new byte[4]))), ControlMessages.SpaceFor(4), MsgFlags.None))))).ToArray();

        var kernel = OnKernel(probes.Select(p => p.Make).ToArray());

        var wrong = new List<string>();
        var accepted = 0;
        for (var i = 0; i < probes.Length; i++)
        {
            var predicted = OnModel(probes[i].Make);
            if (kernel[i].Kind == OutcomeKind.Value) accepted++;
            if ((kernel[i].Kind == OutcomeKind.Value && predicted.Kind == OutcomeKind.Error) ||
                (kernel[i].Kind == OutcomeKind.Error && predicted.Kind == OutcomeKind.Value))
                wrong.Add($"{probes[i].What}: kernel {kernel[i].Describe()}, model {predicted}");
        }
        Assert.True(accepted >= 5, $"only {accepted} control messages were accepted by the kernel: the probe proves little");
        Assert.True(wrong.Count == 0, $"{wrong.Count} control messages answered the other way by the model:\n" + string.Join("\n", wrong));
    }

    /// <summary>Each probe on a fresh socket of one live-kernel namespace: socket, the probe, close.</summary>
    private static IReadOnlyList<Observation> OnKernel(IReadOnlyList<Func<Fd, Operation>> probes)
    {
        var observations = new List<Observation>();
        using var session = new KernelTarget().Open(HostConfig.Default);
        for (var i = 0; i < probes.Count; i++)
        {
            var fd = Fd.Named($"p{i}");
            Assert.Equal(OutcomeKind.Value, session.Run(new SocketOp($"p{i}")).Kind);
            observations.Add(session.Run(probes[i](fd)));
            session.Run(new CloseOp(fd));
        }
        return observations;
    }

    /// <summary>One probe on a fresh socket of a fresh model (linux profile).</summary>
    private static Outcome OnModel(Func<Fd, Operation> probe)
    {
        var model = new Reference.Model(HostConfig.Default, Profile.Linux);
        model.Run(new SocketOp("s"));
        return model.Run(probe(Fd.Named("s")));
    }
}
