using Udpconf.Reference;
using Udpconf.Reference.Ip;
using Udpconf.Reference.Symbols;
using Udpconf.Reference.Wire;
using Udpconf.Suite.Targets;

namespace Udpconf.Suite.Compare;

/// <summary>
/// Compares the model's prediction for a step with what a target did: the result, then every packet byte for byte
/// after binding the prediction's symbols (identification, ephemeral port) to the values the target chose.
/// <paramref name="symbols"/> is the model's own list, which grows as a run goes on: a comparer made before the
/// predictions (a differential run predicts step by step) still finds every symbol.
/// </summary>
public sealed class Comparer(IReadOnlyList<Symbol> symbols, Bindings bindings)
{
    private readonly Dictionary<string, Symbol> byName = [];
    private int indexed;

    private bool TryFind(string name, out Symbol symbol)
    {
        for (; indexed < symbols.Count; indexed++) byName.Add(symbols[indexed].Name, symbols[indexed]);
        return byName.TryGetValue(name, out symbol!);
    }

    /// <summary>Packets on lo never reach a captured link, so neither side's count them.</summary>
    public static bool OnWire(string link) => link != "lo";

    /// <returns>The differences, the expected packet bytes, and notes on answers that are allowed but depend on the
    /// implementation's build (an <see cref="Alternative"/> of the prediction was observed).</returns>
    /// <param name="counters">The counter changes the observation's counters are to equal: the prediction's for a step
    /// read alone; the sum of the predictions of the steps a read covers (<see cref="Observation.CounterSteps"/>); null:
    /// the counters are not compared (<see cref="StepJudge"/> says why).</param>
    public (List<Problem> Problems, List<byte[]> Expected, List<string> Notes) Compare(Outcome predicted, Observation observed, CounterDelta? counters)
    {
        var problems = new List<Problem>();
        var notes = new List<string>();
        CompareResult(predicted, observed, problems, notes);

        var datagrams = OnWireOnly(predicted.Datagrams, d => d.Interface);
        var packets = OnWireOnly(observed.Packets, p => p.Interface);
        var expectedCount = 0;
        foreach (var datagram in datagrams) expectedCount += datagram.PacketCount;
        if (expectedCount != packets.Count)
            problems.Add(new Problem(ProblemSource.Model, "packets", $"{expectedCount} packet(s)", $"{packets.Count} packet(s)", predicted.Clause));

        var expected = new List<byte[]>(expectedCount);
        var at = 0;
        foreach (var datagram in datagrams)
        {
            if (at < packets.Count) Bind(datagram, packets[at].Bytes, problems);
            // Only this datagram's own symbols need a placeholder: completing every symbol made the comparison
            // quadratic in the case's length (BENCHMARKS.md).
            var rendered = datagram.Render(SymbolsOf(datagram).All(symbol => bindings.IsBound(symbol.Name)) ? bindings : bindings.CompletedWith(SymbolsOf(datagram)));
            for (var i = 0; i < rendered.Count; i++, at++)
            {
                expected.Add(rendered[i]);
                if (at >= packets.Count) continue;
                if (packets[at].Interface != datagram.Interface)
                    problems.Add(new Problem(ProblemSource.Model, $"packet {at + 1} link", datagram.Interface, packets[at].Interface, ClauseId.Route));
                // Equal bytes have no differences: the usual case asks PacketDiff for nothing.
                if (rendered[i].AsSpan().SequenceEqual(packets[at].Bytes)) continue;
                foreach (var difference in PacketDiff.Differences(rendered[i], packets[at].Bytes))
                    problems.Add(new Problem(ProblemSource.Model, $"packet {at + 1} {difference.Field}", difference.Expected, difference.Observed, difference.Clause));
            }
        }

        if (observed.Counters is { } seen && counters is { } wanted && seen != wanted)
            problems.Add(new Problem(ProblemSource.Model, observed.CounterSteps == 1 ? "counters" : $"counters over the last {observed.CounterSteps} steps",
                Cases.Counters.Describe(wanted), Cases.Counters.Describe(seen), ClauseId.UdpResult));
        if (observed.ErrorQueue is { } queue && !queue.SequenceEqual(predicted.ErrorQueue))
            problems.Add(new Problem(ProblemSource.Model, "error queue", ErrorQueue(predicted.ErrorQueue), ErrorQueue(queue), predicted.Clause));
        return (problems, expected, notes);
    }

    /// <summary>The items on a captured link (<see cref="OnWire"/>), in order: the list itself when all are, as they
    /// nearly always are (a step's judging allocates no copy then).</summary>
    private static IReadOnlyList<T> OnWireOnly<T>(IReadOnlyList<T> items, Func<T, string> link)
    {
        for (var i = 0; i < items.Count; i++)
            if (!OnWire(link(items[i])))
            {
                var kept = new List<T>(items.Count - 1);
                for (var j = 0; j < items.Count; j++) if (OnWire(link(items[j]))) kept.Add(items[j]);
                return kept;
            }
        return items;
    }

