using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Running;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Model;

namespace Udpconf.Benchmarks;

/// <summary>
/// `udpconf-bench model [BenchmarkDotNet arguments]`: the in-process parts of a step under BenchmarkDotNet (issue 17,
/// points 3 and 6: the model's own step at 1,000,000 operations/s or more for plain sends). No root, no namespace:
/// the model and the judge only. BENCHMARKS.md, "Model step (BenchmarkDotNet)", has the command and the figures.
/// </summary>
public static class ModelBenchmarks
{
    public static int Run(string[] args)
    {
        // Operations per second beside the mean: one benchmark invocation is one operation (the corked pair is one
        // datagram, two operations: see its description). One table, in the order of this file.
        var config = DefaultConfig.Instance
            .AddColumn(StatisticColumn.OperationsPerSecond)
            .WithOrderer(new DefaultOrderer(SummaryOrderPolicy.Declared, MethodOrderPolicy.Declared))
            .WithOptions(ConfigOptions.JoinSummary);
        // In process, always: BenchmarkDotNet's default toolchain builds a generated project that looks for the
        // benchmark's executable under its project's name (Benchmarks.csproj: it finds no udpconf-bench), and the
        // in-process one spares the shared 2-core machine a second Release build per run.
        if (!args.Contains("--inProcess", StringComparer.OrdinalIgnoreCase)) args = [.. args, "--inProcess"];
        var summaries = BenchmarkSwitcher.FromTypes([typeof(ModelStep), typeof(JudgedStep), typeof(CounterRead)]).Run(args, config);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    /// <summary>The host, the destination and the payloads every benchmark uses: the documentation host (tun0
    /// 192.0.2.1/24, MTU 1500, default route via 192.0.2.254), datagrams to 198.51.100.7:9.</summary>
    internal static readonly Fd Socket = Fd.Named("s");
    internal static readonly UserBuffer Destination = UserBuffer.Of(SockAddr.In(Ipv4Address.Parse("198.51.100.7"), 9));
    /// <summary>A second destination, on the same route (the default one).</summary>
    internal static readonly UserBuffer Other = UserBuffer.Of(SockAddr.In(Ipv4Address.Parse("198.51.100.8"), 9));

    internal static SendToOp SendTo(int size, bool withAddress = true, MsgFlags flags = MsgFlags.None) =>
        new(Socket, UserBuffer.Pattern(size), flags, withAddress ? Destination : null, withAddress ? SockAddr.InLength : 0);

    /// <summary>A model of the default host under the linux profile with one UDP socket s, connected to the
    /// destination when <paramref name="connected"/>.</summary>
    internal static Model NewModel(bool connected)
    {
        var model = new Model(HostConfig.Default, Profile.Linux);
        Expect(model.Run(new SocketOp("s")), OutcomeKind.Value);
        if (connected) Expect(model.Run(new ConnectOp(Socket, Destination, SockAddr.InLength)), OutcomeKind.Value);
        return model;
    }

    internal static Outcome Expect(Outcome outcome, OutcomeKind kind, int datagrams = -1)
    {
        if (outcome.Kind != kind || datagrams >= 0 && outcome.Datagrams.Sum(d => d.PacketCount) != datagrams)
            throw new InvalidOperationException($"the benchmark's operation gave {outcome} with {outcome.Datagrams.Count} datagram(s)");
        return outcome;
    }
}

/// <summary>
/// The model's own step (<see cref="Model.Run"/>), one operation per invocation. Each iteration starts from a fresh
/// model (the iteration setup), as a case does, with a fixed invocation count.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(Invocations)]
public class ModelStep
{
    /// <summary>Operations per iteration (a multiple of BenchmarkDotNet's unroll factor, 16).</summary>
    public const int Invocations = 1 << 16;

    private Model unconnected = null!;
    private Model alternating = null!;
    private Model connected = null!;
    private Model corked = null!;
    private Model fragmenting = null!;
    private readonly SendToOp plain = ModelBenchmarks.SendTo(100);
    private readonly SendToOp[] twoDestinations = [ModelBenchmarks.SendTo(100), ModelBenchmarks.SendTo(100) with { Address = ModelBenchmarks.Other }];
    private int turn;
    private readonly SendToOp toPeer = ModelBenchmarks.SendTo(100, withAddress: false);
    private readonly SendToOp more = ModelBenchmarks.SendTo(100, flags: MsgFlags.More);
    private readonly SendToOp large = ModelBenchmarks.SendTo(3000);

