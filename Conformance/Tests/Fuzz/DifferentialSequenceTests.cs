using System.Buffers.Binary;
using FsCheck.Experimental;
using FsCheck.Fluent;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Fuzz;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Kernel;
using Udpconf.Suite.Targets.Model;
using Udpconf.TestSupport;
using Xunit;

using Udpconf.Tests.Targets.Kernel;

namespace Udpconf.Tests.Fuzz;

/// <summary>
/// A fuzz sequence run whole (the target on its thread, the model judging beside it) judges each step as running it
/// step by step does, and stops at the same first disagreement; a kernel namespace reset between sequences gives what a
/// new namespace gives, so that the fuzzer may reuse one.
/// </summary>
public class DifferentialSequenceTests
{
    /// <summary>Sequences of the fuzzer's own generator, for the host of <paramref name="target"/>, always the same ones
    /// (from a fixed seed: a lie at an operation the model does not say about goes unseen, and drawn anew each run, one
    /// run in about sixteen had one).</summary>
    private static Operation[][] Sequences(ITarget target, int count, int size = 40) =>
        StateMachine.Generate(new DifferentialMachine(target, Profile.Linux, size)).Sample(size: size, seed: new FsCheck.Rnd(20261206), numberOfSamples: count)
            .Select(DifferentialMachine.Operations).ToArray();

    /// <summary>The model, with its answer to the <paramref name="at"/>-th operation changed (a value one more).</summary>
    private sealed class LiesAt(int at) : ITarget
    {
        private readonly ModelTarget model = new(Profile.Linux);
        public string Name => "liar";
        public IReadOnlySet<Feature> Features => model.Features;
        public TargetRun Run(HostConfig host, IReadOnlyList<Operation> operations, CancellationToken cancellation = default) => throw new NotSupportedException();
        public ITargetSession Open(HostConfig host, bool ipv6 = false) => new Session(at, model.Open(host));

        private sealed class Session(int at, ITargetSession inner) : ITargetSession
        {
            private int count;
            public Observation Run(Operation operation)
            {
                var observed = inner.Run(operation);
                return ++count == at ? observed with { Kind = OutcomeKind.Value, Value = observed.Value + 1, Error = null } : observed;
            }

            public void Dispose() => inner.Dispose();
        }
    }

    [Fact]
    public void A_sequence_run_whole_is_judged_as_step_by_step_and_stops_at_the_same_first_difference()
    {
        var liar = new LiesAt(7);
        var host = FuzzGenerators.HostFor(liar.Features);
        foreach (var sequence in Sequences(liar, 20))
        {
            using var stepwise = new DifferentialRun(liar, Profile.Linux, host);
            foreach (var operation in sequence)
                if (stepwise.Step(operation).Problems.Count > 0) break;
            using var whole = new DifferentialRun(liar, Profile.Linux, host);
            var steps = whole.Sequence(sequence);
            Assert.Equal(stepwise.Steps.Count, steps.Count);
            Assert.Equal(7, steps.Count);
            Assert.True(whole.Failed);
            Assert.False(whole.Broken);
            Assert.Equal(stepwise.Steps.Select(s => string.Join("; ", s.Problems)), steps.Select(s => string.Join("; ", s.Problems)));
            Assert.NotEmpty(steps[^1].Problems);
        }
    }

    /// <summary>A target that breaks (throws) at its <paramref name="at"/>-th operation.</summary>
    private sealed class BreaksAt(int at) : ITarget
    {
        private readonly ModelTarget model = new(Profile.Linux);
        public string Name => "breaks";
        public IReadOnlySet<Feature> Features => model.Features;
        public TargetRun Run(HostConfig host, IReadOnlyList<Operation> operations, CancellationToken cancellation = default) => throw new NotSupportedException();
        public ITargetSession Open(HostConfig host, bool ipv6 = false) => new Session(at, model.Open(host));

        private sealed class Session(int at, ITargetSession inner) : ITargetSession
        {
            private int count;
            public Observation Run(Operation operation) => ++count == at ? throw new IOException("the implementation died") : inner.Run(operation);
            public bool Reset() => true;
            public void Dispose() => inner.Dispose();
        }
    }

    [Fact]
    public void A_target_that_breaks_mid_sequence_is_a_failure_at_that_step_and_its_session_is_not_kept()
    {
        var broken = new BreaksAt(4);
        using var run = new DifferentialRun(broken, Profile.Linux, FuzzGenerators.HostFor(broken.Features));
        var steps = run.Sequence(Sequences(broken, 1)[0]);
        Assert.Equal(4, steps.Count);
        Assert.True(run.Broken);
        Assert.Contains("the implementation died", steps[^1].Problems.Single().Observed);
        Assert.Null(run.Detach());
    }

