using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Suite;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets.Kernel;
using Udpconf.Suite.Reports;
using Udpconf.Suite.Targets;
using Xunit;

namespace Udpconf.Tests.Targets.Kernel;

/// <summary>The PATH of the whole process changes in <see cref="NoHelperProcessTests"/>: nothing may run beside it.</summary>
[CollectionDefinition(nameof(EmptyPathCollection), DisableParallelization = true)]
public sealed class EmptyPathCollection;

/// <summary>The kernel target needs nothing but the kernel: its namespaces are configured through netlink sockets,
/// with no ip, tc or nft process, so the cases that use every part of that configuration pass with an empty PATH.</summary>
[Collection(nameof(EmptyPathCollection))]
public class NoHelperProcessTests
{
    private static readonly string Root = SpecMap.FindRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("no Conformance.sln above the test binaries");

    /// <summary>What each selected case must exercise, with the cases of the library that do.</summary>
    private static readonly (string What, Func<Case, bool> Uses)[] Features =
    [
        ("queue-full link", c => c.Host.Interfaces.Any(i => i.QueueFull)),
        ("netfilter drop", c => c.Host.OutputDrops.Count > 0),
        ("netfilter drop by port", c => c.Host.OutputDrops.Any(d => d.DestinationPort is not null)),
        ("link down and up", c => c.Steps.Any(s => s.Operation is HostChangeOp { Up: not null })),
        ("link MTU change", c => c.Steps.Any(s => s.Operation is HostChangeOp { Mtu: not null })),
        ("second link", c => c.Host.Interfaces.Count(i => !i.IsLoopback) > 1),
        ("checksum offload", c => c.Host.Interfaces.Any(i => i.ChecksumOffload)),
        ("IPv6 socket", c => c.Steps.Any(s => s.Operation is SocketOp { Domain: AddressFamily.Inet6 })),
        .. Enum.GetValues<RouteKind>().Select(kind => ($"{kind} route", (Func<Case, bool>)(c => c.Host.Routes.Any(r => r.Kind == kind)))),
        ("route tos", c => c.Host.Routes.Any(r => r.Tos != 0)),
        ("route src", c => c.Host.Routes.Any(r => r.PreferredSource is not null)),
        ("route mtu lock", c => c.Host.Routes.Any(r => r.MtuLocked)),
        ("route hoplimit", c => c.Host.Routes.Any(r => r.HopLimit is not null)),
    ];

    [Fact]
    public void Cases_using_every_part_of_the_namespace_setup_pass_with_no_program_on_the_path()
    {
        Capability.RequireLive(KernelTarget.CanRun(out var why), why);
        var all = CaseLibrary.Load(CaseLibrary.DefaultFolder(Root)).Where(f => f.Case?.AppliesTo(Profile.Linux.Name) == true)
            .Select(f => f.Case!).ToArray();
        var chosen = new List<Case>();
        var uncovered = new List<string>();
        foreach (var (what, uses) in Features)
        {
            if (all.FirstOrDefault(uses) is not { } @case) { uncovered.Add(what); continue; }
            if (!chosen.Contains(@case)) chosen.Add(@case);
        }
        // Route kinds no case of the library uses yet are configured below, on a host that has them all.

        var empty = TempFolders.Create("udpconf-empty-path-");
        var path = Environment.GetEnvironmentVariable("PATH");
        Environment.SetEnvironmentVariable("PATH", empty.FullName);
        try
        {
            // The empty PATH does take effect: a program started by name is not found.
            Assert.ThrowsAny<Win32Exception>(() => Process.Start(new ProcessStartInfo("ip", "link") { UseShellExecute = false }));
            var target = new KernelTarget();
            var failures = chosen.Select(c => CaseRunner.Run(c, Profile.Linux, target, TestContext.Current.CancellationToken))
                .Where(ReportText.IsFailure).Select(r => $"{r.CaseId}: {r.Kind}: {r.Reason} {ReportText.FirstProblem(r)}").ToArray();
            Assert.True(failures.Length == 0, string.Join(Environment.NewLine, failures));

            var run = target.Run(EveryRouteKind(), [new SocketOp("s")], TestContext.Current.CancellationToken);
            Assert.Equal(OutcomeKind.Value, Assert.Single(run.Observations).Kind);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
            empty.Delete();
        }
        Assert.True(uncovered.All(what => what.EndsWith(" route", StringComparison.Ordinal)),
            $"no case of the library uses: {string.Join(", ", uncovered)}");
    }