    [GlobalSetup]
    public void Check()
    {
        // Every operation gives what the benchmark claims to measure: a datagram, or a corked piece then the push.
        IterationSetup();
        ModelBenchmarks.Expect(unconnected.Run(plain), OutcomeKind.Value, datagrams: 1);
        if (ModelBenchmarks.Expect(SendToTwoDestinations(), OutcomeKind.Value, datagrams: 1).Datagrams[0].Destination ==
            ModelBenchmarks.Expect(SendToTwoDestinations(), OutcomeKind.Value, datagrams: 1).Datagrams[0].Destination)
            throw new InvalidOperationException("two sends in a row went to one destination");
        ModelBenchmarks.Expect(connected.Run(toPeer), OutcomeKind.Value, datagrams: 1);
        ModelBenchmarks.Expect(corked.Run(more), OutcomeKind.Value, datagrams: 0);
        var pushed = ModelBenchmarks.Expect(corked.Run(plain), OutcomeKind.Value, datagrams: 1);
        if (pushed.Value != 100 || pushed.Datagrams[0].Render(Bindings.FromSeed(1, corked.Symbols))[0].Length != 20 + 8 + 200)
            throw new InvalidOperationException("the push did not send the corked piece with the last one");
        ModelBenchmarks.Expect(fragmenting.Run(large), OutcomeKind.Value, datagrams: 3);
    }

    [IterationSetup]
    public void IterationSetup()
    {
        unconnected = ModelBenchmarks.NewModel(connected: false);
        alternating = ModelBenchmarks.NewModel(connected: false);
        connected = ModelBenchmarks.NewModel(connected: true);
        corked = ModelBenchmarks.NewModel(connected: false);
        fragmenting = ModelBenchmarks.NewModel(connected: false);
    }

    /// <summary>sendto(s, 100 bytes, 0, 198.51.100.7:9) on an unconnected socket: one datagram, a fresh
    /// identification symbol (linux profile, IP_PMTUDISC_WANT).</summary>
    [Benchmark]
    public Outcome SendToUnconnected() => unconnected.Run(plain);

    /// <summary>The same, to 198.51.100.7 and 198.51.100.8 in turn: the route lookup keeps the answer of the last flow
    /// only (Net.Route), so every send here looks its route up in full.</summary>
    [Benchmark]
    public Outcome SendToTwoDestinations() => alternating.Run(twoDestinations[turn++ & 1]);

    /// <summary>sendto(s, 100 bytes, 0, NULL, 0) on a connected socket: the cached route, the socket's identification counter.</summary>
    [Benchmark]
    public Outcome SendConnected() => connected.Run(toPeer);

    /// <summary>A corked send and its push, two operations: sendto 100 bytes with MSG_MORE (appended, nothing sent),
    /// then sendto 100 bytes without it (appended and pushed: one datagram of 200 bytes). Op/s counts the pairs.</summary>
    [Benchmark]
    public Outcome CorkedSendAndPush()
    {
        corked.Run(more);
        return corked.Run(plain);
    }

    /// <summary>sendto of 3000 bytes on MTU 1500: one datagram in three fragments.</summary>
    [Benchmark]
    public Outcome FragmentingSend() => fragmenting.Run(large);
}

/// <summary>
/// The plain unconnected send through the suite's comparison path, as <c>DifferentialRun.Step</c> judges a step: the
/// model's prediction, then <see cref="StepJudge.Judge"/> against an observation equal to the prediction (rendered by
/// <see cref="ModelTarget.Observe"/> with the symbols bound as they were made). The step's text and expectation are
/// made once, as a case's are (a fuzz step writes its line with CaseWriter each time: not counted here).
/// </summary>
[MemoryDiagnoser]
[InvocationCount(Invocations)]
public class JudgedStep
{
    /// <summary>Steps per iteration: JudgeOnly's, predicted beforehand, stay in memory for the iteration (~70 MB).</summary>
    public const int Invocations = 1 << 16;

    private readonly SendToOp plain = ModelBenchmarks.SendTo(100);
    private readonly Step step;
    private Model model = null!;
    private StepJudge judge = null!;
    private Bindings chosen = null!;
    private int bound;
    private (Outcome Predicted, Observation Observed)[] prepared = [];
    private StepJudge preparedJudge = null!;
    private int next;

