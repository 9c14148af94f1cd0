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
    public static readonly HostConfig Host = HostConfig.Default with
    {
        Interfaces = [.. HostConfig.Default.Interfaces, new Interface("tun1", 3, Ipv4Address.Parse("203.0.113.1"), 24, 1006, ChecksumOffload: true, UdpFragmentationOffload: true, ScatterGather: false)],
        Routes = [.. HostConfig.Default.Routes, new Route(Ipv4Address.Parse("224.0.0.0"), 4, RouteKind.Multicast, "tun0")],
        OutputDrops = [new OutputDropRule(Ipv4Address.Parse("192.0.2.7"), 32, 53)],
    };

    [Property(MaxTest = 1000, Arbitrary = [typeof(Arbitraries)])]
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