    /// <summary>Two links, a route of every kind with every attribute, a drop rule, a queue-full link that is down.</summary>
    private static HostConfig EveryRouteKind()
    {
        var a = Ipv4Address.Parse;
        return new HostConfig
        {
            Interfaces =
            [
                HostConfig.LoopbackInterface,
                new Interface("tun0", 2, a("192.0.2.1"), 24, 1500, SecondaryAddresses: [(a("192.0.2.9"), 31)]),
                new Interface("tun1", 3, a("203.0.113.1"), 24, 1400, Up: false, QueueFull: true),
            ],
            Routes =
            [
                new Route(Ipv4Address.Any, 0, RouteKind.Unicast, "tun0", a("192.0.2.254"), Mtu: 1400, MtuLocked: true, HopLimit: 9),
                new Route(a("198.51.100.0"), 24, RouteKind.Unicast, "tun1", a("203.0.113.254"), Tos: 0x10, PreferredSource: a("203.0.113.1")),
                new Route(a("198.51.100.128"), 25, RouteKind.OnLink, "tun0"),
                new Route(a("224.0.0.0"), 4, RouteKind.Multicast, "tun0"),
                new Route(a("192.0.2.127"), 32, RouteKind.Broadcast, "tun0"),
                new Route(a("203.0.113.0"), 26, RouteKind.Unreachable, null),
                new Route(a("203.0.113.64"), 26, RouteKind.Prohibit, null),
                new Route(a("203.0.113.128"), 26, RouteKind.Blackhole, null),
            ],
            OutputDrops = [new OutputDropRule(a("198.51.100.0"), 24), new OutputDropRule(a("198.51.100.7"), 32, 9)],
        };
    }

    [Fact]
    public void No_file_of_the_kernel_target_starts_a_process()
    {
        var folder = Path.Combine(Root, "Conformance", "Suite", "Targets", "Kernel");
        var offenders = Directory.GetFiles(folder, "*.cs")
            .Where(file => File.ReadAllText(file) is var text && (text.Contains("Process.Start") || text.Contains("ProcessStartInfo")))
            .Select(Path.GetFileName).ToArray();
        Assert.Empty(offenders);
    }
}

/// <summary>A refused netlink request is an exception that names the request and the errno.</summary>
public class NetlinkErrorTests
{
    [Fact]
    public void Adding_an_address_or_route_twice_is_EEXIST_named_and_a_rule_for_a_missing_chain_is_ENOENT()
    {
        Capability.RequireLive(KernelTarget.CanRun(out var why), why);
        var (address, route, rule) = Sandbox.Run(HostConfig.Default, sandbox =>
        {
            using var rtnetlink = new RtNetlink();
            var index = sandbox.Links["tun0"].Index;
            var address = Assert.Throws<NetlinkException>(() => rtnetlink.Request(RtNetlink.AddAddress(index, "tun0", IPAddress.Parse("192.0.2.1"), 24)));
            var route = Assert.Throws<NetlinkException>(() => rtnetlink.Request(
                RtNetlink.NewRoute(RouteSpec.From(HostConfig.Default.Routes[0], _ => index), RouteVerb.Add)));
            using var netfilter = new Netlink(Netlink.NetlinkNetfilter);
            var body = NfTables.NewRule("nosuch", "out", NfTables.AcceptMark(1));
            var rule = Assert.Throws<NetlinkException>(() => netfilter.Send([NfTables.Begin(), body, NfTables.End()], [body]));
            return (address, route, rule);
        });
        Assert.Equal(17, address.Errno);
        Assert.StartsWith("RTM_NEWADDR 192.0.2.1/24 dev tun0: EEXIST (17)", address.Message);
        Assert.StartsWith("RTM_NEWROUTE default via 192.0.2.254 dev tun0: EEXIST (17)", route.Message);
        Assert.StartsWith("NFT_MSG_NEWRULE ip nosuch out: meta mark 0x1 accept: ENOENT (2)", rule.Message);
    }
}
