using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;
using Udpconf.Suite.Cases;

namespace Udpconf.Suite.Targets.Model;

/// <summary>
/// The model as an implementation under test: it answers as the profile's kernel would and writes concrete bytes,
/// choosing ports and identifications from a seed as a real stack would choose them.
/// </summary>
public sealed class ModelTarget(Profile profile, int seed = 1) : ITarget
{
    public string Name => $"model:{profile.Name}";
    public IReadOnlySet<Feature> Features { get; } = Feature.Known.ToHashSet();

    public TargetRun Run(HostConfig host, IReadOnlyList<Operation> operations, CancellationToken cancellation = default)
    {
        var model = new Reference.Model(host, profile);
        var outcomes = new List<Outcome>(operations.Count);
        foreach (var operation in operations)
        {
            cancellation.ThrowIfCancellationRequested();
            outcomes.Add(model.Run(operation));
        }
        var bindings = Bindings.FromSeed(seed, model.Symbols);
        return new TargetRun(outcomes.Select(outcome => Observe(outcome, bindings)).ToArray());
    }

    public ITargetSession Open(HostConfig host, bool ipv6 = false) => new Session(new Reference.Model(host, profile), seed);

    /// <summary>What the model did, as a target reports it: values and bytes, no clauses or symbols.</summary>
    public static Observation Observe(Outcome outcome, Bindings bindings) => new(
        outcome.Kind,
        outcome.Value,
        outcome.Error,
        outcome.Datagrams.SelectMany(d => d.Render(bindings).Select(bytes => new ObservedPacket(d.Interface, bytes))).ToArray(),
        outcome.OptionBytes(bindings),
        outcome.Counters,
        outcome.Note,
        outcome.ErrorQueue);

    /// <summary>The model one operation at a time. Symbols are bound from the seed in the order the model made them,
    /// so a symbol keeps its value from one operation to the next (a later symbol never changes an earlier one).</summary>
    private sealed class Session(Reference.Model model, int seed) : ITargetSession
    {
        public Observation Run(Operation operation)
        {
            var outcome = model.Run(operation);
            return Observe(outcome, Bindings.FromSeed(seed, model.Symbols));
        }

        public void Dispose() { }
    }
}
