using Udpconf.Suite.Reports;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;

namespace Udpconf.Suite.Cases;

/// <summary>A place in a case file, for messages of the form <c>file:line:column: problem</c>; the file's name is
/// shown with its control characters escaped (<see cref="Udpconf.Suite.Reports.SafeText"/>).</summary>
public readonly record struct SourcePosition(string File, int Line, int Column)
{
    public override string ToString() => $"{SafeText.Line(File)}:{Line}:{Column}";
}

/// <summary>A problem found in a case file. The problem quotes words of the file: its control characters are
/// escaped here, where every diagnostic is made, so that no diagnostic can carry one to a terminal or a report.</summary>
public sealed record Diagnostic(SourcePosition Position, string Problem)
{
    private readonly string problem = SafeText.Line(Problem);

    /// <summary>Escaped however it is set (escaping twice changes nothing: the escapes are printable).</summary>
    public string Problem { get => problem; init => problem = SafeText.Line(value); }

    public override string ToString() => $"{Position}: {Problem}";
}

/// <summary>What a step must return: a value, one errno of a declared set, a kernel fault or a send that blocks;
/// optionally the clause that decides it.</summary>
public sealed record ResultExpectation(
    long? Value,
    IReadOnlyList<Errno> Errnos,
    OutcomeKind Kind,
    Clause? Clause,
    ReadOnlyMemory<byte>? OptionValue = null,
    SymbolicBytes? SymbolicOption = null)
{
    public override string ToString() => Kind switch
    {
        OutcomeKind.Value => Value?.ToString() ?? "a value",
        OutcomeKind.Error => string.Join("|", Errnos),
        OutcomeKind.KernelFault => "fault",
        OutcomeKind.Blocks => "blocks",
        _ => Kind.ToString(),
    } + (Clause is null ? "" : $" [{Clause}]");
}

/// <summary>Fields of one packet that a step expects; unnamed fields are not checked by the case itself (the
/// comparison with the model still checks every byte).</summary>
public sealed record PacketExpectation(int Index, IReadOnlyDictionary<string, string> Fields, SourcePosition Position);

/// <summary>Everything a step's expectation lines say.</summary>
public sealed record StepExpectation
{
    public ResultExpectation? Result { get; init; }
    /// <summary>The number of packets that must appear on the wire (0 for <c>wire: none</c>); null: not said.</summary>
    public int? PacketCount { get; init; }
    public IReadOnlyList<PacketExpectation> Packets { get; init; } = [];
    /// <summary>Counter changes this step must cause (OutDatagrams, OutDiscards, SndbufErrors, OutNoRoutes).</summary>
    public IReadOnlyDictionary<Counter, int> Counters { get; init; } = new Dictionary<Counter, int>();
    /// <summary>The entries this step must leave on the socket's error queue (IP_RECVERR), in order; empty for
    /// <c>errqueue: none</c>; null: not said.</summary>
    public IReadOnlyList<ErrorQueueEntry>? ErrorQueue { get; init; }
}

/// <summary>One operation of a case with what it must give.</summary>
public sealed record Step(int Index, SourcePosition Position, string Text, Operation Operation, StepExpectation Expectation);

/// <summary>
/// A conformance case: which clauses it checks, for which profiles, with which optional features, on which host,
/// and its steps. A case knows nothing of who runs it.
/// </summary>
public sealed record Case
{
    /// <summary>Path relative to the cases folder, with '/' separators and no extension (its id).</summary>
    public required string Id { get; init; }
    public required string File { get; init; }
    public string Title { get; init; } = "";
    public IReadOnlyList<string> Clauses { get; init; } = [];
    public IReadOnlyList<string> Profiles { get; init; } = ["spec", "linux"];
    public IReadOnlyList<Feature> Features { get; init; } = [];
    public HostConfig Host { get; init; } = HostConfig.Default;
    public IReadOnlyList<Step> Steps { get; init; } = [];

    public bool AppliesTo(string profile) => Profiles.Contains(profile) || Inherits(profile);

    /// <summary>The case is for <paramref name="profile"/> only through its family: a kernel line (linux-6.1) runs the
    /// cases written for linux, whose own expectations describe the newest kernel.</summary>
    public bool Inherits(string profile) =>
        !Profiles.Contains(profile) && Reference.Profile.Find(profile)?.Family is { } family && Profiles.Contains(family);

    /// <summary>The features a target must have to run the case: those it names, and those its operations imply
    /// (<see cref="Feature.ImpliedBy"/>: the operations of protocol version 2).</summary>
    public IReadOnlyList<Feature> Requires => Features.Concat(Feature.ImpliedByHost(Host))
        .Concat(Steps.SelectMany(step => Feature.ImpliedBy(step.Operation))).Distinct().ToArray();
}