    /// <summary>The model, reset between sequences, with the <paramref name="at"/>-th answer of its
    /// <paramref name="sequence"/>-th sequence changed; it counts the sequences it ran.</summary>
    private sealed class LiesInSequence(int sequence, int at) : ITarget
    {
        private readonly ModelTarget model = new(Profile.Linux);
        private readonly int lyingSequence = sequence, lyingStep = at;
        public int Ran;
        public string Name => "liar";
        public IReadOnlySet<Feature> Features => model.Features;
        public TargetRun Run(HostConfig host, IReadOnlyList<Operation> operations, CancellationToken cancellation = default) => throw new NotSupportedException();
        public ITargetSession Open(HostConfig host, bool ipv6 = false) => new Session(this, host);

        private sealed class Session(LiesInSequence target, HostConfig host) : ITargetSession
        {
            private ITargetSession inner = target.model.Open(host);
            private int count;
            private int number = Interlocked.Increment(ref target.Ran);

            public Observation Run(Operation operation)
            {
                var observed = inner.Run(operation);
                return number == target.lyingSequence && ++count == target.lyingStep ? observed with { Kind = OutcomeKind.Value, Value = observed.Value + 1, Error = null } : observed;
            }

            public bool Reset()
            {
                inner.Dispose();
                inner = target.model.Open(host);
                count = 0;
                number = Interlocked.Increment(ref target.Ran);
                return true;
            }

            public void Dispose() => inner.Dispose();
        }
    }

    [Fact]
    public void A_campaign_stops_at_the_first_failing_sequence_though_the_target_ran_ahead()
    {
        var liar = new LiesInSequence(sequence: 4, at: 6);
        var result = Fuzzer.Run(liar, Profile.Linux, 20, 3);
        var failure = Assert.IsType<FuzzFailure>(result.Failure);
        Assert.Equal(4, result.Sequences);
        // The lie is the failing step; the shrinking's run of the sequence (the target's seventh at most) did not
        // repeat it, so nothing was shrunk.
        Assert.Equal(6, failure.Steps.Count);
        Assert.Equal(0, failure.Shrinks);
        Assert.NotEmpty(failure.Failing.Problems);
        // Sequences 1-4, at most the two handed over ahead of the judging (5 and 6), and the shrinking's one.
        Assert.InRange(liar.Ran, 5, 7);
        // Three whole sequences and six steps of the fourth were judged before the shrinking.
        Assert.True(result.Operations >= 3 * 40 + 6, $"{result.Operations} operations");
    }

    [Fact]
    public void The_fuzzer_finds_and_shrinks_a_lie_and_the_same_seed_finds_the_same_case()
    {
        var first = Fuzzer.Run(new LiesAt(5), Profile.Linux, 5, 11);
        var again = Fuzzer.Run(new LiesAt(5), Profile.Linux, 5, 11);
        Assert.NotNull(first.Failure);
        Assert.Equal(first.Failure!.CaseText, again.Failure!.CaseText);
        Assert.Equal(5, first.Failure.Steps.Count);
    }

    [Fact]
    public void A_kernel_namespace_reset_between_sequences_observes_what_a_new_namespace_observes()
    {
        Capability.RequireLive(KernelTarget.CanRun(out var why), why);
        var kernel = new KernelTarget();
        // The reference: a new namespace per sequence, a marker after every step and every error queue read, the way
        // sequences ran before.
        using var exact = new KernelTarget(reuseNamespaces: false, markerEveryStep: true, drainEveryErrorQueue: true);
        var host = FuzzGenerators.HostFor(kernel.Features);
        // The fuzzer's own sequences, MSG_ZEROCOPY sends among them (most draw one).
        var sequences = Sequences(kernel, 60);
        Assert.True(sequences.Count(s => s.Any(KernelCalls.Zerocopy)) >= 20, "sequences with MSG_ZEROCOPY");
        var reused = kernel.Open(host);
        var compared = 0;
        var resets = 0;
        try
        {
        foreach (var (sequence, index) in sequences.Select((s, i) => (s, i)))
        {
            // A namespace that cannot be reset says so: the fuzzer then opens a new one, as here.
            if (index > 0 && reused.Reset()) resets++;
            else if (index > 0)
            {
                reused.Dispose();
                reused = kernel.Open(host);
            }
            var afterReset = new List<Observation>();
            reused.RunAll(sequence, afterReset.Add);
            using var fresh = exact.Open(host);
            var observed = new List<Observation>();
            fresh.RunAll(sequence, observed.Add);
            // The reference reads every step's counters, the fuzzer's session once for the sequence: the sum.
            var expected = ChosenValues.CountedAs(observed, afterReset);
            for (var step = 0; step < sequence.Length; step++)
            {
                Assert.True(ChosenValues.Masked(sequence[step], expected[step]) == ChosenValues.Masked(sequence[step], afterReset[step]),
                    $"sequence {index + 1}, step {step + 1} ({CaseWriter.Operation(sequence[step])}):\n fresh: {ChosenValues.Masked(sequence[step], expected[step])}\n reset: {ChosenValues.Masked(sequence[step], afterReset[step])}");
                compared++;
            }
        }
        }
        finally { reused.Dispose(); }
        Assert.True(compared >= sequences.Length * 20, $"{compared} steps compared");
        Assert.True(resets == sequences.Length - 1, $"{resets} of {sequences.Length - 1} resets");
    }
}
