using System.Runtime.CompilerServices;

namespace Udpconf.Reference;

/// <summary>The value of a step that has nothing to give but "go on".</summary>
public readonly record struct Nothing;

/// <summary>
/// Where and why the model stops an operation: the answer's kind (an error, a kernel fault, a send that blocks, an
/// early return, an unmodeled path), the clause that decided it and the site it was decided at. The site is reported
/// to the clause recorder when the stop is made, so switches read before it are credited to this clause; the
/// operation's <see cref="Call"/> turns it into the <see cref="Outcome"/> (<c>Call.Finish</c>), with the trace and
/// side effects gathered up to then.
/// </summary>
public sealed record Stop
{
    private Stop(OutcomeKind kind, Clause clause, ClauseSite site)
    {
        Kind = kind;
        Clause = clause;
        Site = site;
    }

    public OutcomeKind Kind { get; }
    /// <summary>The clause id that decided the stop.</summary>
    public Clause Clause { get; }
    /// <summary>Where in the model it was decided.</summary>
    public ClauseSite Site { get; }
    public Errno? Error { get; private init; }
    /// <summary>The value returned, for an early <see cref="Return"/>.</summary>
    public long Value { get; private init; }
    /// <summary>Why, when the clause alone does not say (Unmodeled, KernelFault, Blocks).</summary>
    public string? Note { get; private init; }

    public bool IsError => Kind == OutcomeKind.Error;

    /// <summary>The call fails with <paramref name="errno"/>.</summary>
    public static Stop Fail(Errno errno, Clause clause, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "") =>
        new(OutcomeKind.Error, clause, ClauseSite.Decided(clause, file, line, member)) { Error = errno };

    /// <summary>The call returns <paramref name="value"/> early.</summary>
    public static Stop Return(long value, Clause clause, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "") =>
        new(OutcomeKind.Value, clause, ClauseSite.Decided(clause, file, line, member)) { Value = value };

    public static Stop Fault(Clause clause, string note, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "") =>
        new(OutcomeKind.KernelFault, clause, ClauseSite.Decided(clause, file, line, member)) { Note = note };

    public static Stop Blocks(Clause clause, string note, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "") =>
        new(OutcomeKind.Blocks, clause, ClauseSite.Decided(clause, file, line, member)) { Note = note };

    public static Stop Unmodeled(Clause clause, string note, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "") =>
        new(OutcomeKind.Unmodeled, clause, ClauseSite.Decided(clause, file, line, member)) { Note = note };
}

/// <summary>
/// The one shape of a step of the model: go on with a value, or <see cref="Stop"/> the operation (a modeled failure
/// is a value, never an exception, and always carries its clause). Callers pass a stop up unchanged, or finish the
/// operation with it.
/// </summary>
public readonly struct Step<T>
{
    private readonly T? value;

    private Step(T? value, Stop? stop)
    {
        this.value = value;
        Stop = stop;
    }

    /// <summary>Null when the operation goes on.</summary>
    public Stop? Stop { get; }
    public T Value => Stop is null ? value! : throw new InvalidOperationException($"the step stopped: {Stop.Kind} [{Stop.Clause}]");

    public static implicit operator Step<T>(T value) => new(value, null);
    public static implicit operator Step<T>(Stop stop) => new(default, stop);
}
