using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Suite.Targets.Kernel;
using Udpconf.Suite.Targets;
using Xunit;

namespace Udpconf.Tests.Targets.Kernel;

/// <summary>Tests that observe the whole process (its children) and so run with no other test beside them.</summary>
[CollectionDefinition(nameof(HermeticCollection), DisableParallelization = true)]
public sealed class HermeticCollection;

/// <summary>The kernel target leaves nothing behind in the host's namespace: no named namespace, no interface, no
/// child process, whether the run succeeds or an operation throws inside the target. It watches every child of the
/// test process, so it runs alone: a VM or adapter another test starts beside it lives longer than the grace period
/// (a CI run failed so, on a qemu of the VM tests).</summary>
[Collection(nameof(HermeticCollection))]
public class HermeticTests
{
    private static int[] Children() => Directory.GetDirectories("/proc/self/task")
        .Select(task => Path.Combine(task, "children"))
        .SelectMany(path => File.Exists(path) ? File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries) : [])
        .Select(int.Parse).ToArray();

    /// <summary>The children alive now that are still alive after a grace period. Other tests run in parallel and
    /// start short-lived commands of their own; those end within the grace period, a leaked child does not.</summary>
    private static int[] LingeringChildren(int[] before)
    {
        var now = Children().Except(before).ToArray();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && now.Intersect(Children()).Any()) Thread.Sleep(50);
        return now.Intersect(Children()).ToArray();
    }

    /// <summary>Names of the interfaces of this thread's namespace, the host's (the counters change; the names do not).</summary>
    private static string[] Links() => File.ReadAllLines("/proc/thread-self/net/dev").Skip(2)
        .Select(line => line.Split(':')[0].Trim()).Order(StringComparer.Ordinal).ToArray();

    /// <summary>The named namespaces (what ip netns list shows).</summary>
    private static string[] Namespaces() => Directory.Exists("/run/netns")
        ? Directory.GetFileSystemEntries("/run/netns").Order(StringComparer.Ordinal).ToArray() : [];

    [Fact]
    public void Runs_and_failed_runs_leave_no_namespace_interface_or_child()
    {
        Capability.RequireLive(KernelTarget.CanRun(out var why), why);
        var namespaces = Namespaces();
        var links = Links();
        var children = Children();

        var ok = new KernelTarget().Run(HostConfig.Default,
        [
            new SocketOp("s"),
            new SendToOp(Fd.Named("s"), UserBuffer.Pattern(10), MsgFlags.None,
                UserBuffer.Of(KernelTargetTests.SockaddrIn(Ipv4Address.Parse("198.51.100.7"), 9)), 16),
        ], TestContext.Current.CancellationToken);
        Assert.Single(ok.Observations[1].Packets);

        // A change of a link that does not exist makes rtnetlink refuse (ENODEV) inside the target, which throws mid-run.
        var failure = Assert.ThrowsAny<InvalidOperationException>(() => new KernelTarget().Run(HostConfig.Default,
            [new SocketOp("s"), new HostChangeOp("nosuch0", Mtu: 1400), new SocketOp("t")], TestContext.Current.CancellationToken));
        Assert.Contains("nosuch0", failure.Message);

        Assert.Equal(namespaces, Namespaces());
        Assert.Equal(links, Links());
        Assert.Empty(LingeringChildren(children));
    }
}
