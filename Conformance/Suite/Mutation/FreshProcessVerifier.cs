using System.Diagnostics;

namespace Udpconf.Suite.Mutation;

/// <summary>What one fresh test process said with a mutant switched on.</summary>
public enum FreshVerdict
{
    /// <summary>Every test it ran passed.</summary>
    Passed,
    /// <summary>A test failed.</summary>
    Failed,
    /// <summary>It ran past the time limit and was killed.</summary>
    TimedOut,
    /// <summary>It ended otherwise (a stack overflow, a crash).</summary>
    Crashed,
}

/// <summary>What one fresh test process said, and the tests it reported failed (by name, as the runner prints them).</summary>
public readonly record struct FreshRun(FreshVerdict Verdict, IReadOnlyList<string> Failed)
{
    public static FreshRun Of(FreshVerdict verdict) => new(verdict, []);
}

/// <summary>
/// Judges Stryker's mutants again, each in a test process of its own. Stryker.NET 5.1's MTP runner reuses a test host
/// for mutant after mutant, and its verdicts depend on that reuse: mutants that no test can tell apart (equivalent ones)
/// come out killed or timed out, depending on how many mutants a host tests (stryker-net issue 3742: the same sources
/// give 96 % under mtp, 60 % under vstest). Measured here: in a run of 330 mutants, two mutants of ClauseId.cs that
/// change nothing came out timed out, and timeouts came in pairs of neighbouring mutants, which the two hosts test at
/// the same moment. So Stryker only makes and compiles the mutants (./udpconf mutate hands it a shell test project
/// whose one test runs no model code, so it tests none of them), and a fresh process switches each on
/// (the mutated model's MutantControl reads the id from STRYKER_MUTANT_FILE, as under Stryker) and runs the tests:
/// <list type="bullet">
/// <item>first only the tests Stryker names as its killers (in a report of a run with the real tests) and those that
/// killed most mutants of its file so far (<see cref="Hints"/>);</item>
/// <item>if they pass (or there are none), every test.</item>
/// </list>
/// A kill counts only when the test that failed first passes again with no mutant on (mutant -1), run at once after: a test
/// that fails for the load of the moment (once, a baseline run beside a full build did) must not kill a mutant. An
/// unconfirmed kill is judged once more from the start; unconfirmed twice, the mutant is a survivor, as no test tells
/// it apart reliably.
/// </summary>
public sealed class FreshProcessVerifier(Func<string, IReadOnlyList<string>, FreshRun> run)
{
    /// <summary>The id that switches no mutant on.</summary>
    public const string NoMutant = "-1";