    /// <summary>Error-queue entries as case files write them (<c>errqueue:</c> lines), joined with "; ".</summary>
    public static string ErrorQueue(IReadOnlyList<ErrorQueueEntry> entries) =>
        entries.Count == 0 ? "none" : string.Join("; ", entries.Select(e => e.Describe()));

    private void CompareResult(Outcome predicted, Observation observed, List<Problem> problems, List<string> notes)
    {
        var expected = predicted.Kind switch
        {
            OutcomeKind.Value => predicted.Value.ToString(),
            OutcomeKind.Error => predicted.Error.ToString()!,
            OutcomeKind.KernelFault => "fault",
            OutcomeKind.Blocks => "blocks",
            _ => predicted.Kind.ToString(),
        };
        var answer = observed.Describe();
        if (expected != answer && Allowed(predicted, answer) is { } allowed)
            notes.Add($"{allowed.Error} instead of {expected} [{predicted.Clause}]: allowed, the answer of {allowed.DependsOn}");
        else if (expected != answer)
            problems.Add(new Problem(ProblemSource.Model, "result", expected, answer, predicted.Clause));
        else if (predicted.OptionValue is { } option && (observed.OptionValue is not { } got || !option.Span.SequenceEqual(got.Span)))
            problems.Add(new Problem(ProblemSource.Model, "option value", Convert.ToHexString(option.Span),
                observed.OptionValue is { } value ? Convert.ToHexString(value.Span) : "none", predicted.Clause));
        else if (predicted.SymbolicOption is { } symbolic && TryFind(symbolic.Symbol, out var symbol) && !Bind(symbolic, symbol, observed.OptionValue))
            problems.Add(new Problem(ProblemSource.Model, "option value", Explain(symbolic, symbol),
                observed.OptionValue is { } value ? Convert.ToHexString(value.Span) : "none", predicted.Clause));
    }

    /// <summary>The first of the prediction's alternatives that is the answer the target gave, if any.</summary>
    private static Alternative? Allowed(Outcome predicted, string answer)
    {
        foreach (var alternative in predicted.Alternatives)
            if (alternative.Error.ToString() == answer) return alternative;
        return null;
    }

    /// <summary>Binds the symbol the option bytes depend on to the one candidate that renders what the target returned
    /// (several: it stays unbound, to be told apart later); false when none does, or the binding made before does not.</summary>
    private bool Bind(SymbolicBytes symbolic, Symbol symbol, ReadOnlyMemory<byte>? observed)
    {
        if (observed is not { } got) return false;
        if (bindings.IsBound(symbol.Name)) return symbolic.Render(bindings[symbol.Name]).AsSpan().SequenceEqual(got.Span);
        var candidates = symbol.Candidates ?? (symbolic.Solve(got.Span) is { } solved ? [solved] : []);
        var matching = candidates.Where(value => symbolic.Render(value).AsSpan().SequenceEqual(got.Span)).ToArray();
        return matching.Length > 1 || matching.Length == 1 && bindings.TryBind(symbol, matching[0]);
    }

    private string Explain(SymbolicBytes symbolic, Symbol symbol) =>
        bindings.IsBound(symbol.Name)
            ? $"{symbolic.Describe()} at {symbol.Name} = {bindings[symbol.Name]}: {Convert.ToHexString(symbolic.Render(bindings[symbol.Name]))}"
            : $"{symbolic.Describe()} at {symbol.Name} in {symbol.Values}";

    /// <summary>Binds the datagram's symbols to the first observed fragment's identification and source port.</summary>
    private void Bind(Datagram datagram, byte[] observed, List<Problem> problems)
    {
        var packet = Packet.Parse(observed);
        if (!packet.IsIpv4) return;
        if (datagram.Ident.Symbol is { } identName && TryFind(identName, out var ident))
        {
            var value = packet.Ip.Identification;
            if (!bindings.TryBind(ident, datagram.Ident, value))
                problems.Add(new Problem(ProblemSource.Model, "identification", Explain(ident, datagram.Ident.Step), $"0x{value:x4}", ClauseId.IpHeader));
        }
        if (datagram.SourcePort.Symbol is { } portName && TryFind(portName, out var port) && packet.Udp is { } udp)
        {
            var value = udp.SourcePort;
            if (!bindings.TryBind(port, value))
                problems.Add(new Problem(ProblemSource.Model, "source port", Explain(port, 0), value.ToString(), ClauseId.Autobind));
        }
    }

    private IEnumerable<Symbol> SymbolsOf(Datagram datagram)
    {
        if (datagram.Ident.Symbol is { } ident && TryFind(ident, out var identSymbol)) yield return identSymbol;
        if (datagram.SourcePort.Symbol is { } port && TryFind(port, out var portSymbol)) yield return portSymbol;
    }

    private string Explain(Symbol symbol, int step) =>
        bindings.IsBound(symbol.Name)
            ? $"{symbol.Name}+{step} = 0x{(ushort)(bindings[symbol.Name] + step):x4}"
            : $"{symbol.Name} in {symbol.Values}";
}
