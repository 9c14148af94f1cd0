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
        Capability.Require(KernelTarget.CanRun(out var why), why);
        var probes = Levels.SelectMany(l => l.Numbers.SelectMany(n => new (string What, Func<Fd, Operation> Make)[]
        {
            ($"setsockopt {l.Name} {n}", fd => new SetSockOptOp(fd, l.Level, n, UserBuffer.Of(new byte[4]), 4)),
            ($"getsockopt {l.Name} {n}", fd => new GetSockOptOp(fd, l.Level, n, 64)),
        })).ToArray();

        var kernel = new List<Observation>();
        using (var session = new KernelTarget().Open(HostConfig.Default))
            for (var i = 0; i < probes.Length; i++)
            {
                var fd = Fd.Named($"p{i}");
                Assert.Equal(OutcomeKind.Value, session.Run(new SocketOp($"p{i}")).Kind);
                kernel.Add(session.Run(probes[i].Make(fd)));
                session.Run(new CloseOp(fd));
            }

        var wrong = new List<string>();
        var known = 0;
        for (var i = 0; i < probes.Length; i++)
        {
            var observed = kernel[i];
            if (observed is { Kind: OutcomeKind.Error, Error: Errno.ENOPROTOOPT }) continue;
            known++;
            var model = new Reference.Model(HostConfig.Default, Profile.Linux);
            model.Run(new SocketOp("s"));
            var predicted = model.Run(probes[i].Make(Fd.Named("s")));
            if (predicted.IsError(Errno.ENOPROTOOPT) || (observed.Kind == OutcomeKind.Value && predicted.IsError(Errno.EINVAL)))
                wrong.Add($"{probes[i].What}: kernel {observed.Describe()}, model {predicted}");
        }
        // The probe reached options the kernel knows, or it proved nothing.
        Assert.True(known > 50, $"only {known} probes reached an option the kernel knows");
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {known} known options answered with confidence as unknown:\n" + string.Join("\n", wrong));
    }
}
