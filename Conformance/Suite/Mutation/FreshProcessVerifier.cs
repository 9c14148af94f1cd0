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
/// <item>a mutant Stryker says killed (in a report of a run with the real tests): first only the tests it names; if
/// they pass, every test;</item>
/// <item>any other compiled mutant (survived, not covered, timed out, crashed): every test.</item>
/// </list>
/// </summary>
public sealed class FreshProcessVerifier(Func<string, IReadOnlyList<string>, FreshVerdict> run)
{
    /// <summary>The mutants with their status as fresh processes give it (Killed, Survived, Timeout, RuntimeError), for
    /// the compiled mutants of <paramref name="files"/> (tested or reported not covered: a shell project covers none);
    /// the others (ignored, not compiled) as they were.</summary>
    public IReadOnlyList<Mutant> Verify(IReadOnlyList<Mutant> mutants, IReadOnlyCollection<string> files, int workers, Action<Mutant>? done = null)
    {
        var result = mutants.ToArray();
        var todo = Enumerable.Range(0, result.Length)
            .Where(i => files.Contains(result[i].File) && result[i].Status is "Killed" or "Survived" or "Timeout" or "RuntimeError" or "NoCoverage" && result[i].Id.Length > 0)
            .ToArray();
        Parallel.ForEach(todo, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, workers) }, i =>
        {
            result[i] = result[i] with { Status = Judge(result[i]) };
            done?.Invoke(result[i]);
        });
        return result;
    }

    private string Judge(Mutant mutant)
    {
        if (mutant.Status == "Killed" && Methods(mutant.KilledBy ?? []) is { Count: > 0 } named && run(mutant.Id, named) == FreshVerdict.Failed)
            return "Killed";
        return run(mutant.Id, []) switch
        {
            FreshVerdict.Failed => "Killed",
            FreshVerdict.Passed => "Survived",
            FreshVerdict.TimedOut => "Timeout",
            _ => "RuntimeError",
        };
    }

    /// <summary>The test methods of test names (a theory's row names its arguments in parentheses: the method is kept).</summary>
    public static IReadOnlyList<string> Methods(IEnumerable<string> testNames) =>
        testNames.Select(n => n.IndexOf('(') is var at and >= 0 ? n[..at] : n).Select(n => n.Trim()).Where(n => n.Length > 0)
            .Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>
    /// Runs the xunit.v3 test program <paramref name="tests"/> (built against the mutated model) with mutant
    /// <paramref name="id"/> switched on, only <paramref name="methods"/> if any, stopping at the first failure; a run
    /// past <paramref name="limit"/> is killed with its children. Stryker's coverage variables are not passed on.
    /// </summary>
    /// <summary>The line xunit.v3's runner prints before its totals, once every test has ended.</summary>
    public const string Summary = "=== TEST EXECUTION SUMMARY ===";

    public static FreshVerdict RunTests(string tests, string scratch, string id, IReadOnlyList<string> methods, TimeSpan limit)
    {
        Directory.CreateDirectory(scratch);
        var file = Path.Combine(scratch, $"mutant-{id}");
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
        var temp = Directory.CreateDirectory(Path.Combine(scratch, $"tmp-{id}")).FullName;
        start.Environment["TMPDIR"] = temp;
        start.Environment.Remove("STRYKER_COVERAGE_FILE");
        start.Environment.Remove("STRYKER_COVERAGE_EPOCH_FILE");
        try
        {
            using var process = Process.Start(start)!;
            // The runner's exit code counts failed tests (cancelled ones too, under -stopOnFail), so a crash is told
            // apart by the summary the runner prints last, which a crashed process never reaches.
            var summarized = false;
            var output = Task.Run(() =>
            {
                while (process.StandardOutput.ReadLine() is { } line)
                    if (line.Contains(Summary, StringComparison.Ordinal)) summarized = true;
            });
            var error = process.StandardError.BaseStream.CopyToAsync(Stream.Null);
            if (!process.WaitForExit(limit))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                return FreshVerdict.TimedOut;
            }
            Task.WaitAll(output, error);
            return !summarized ? FreshVerdict.Crashed : process.ExitCode == 0 ? FreshVerdict.Passed : FreshVerdict.Failed;
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
