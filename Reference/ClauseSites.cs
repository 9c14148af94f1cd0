using System.Runtime.CompilerServices;

namespace Udpconf.Reference;

/// <summary>Where in the model a clause was decided or passed: the source file (as the compiler saw it), line and
/// member of the call that recorded it.</summary>
public readonly record struct ClauseSite(string File, int Line, string Member)
{
    /// <summary>Where a <see cref="Stop"/> that carries <paramref name="clause"/> to be recorded later decided it: the
    /// caller. The site is reported at once, so the switches read before it are credited
    /// to this clause and the outcome names where the clause was decided, not where it was relayed.</summary>
    public static ClauseSite Decided(Clause clause, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        var site = new ClauseSite(file, line, member);
        ClauseRecorder.Record(clause, site);
        return site;
    }
}

/// <summary>
/// Listens to the model while it runs, for spec-map: the site of every clause recorded (<see cref="Call"/> reports
/// them) and the profile switches read before each (<see cref="Profile"/> reports the reads). The model states a
/// clause after the code that decides it, so a switch read is credited to the next clause the same thread records.
/// Nothing listens outside spec-map: the thread's recorder is then null and the model pays one null check.
/// </summary>
public sealed class ClauseRecorder : IDisposable
{
    [ThreadStatic] private static ClauseRecorder? current;
    /// <summary>Recorders started and not yet disposed, on any thread: while there are none, the model's clauses and
    /// switch reads skip the thread-static read (a thread-local lookup on Linux; issue 17, the model's step).</summary>
    private static int listening;

    private readonly ClauseRecorder? outer;
    private readonly HashSet<string> pendingReads = [];

    /// <summary>Every site each clause was recorded at.</summary>
    public Dictionary<Clause, HashSet<ClauseSite>> Sites { get; } = new();

    /// <summary>The switches read under each clause.</summary>
    public Dictionary<Clause, HashSet<string>> ReadsUnder { get; } = new();

    private ClauseRecorder()
    {
        outer = current;
        Interlocked.Increment(ref listening);
    }

    /// <summary>Starts listening on this thread until the recorder is disposed.</summary>
    public static ClauseRecorder Start() => current = new ClauseRecorder();

    public void Dispose()
    {
        current = outer;
        Interlocked.Decrement(ref listening);
    }

    /// <summary>Forgets the reads credited so far (ReadsUnder); sites are kept.</summary>
    public void ClearReads()
    {
        ReadsUnder.Clear();
        pendingReads.Clear();
    }

    /// <summary>Credits reads made after the last recorded clause of an operation to the clause that decided it.</summary>
    public void EndOperation(Clause decidingClause) => Credit(decidingClause);

    // The checks of listening are inlined where the model records (every clause and switch read of a send), the rest
    // is not: calls that did nothing were a twentieth of a plain send's time under perf (issue 17).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Record(Clause clause, ClauseSite site)
    {
        if (Volatile.Read(ref listening) != 0) RecordHeard(clause, site);
    }

    private static void RecordHeard(Clause clause, ClauseSite site)
    {
        if (current is not { } recorder) return;
        if (!recorder.Sites.TryGetValue(clause, out var sites)) recorder.Sites[clause] = sites = [];
        sites.Add(site);
        recorder.Credit(clause);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void SwitchRead(string name)
    {
        if (Volatile.Read(ref listening) != 0) SwitchReadHeard(name);
    }

    private static void SwitchReadHeard(string name) => current?.pendingReads.Add(name);

    private void Credit(Clause clause)
    {
        if (pendingReads.Count == 0) return;
        if (!ReadsUnder.TryGetValue(clause, out var reads)) ReadsUnder[clause] = reads = [];
        reads.UnionWith(pendingReads);
        pendingReads.Clear();
    }
}