    public JudgedStep() => step = new Step(0, new SourcePosition("bench", 1, 1), CaseWriter.Operation(plain), plain, new StepExpectation());

    [GlobalSetup]
    public void Check()
    {
        Fresh();
        var verdict = StepModelAndJudge();
        if (verdict.Kind != VerdictKind.Pass || verdict.ExpectedPackets.Count != 1)
            throw new InvalidOperationException($"the judged step is {verdict.Kind}: {string.Join("; ", verdict.Problems)}");
        Prepare(16);
        if (JudgeOnly().Kind != VerdictKind.Pass) throw new InvalidOperationException("the prepared step does not pass");
    }

    [IterationSetup(Targets = [nameof(StepModelAndJudge), nameof(StepModelAndObserve)])]
    public void Fresh()
    {
        model = ModelBenchmarks.NewModel(connected: false);
        judge = new StepJudge(model.Symbols, "model");
        chosen = new Bindings();
        bound = 0;
    }

    /// <summary>JudgeOnly's steps, predicted and observed beforehand on a model of their own, judged in order by a
    /// judge of that model: the judge alone.</summary>
    [IterationSetup(Target = nameof(JudgeOnly))]
    public void Prepare() => Prepare(Invocations);

    private void Prepare(int steps)
    {
        prepared = [];
        var ahead = ModelBenchmarks.NewModel(connected: false);
        var aheadBindings = new Bindings();
        var aheadBound = 0;
        prepared = new (Outcome, Observation)[steps];
        for (var i = 0; i < prepared.Length; i++)
        {
            var predicted = ahead.Run(plain);
            prepared[i] = (predicted, ModelTarget.Observe(predicted, Bind(ahead, aheadBindings, ref aheadBound)));
        }
        preparedJudge = new StepJudge(ahead.Symbols, "model");
        next = 0;
    }

    /// <summary>The target's values for the symbols made since the last step (each its lowest admitted value): what
    /// a target that chose them reports, without re-binding every symbol of the run each step as
    /// <c>Bindings.FromSeed</c> does.</summary>
    private static Bindings Bind(Model model, Bindings bindings, ref int bound)
    {
        for (; bound < model.Symbols.Count; bound++) bindings.TryBind(model.Symbols[bound], model.Symbols[bound].Low);
        return bindings;
    }

    /// <summary>The model's step, the observation rendered from it, and the judge: the in-process cost of a judged step.</summary>
    [Benchmark]
    public StepVerdict StepModelAndJudge()
    {
        var predicted = model.Run(plain);
        var observed = ModelTarget.Observe(predicted, Bind(model, chosen, ref bound));
        return judge.Judge(step, predicted, observed);
    }

    /// <summary>The model's step and the observation rendered from it, without the judge (what the judge adds is the
    /// difference from <see cref="StepModelAndJudge"/>).</summary>
    [Benchmark]
    public Observation StepModelAndObserve()
    {
        var predicted = model.Run(plain);
        return ModelTarget.Observe(predicted, Bind(model, chosen, ref bound));
    }

    /// <summary><see cref="StepJudge.Judge"/> alone, on steps predicted and rendered in the iteration's setup.</summary>
    [Benchmark]
    public StepVerdict JudgeOnly()
    {
        var (predicted, observed) = prepared[next++];
        return preparedJudge.Judge(step, predicted, observed);
    }
}

/// <summary>
/// The kernel target's counter read, which every step makes (<see cref="Udpconf.Suite.Targets.Kernel.SnmpCounters"/>):
/// the read of /proc/thread-self/net/snmp with its parse, and the parse alone, on this process's namespace (the file
/// has the same shape in every namespace). No root needed.
/// </summary>
[MemoryDiagnoser]
public class CounterRead
{
    private readonly Udpconf.Suite.Targets.Kernel.SnmpCounters counters = new();
    private byte[] text = [];

    [GlobalSetup]
    public void Setup() => text = File.ReadAllBytes("/proc/thread-self/net/snmp");

    [GlobalCleanup]
    public void Cleanup() => counters.Dispose();

    /// <summary>One pread of the whole file into the kept buffer, parsed in place (as each step does).</summary>
    [Benchmark]
    public CounterDelta ReadAndParse() => counters.Current();

    /// <summary>The parse of the four counters alone.</summary>
    [Benchmark]
    public CounterDelta ParseOnly() => Udpconf.Suite.Targets.Kernel.SnmpCounters.Parse(text);
}