    /// <summary>The mutants with their status as fresh processes give it (Killed, Survived, Timeout, RuntimeError) and,
    /// for a kill, the tests that failed (KilledBy), for the compiled mutants of <paramref name="files"/> (tested or
    /// reported not covered: a shell project covers none), judged file by file in the order of
    /// <paramref name="files"/>; the others (ignored, not compiled) as they were.</summary>
    /// <remarks><paramref name="earlier"/>: verdicts of a stopped run (<see cref="ReadVerdicts"/>), taken for the mutants
    /// they name instead of judging them again; their kills hint the rest. A verdict logged with its file's code hash
    /// (<paramref name="codes"/>, <see cref="MutationRecord.Hash"/>) names its mutant by place: the same code, line,
    /// column, mutator and replacement, whatever id Stryker gave it this time (ids move when another file's mutants
    /// change). One of the first format names it by id, file, line and mutator (a stopped run of the same code).
    /// <paramref name="cancellation"/>: a stopped run (Ctrl-C, SIGTERM) judges no more mutants, and a verdict reached
    /// after the stop (its process killed by it) is neither reported to <paramref name="done"/> nor kept: it would read
    /// as a crash, and a run taken up with <c>--resume</c> would take it for the mutant's.</remarks>
    public IReadOnlyList<Mutant> Verify(IReadOnlyList<Mutant> mutants, IReadOnlyCollection<string> files, int workers, Action<Mutant>? done = null,
        IReadOnlyList<Verdict>? earlier = null, CancellationToken cancellation = default, IReadOnlyDictionary<string, string>? codes = null)
    {
        var result = mutants.ToArray();
        var known = (earlier ?? []).Where(v => v.Code is null).GroupBy(v => v.Id, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        var placed = (earlier ?? []).Where(v => v.Code is not null).GroupBy(v => v.Place, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        var todo = Enumerable.Range(0, result.Length)
            .Where(i => files.Contains(result[i].File) && result[i].Status is "Killed" or "Survived" or "Timeout" or "RuntimeError" or "NoCoverage" && result[i].Id.Length > 0)
            .ToArray();
        var fresh = new List<int>();
        foreach (var i in todo)
        {
            var m = result[i];
            if ((codes is not null && codes.TryGetValue(m.File, out var code) && placed.TryGetValue(Place(m, code), out var v)) ||
                (known.TryGetValue(m.Id, out v) && v.File == m.File && v.Line == m.Line && v.Mutator == m.Mutator))
            {
                result[i] = m with { Status = v.Status, KilledBy = v.KilledBy };
                if (v.Status == "Killed") Count(m.File, Methods(v.KilledBy).Take(1));   // the test that confirmed it, as when judged
                done?.Invoke(result[i]);
            }
            else fresh.Add(i);
        }
        // In the order of the files given, and one mutant at a time to whichever worker is free (not Parallel.ForEach's
        // default halves of the list, one per worker): files are done one after another, so a stopped run leaves whole
        // files to take up, and no worker idles while the other still has half a run to go.
        var order = files.ToList();
        var queue = fresh.OrderBy(i => order.IndexOf(result[i].File)).ToArray();   // a stable sort: Stryker's order within a file
        Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(queue, System.Collections.Concurrent.EnumerablePartitionerOptions.NoBuffering),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, workers) }, (i, loop) =>
        {
            if (cancellation.IsCancellationRequested)
            {
                loop.Stop();
                return;
            }
            var judged = Judge(result[i]);
            if (cancellation.IsCancellationRequested) return;
            result[i] = judged;
            done?.Invoke(judged);
        });
        return result;
    }

    /// <summary>One line of <c>verdicts.tsv</c>: a judged mutant. <paramref name="Code"/> (its file's code hash),
    /// <paramref name="Column"/> and <paramref name="Replacement"/> are null in a line of the first format.</summary>
    public sealed record Verdict(string Id, string File, int Line, string Mutator, string Status, IReadOnlyList<string> KilledBy,
        string? Code = null, int Column = 0, string? Replacement = null)
    {
        /// <summary>Where the mutant sits in which code: what names it across runs.</summary>
        public string Place => Join(File, Code ?? "", Line, Column, Mutator, Replacement ?? "");
    }

    private static string Place(Mutant m, string code) => Join(m.File, code, m.Line, m.Column, m.Mutator, m.Replacement);

    private static string Join(string file, string code, int line, int column, string mutator, string replacement) =>
        string.Join("\u0001", file, code, line.ToString(System.Globalization.CultureInfo.InvariantCulture),
            column.ToString(System.Globalization.CultureInfo.InvariantCulture), mutator, replacement);

    /// <summary>The header of <c>verdicts.tsv</c>; each line after it is <see cref="Line"/>.</summary>
    public const string VerdictsHeader = "id\tfile\tcode\tline\tcolumn\tmutator\treplacement\tstatus\tkilled by";

    /// <summary>A judged mutant as a line of <c>verdicts.tsv</c>, with its file's code hash <paramref name="code"/>
    /// (the replacement escaped: backslash, tab, line feed, carriage return; the killers a column each).</summary>
    public static string Line(Mutant m, string code) =>
        string.Join("\t", new[]
        {
            m.Id, m.File, code, m.Line.ToString(System.Globalization.CultureInfo.InvariantCulture),
            m.Column.ToString(System.Globalization.CultureInfo.InvariantCulture), m.Mutator, Escape(m.Replacement), m.Status,
        }.Concat(m.KilledBy ?? []));

    private static string Escape(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal);

    private static string Unescape(string text) =>
        System.Text.RegularExpressions.Regex.Replace(text, @"\\[\\tnr]", e => e.Value[1] switch { 't' => "\t", 'n' => "\n", 'r' => "\r", _ => "\\" });

    private static bool IsStatus(string text) => text is "Killed" or "Survived" or "Timeout" or "RuntimeError";

    /// <summary>The verdicts of a <c>verdicts.tsv</c>; lines that are not verdicts (the header, a line cut short when
    /// the run was stopped) are left out. The first format (id, file, line, mutator, status, killers) is read too; its
    /// killers, in one column separated by spaces at first, are split before each qualified name.</summary>
    public static IReadOnlyList<Verdict> ReadVerdicts(IEnumerable<string> lines)
    {
        var verdicts = new List<Verdict>();
        foreach (var line in lines)
        {
            var f = line.Split('\t');
            var invariant = System.Globalization.CultureInfo.InvariantCulture;
            if (f.Length >= 8 && IsStatus(f[7]) && int.TryParse(f[3], invariant, out var at) && int.TryParse(f[4], invariant, out var column))
            {
                verdicts.Add(new Verdict(f[0], f[1], at, f[5], f[7], f.Skip(8).ToArray(), f[2], column, Unescape(f[6])));
                continue;
            }
            if (f.Length < 5 || !int.TryParse(f[2], invariant, out var number) || !IsStatus(f[4]))
                continue;
            var killers = f.Length == 6
                ? System.Text.RegularExpressions.Regex.Split(f[5], @" (?=[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?:\(| |$))").Where(k => k.Length > 0).ToArray()
                : f.Skip(5).ToArray();
            verdicts.Add(new Verdict(f[0], f[1], number, f[3], f[4], killers));
        }
        return verdicts;
    }

    /// <summary>How many of a file's killers a mutant of that file is tried with first.</summary>
    public const int HintCount = 8;

    /// <summary>The test methods that killed mutants of each file so far, with how many each killed.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, System.Collections.Concurrent.ConcurrentDictionary<string, int>> killers = new(StringComparer.Ordinal);

    /// <summary>The methods a mutant is tried with before every test: those Stryker says killed it, then the tests
    /// that killed most mutants of its file so far in this run (neighbouring mutants fall to the same tests, and a
    /// run of a few methods takes seconds where a run of every test takes tens of them).</summary>
    public IReadOnlyList<string> Hints(Mutant mutant)
    {
        var named = mutant.Status == "Killed" ? Methods(mutant.KilledBy ?? []) : [];
        var file = killers.TryGetValue(mutant.File, out var counts)
            ? counts.ToArray().OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Select(c => c.Key).Take(HintCount)
            : [];
        return named.Concat(file).Distinct(StringComparer.Ordinal).ToArray();
    }

    private void Count(string file, IEnumerable<string> methods)
    {
        var counts = killers.GetOrAdd(file, _ => new(StringComparer.Ordinal));
        foreach (var method in methods) counts.AddOrUpdate(method, 1, (_, n) => n + 1);
    }

    private Mutant Judge(Mutant mutant)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            // The hinted tests first: any verdict but a pass is the mutant's (a timeout or a crash too); a pass says
            // nothing, so then every test.
            var fresh = Hints(mutant) is { Count: > 0 } hints && run(mutant.Id, hints) is { Verdict: not FreshVerdict.Passed } first
                ? first
                : run(mutant.Id, []);
            switch (fresh.Verdict)
            {
                case FreshVerdict.Passed: return mutant with { Status = "Survived", KilledBy = [] };
                case FreshVerdict.TimedOut: return mutant with { Status = "Timeout", KilledBy = [] };
                case FreshVerdict.Crashed: return mutant with { Status = "RuntimeError", KilledBy = [] };
            }
            // Failed: confirmed when the test that failed first passes with no mutant on (all the tests, when none
            // was named). One is enough to tell the mutant apart, and the first to fail is mostly a quick one: a test
            // of the command line that failed beside it (running the cases in a child process) takes seconds more to
            // confirm, and would be tried first on the file's later mutants.
            var confirming = Methods(fresh.Failed).Take(1).ToArray();
            if (run(NoMutant, confirming).Verdict == FreshVerdict.Passed)
            {
                Count(mutant.File, confirming);
                return mutant with { Status = "Killed", KilledBy = fresh.Failed.Where(n => confirming.Contains(Method(n))).ToArray() };
            }
        }
        return mutant with { Status = "Survived", KilledBy = [] };
    }

    /// <summary>The test methods of test names (a theory's row names its arguments in parentheses: the method is kept).</summary>
    public static IReadOnlyList<string> Methods(IEnumerable<string> testNames) =>
        testNames.Select(Method).Where(n => n.Length > 0).Distinct(StringComparer.Ordinal).ToArray();

    private static string Method(string testName) =>
        (testName.IndexOf('(') is var at and >= 0 ? testName[..at] : testName).Trim();

    /// <summary>The line xunit.v3's runner prints before its totals, once every test has ended.</summary>
    public const string Summary = "=== TEST EXECUTION SUMMARY ===";

    /// <summary>How xunit.v3's runner ends the line naming a failed test.</summary>
    private const string FailMark = " [FAIL]";

    /// <summary>Runs started so far, to name each run's files apart.</summary>
    private static int runs;

    /// <summary>
    /// Runs the xunit.v3 test program <paramref name="tests"/> (built against the mutated model) with mutant
    /// <paramref name="id"/> switched on, only <paramref name="methods"/> if any, stopping at the first failure; a run
    /// past <paramref name="limit"/> is killed with its children, and so is one running when <paramref name="cancellation"/>
    /// is signalled (its verdict is then a crash, which <see cref="Verify"/> drops). Stryker's coverage variables are
    /// not passed on.
    /// </summary>
    public static FreshRun RunTests(string tests, string scratch, string id, IReadOnlyList<string> methods, TimeSpan limit,
        CancellationToken cancellation = default)
    {
        Directory.CreateDirectory(scratch);
        // Named apart per run (two workers may confirm kills with no mutant on at the same moment), and short: the
        // tests' own scratch paths sit below TMPDIR.
        var run = $"{id}-{Interlocked.Increment(ref runs)}";
        var file = Path.Combine(scratch, $"mutant-{run}");
        File.WriteAllBytes(file, BitConverter.GetBytes(int.Parse(id, System.Globalization.CultureInfo.InvariantCulture)));
        var start = new ProcessStartInfo(tests)
        {
            WorkingDirectory = Path.GetDirectoryName(tests)!,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "-stopOnFail", "-noLogo", "-noColor" }) start.ArgumentList.Add(arg);
        foreach (var method in methods)
        {
            start.ArgumentList.Add("-method");
            start.ArgumentList.Add(method);
        }
        start.Environment["STRYKER_MUTANT_FILE"] = file;
        // Its own temporary folder, removed below: a process killed at the time limit or stopped at its first failure
        // leaves its scratch folders behind.
        var temp = Directory.CreateDirectory(Path.Combine(scratch, $"tmp-{run}")).FullName;
        start.Environment["TMPDIR"] = temp;
        start.Environment.Remove("STRYKER_COVERAGE_FILE");
        start.Environment.Remove("STRYKER_COVERAGE_EPOCH_FILE");
        try
        {
            using var process = Process.Start(start)!;
            using var stop = cancellation.Register(() =>
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // It had exited.
                }
            });
            // The runner's exit code counts failed tests (cancelled ones too, under -stopOnFail), so a crash is told
            // apart by the summary the runner prints last, which a crashed process never reaches.
            var summarized = false;
            var failed = new List<string>();
            var output = Task.Run(() =>
            {
                while (process.StandardOutput.ReadLine() is { } line)
                {
                    if (line.Contains(Summary, StringComparison.Ordinal)) summarized = true;
                    // A few names are enough to confirm or show a kill; the output is read to its end either way.
                    else if (line.EndsWith(FailMark, StringComparison.Ordinal) && failed.Count < 20) failed.Add(line[..^FailMark.Length].Trim());
                }
            });
            var error = process.StandardError.BaseStream.CopyToAsync(Stream.Null);
            if (!process.WaitForExit(limit))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                return FreshRun.Of(FreshVerdict.TimedOut);
            }
            Task.WaitAll(output, error);
            return !summarized ? FreshRun.Of(FreshVerdict.Crashed)
                : process.ExitCode == 0 ? FreshRun.Of(FreshVerdict.Passed)
                : new FreshRun(FreshVerdict.Failed, failed);
        }
        finally
        {
            File.Delete(file);
            try
            {
                Directory.Delete(temp, recursive: true);
            }
            catch (IOException)
            {
                // A child of the killed process still writing: the folder stays under the run's output.
            }
        }
    }
}
