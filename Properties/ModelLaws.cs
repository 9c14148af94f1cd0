using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Udpconf.Reference;
using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;
using Udpconf.Reference.Wire;

namespace Udpconf.Properties;

/// <summary>Laws every run of the model obeys, whatever it is asked.</summary>
public class ModelLaws
{
    /// <summary>The host the generated operations run on: tun0 192.0.2.1/24 with a default route, a multicast route
    /// and a second device, so that every kind of route is reachable.</summary>
    public static HostConfig Host => HostConfig.Default with
    {
        Interfaces = [.. HostConfig.Default.Interfaces, new Interface("tun1", 3, Ipv4Address.Parse("203.0.113.1"), 24, 1006, ChecksumOffload: true, UdpFragmentationOffload: true, ScatterGather: false)],
        Routes =
        [
            .. HostConfig.Default.Routes, new Route(Ipv4Address.Parse("224.0.0.0"), 4, RouteKind.Multicast, "tun0"),
            new Route(Ipv4Address.Parse("198.51.100.0"), 24, RouteKind.Unicast, "tun1", Ipv4Address.Parse("203.0.113.254"), Table: 100),
        ],
        OutputDrops = [new OutputDropRule(Ipv4Address.Parse("192.0.2.7"), 32, 53)],
        // Policy rules that marks (SO_MARK 7, 8 of the low byte), a TOS, a bound source and a device meet; table 102
        // has no route, so its rule falls through.
        Rules =
        [
            new PolicyRule(1000, RuleAction.Unreachable, FwMark: (7, uint.MaxValue)),
            new PolicyRule(1001, RuleAction.Lookup, 100, FwMark: (8, 0xFF)),
            new PolicyRule(1002, RuleAction.Prohibit, To: (Ipv4Address.Parse("198.51.100.0"), 24), Tos: 0x10),
            new PolicyRule(1003, RuleAction.Lookup, 100, From: (Ipv4Address.Parse("192.0.2.1"), 32), To: (Ipv4Address.Parse("198.51.100.7"), 32)),
            new PolicyRule(1004, RuleAction.Blackhole, Oif: "lo"),
            new PolicyRule(1005, RuleAction.Lookup, 102, To: (Ipv4Address.Parse("192.0.2.7"), 32)),
        ],
    };

    [PropertyNotInMutationRun(MaxTest = 1000, Arbitrary = [typeof(Arbitraries)])]
    public Property The_model_answers_every_operation_without_throwing_in_both_profiles(OperationSequence sequence) =>
        (AnswersEverything(Profile.Spec, sequence) && AnswersEverything(Profile.Linux, sequence)).ToProperty();

    /// <summary>Every operation gets a well-formed outcome naming a known clause, and every datagram it emits
    /// renders to packets whose IP total lengths and header checksums are right.</summary>
    private static bool AnswersEverything(Profile profile, OperationSequence sequence)
    {
        var model = new Model(Host, profile);
        var known = ClauseId.Catalog.Concat(ClauseId.Additions).ToHashSet();
        foreach (var operation in sequence.Operations)
        {
            var outcome = model.Run(operation);
            if (!known.Contains(outcome.Clause.Id)) return false;
            if (outcome.Kind == OutcomeKind.Error != outcome.Error.HasValue) return false;
            if (outcome.Trace.Any(id => !known.Contains(id.Id))) return false;
            var bindings = Bindings.FromSeed(7, model.Symbols);
            foreach (var datagram in outcome.Datagrams)
                foreach (var packet in datagram.Render(bindings))
                {
                    if (!Ipv4Header.TryParse(packet, out var header, out _)) return false;
                    if (header.TotalLength != packet.Length || header.HeaderChecksum != header.ComputeChecksum()) return false;
                }
        }
        return true;
    }
}

public static class Arbitraries
{
    public static Arbitrary<OperationSequence> Sequences() => OperationGenerators.Sequences();
}
