using Udpconf.Suite.Mutation;
using Xunit;

namespace Udpconf.Tests.Mutation;

/// <summary>Stryker's verdicts are judged again, a fresh test process per mutant (<see cref="FreshProcessVerifier"/>).</summary>
public sealed class FreshProcessVerifierTests
{
    // Each mutant in a file of its own, so that no kill hints the tests of another (Hints_are_the_files_killers).
    private static Mutant M(string id, string status, params string[] killedBy) =>
        new($"F{id}.cs", 1, 1, "Equality mutation", "a < b", "a <= b", status, "x", Id: id, KilledBy: killedBy);

    [Fact]
    public void Each_verdict_is_the_fresh_processs_a_named_killer_is_tried_first_and_a_kill_counts_once_confirmed()
    {
        var calls = new List<(string Id, string Methods)>();
        // Mutant 1: its named test fails. 2: its named test passes, another fails. 3: nothing fails (a false kill).
        // 4: a timeout no test confirms. 5: a survivor only a flaky test "kills" (it fails with no mutant on too).
        // 6: a crash. 7: "not covered" (all are, when Stryker had the shell project), judged like the rest, killed.
        // 10: a timeout. 11: a failure naming no test, confirmed by a whole run with no mutant on. 8: another file.
        // 9: not compiled.
        FreshRun Run(string id, IReadOnlyList<string> methods)
        {
            var names = string.Join(",", methods);
            lock (calls) calls.Add((id, names));
            return (id, names) switch
            {
                ("1", "T.A.Named") => new(FreshVerdict.Failed, ["T.A.Named(x: 1)"]),
                ("2", "") => new(FreshVerdict.Failed, ["T.A.Third"]),
                ("5", "") => new(FreshVerdict.Failed, ["T.A.Flaky"]),
                ("-1", "T.A.Flaky") => new(FreshVerdict.Failed, ["T.A.Flaky"]),
                ("6", "") => FreshRun.Of(FreshVerdict.Crashed),
                ("7", "") => new(FreshVerdict.Failed, ["T.B.Kill(a: \"x\")", "T.B.Kill(a: \"y\")"]),
                ("10", "") => FreshRun.Of(FreshVerdict.TimedOut),
                ("11", "") => FreshRun.Of(FreshVerdict.Failed),
                _ => FreshRun.Of(FreshVerdict.Passed),
            };
        }
        var mutants = new[]
        {
            M("1", "Killed", "T.A.Named(x: 1)", "T.A.Named(x: 2)"), M("2", "Killed", "T.A.Other"), M("3", "Killed", "T.A.Other"),
            M("4", "Timeout"), M("5", "Survived"), M("6", "Survived"), M("7", "NoCoverage"), M("8", "Survived") with { File = "B.cs" },
            M("9", "CompileError"), M("10", "Survived"), M("11", "Survived"),
        };

        var judged = new FreshProcessVerifier(Run).Verify(mutants, mutants.Where(m => m.Id != "8").Select(m => m.File).ToArray(), workers: 2, cancellation: TestContext.Current.CancellationToken);

        Assert.Equal(["Killed", "Killed", "Survived", "Survived", "Survived", "RuntimeError", "Killed", "Survived", "CompileError", "Timeout", "Killed"],
            judged.Select(m => m.Status));
        Assert.Equal(["T.A.Named(x: 1)"], judged[0].KilledBy!);
        Assert.Equal(["T.A.Third"], judged[1].KilledBy!);
        Assert.Empty(judged[2].KilledBy!);
        Assert.Equal(["T.B.Kill(a: \"x\")", "T.B.Kill(a: \"y\")"], judged[6].KilledBy!);
        Assert.Empty(judged[10].KilledBy!);
        Assert.Equal(
            [
                ("-1", ""), ("-1", "T.A.Flaky"), ("-1", "T.A.Flaky"), ("-1", "T.A.Named"), ("-1", "T.A.Third"), ("-1", "T.B.Kill"),
                ("1", "T.A.Named"), ("10", ""), ("11", ""), ("2", ""), ("2", "T.A.Other"), ("3", ""), ("3", "T.A.Other"), ("4", ""),
                ("5", ""), ("5", ""), ("6", ""), ("7", ""),
            ],
            calls.OrderBy(c => c.Id, StringComparer.Ordinal).ThenBy(c => c.Methods, StringComparer.Ordinal));
    }

    [Fact]
    public void A_mutant_is_tried_first_with_the_tests_that_killed_most_mutants_of_its_file()
    {
        var calls = new List<(string Id, string Methods)>();
        FreshRun Run(string id, IReadOnlyList<string> methods)
        {
            var names = string.Join(",", methods);
            calls.Add((id, names));
            return (id, names) switch
            {
                ("1", "") => new(FreshVerdict.Failed, ["T.A.K(x: 1)", "T.A.L", "T.A.K(x: 2)"]),
                ("2", "") => new(FreshVerdict.Failed, ["T.A.L"]),
                ("3", "T.A.K,T.A.L") => new(FreshVerdict.Failed, ["T.A.L"]),
                ("4", "T.A.L,T.A.K") => FreshRun.Of(FreshVerdict.TimedOut),
                ("6", "T.A.L,T.A.K") => new(FreshVerdict.Failed, ["T.A.M"]),
                ("-1", "T.A.M") => new(FreshVerdict.Failed, ["T.A.M"]),   // a flaky test
                _ => FreshRun.Of(FreshVerdict.Passed),
            };
        }
        var verifier = new FreshProcessVerifier(Run);
        Mutant In(string file, string id) => M(id, "Survived") with { File = file };
        // One at a time, so that each sees the kills before it. 1: no kill yet in A.cs; T.A.K failed first, and only
        // it is confirmed and counted (T.A.L failed beside it); 2: its hint (T.A.K) passes, T.A.L kills it; 3: killed
        // by its hint, T.A.L now ahead of T.A.K; 4: a hint run that times out is the mutant's verdict; 5: in another
        // file, no hint; 6: its hint run's kill is not confirmed (T.A.M fails with no mutant on), twice.
        var judged = new[] { In("A.cs", "1"), In("A.cs", "2"), In("A.cs", "3"), In("A.cs", "4"), In("B.cs", "5"), In("A.cs", "6") }
            .Select(m => verifier.Verify([m], ["A.cs", "B.cs"], workers: 1, cancellation: TestContext.Current.CancellationToken).Single()).ToArray();

        Assert.Equal(["Killed", "Killed", "Killed", "Timeout", "Survived", "Survived"], judged.Select(m => m.Status));
        Assert.Equal(["T.A.K(x: 1)", "T.A.K(x: 2)"], judged[0].KilledBy!);
        Assert.Equal(["T.A.L", "T.A.K"], verifier.Hints(In("A.cs", "7")));
        Assert.Empty(verifier.Hints(In("B.cs", "7")));
        Assert.Equal(["T.A.X", "T.A.L", "T.A.K"], verifier.Hints(M("7", "Killed", "T.A.X(y: 1)") with { File = "A.cs" }));
        Assert.Equal(
            [
                ("1", ""), ("-1", "T.A.K"),
                ("2", "T.A.K"), ("2", ""), ("-1", "T.A.L"),
                ("3", "T.A.K,T.A.L"), ("-1", "T.A.L"),
                ("4", "T.A.L,T.A.K"),
                ("5", ""),
                ("6", "T.A.L,T.A.K"), ("-1", "T.A.M"), ("6", "T.A.L,T.A.K"), ("-1", "T.A.M"),
            ],
            calls);
    }

    [Fact]
    public void A_resumed_run_takes_the_earlier_verdicts_of_the_same_mutants_and_their_kills_hint_the_rest()
    {
        var calls = new List<(string Id, string Methods)>();
        FreshRun Run(string id, IReadOnlyList<string> methods)
        {
            calls.Add((id, string.Join(",", methods)));
            return id == "3" && methods.Count > 0 ? new(FreshVerdict.Failed, ["T.A.K"]) : FreshRun.Of(FreshVerdict.Passed);
        }
        var log = new[]
        {
            FreshProcessVerifier.VerdictsHeader,
            "1\tA.cs\t4\tEquality mutation\tKilled\tT.A.K(x: 1)\tT.A.L",
            "2\tA.cs\t5\tEquality mutation\tSurvived",
            "7\tA.cs\t9\tEquality mutation\tSurvived",            // the same id on another line: another mutant
            "4\tA.cs\t6\tEqua",                                    // cut short when the run was stopped
            "5\tA.cs\t7\tEquality mutation\tKilled\tN.C.M(a: \"b c\") N.C.Other N.C.M(a: \"d\")",   // the first format
        };
        var earlier = FreshProcessVerifier.ReadVerdicts(log);
        Assert.Equal(["1", "2", "7", "5"], earlier.Select(v => v.Id));
        Assert.Equal(["T.A.K(x: 1)", "T.A.L"], earlier[0].KilledBy);
        Assert.Equal(["N.C.M(a: \"b c\")", "N.C.Other", "N.C.M(a: \"d\")"], earlier[3].KilledBy);

        var mutants = new[]
        {
            M("1", "NoCoverage") with { File = "A.cs", Line = 4 }, M("2", "NoCoverage") with { File = "A.cs", Line = 5 },
            M("3", "NoCoverage") with { File = "A.cs", Line = 8 }, M("7", "NoCoverage") with { File = "A.cs", Line = 10 },
        };
        var judged = new FreshProcessVerifier(Run).Verify(mutants, ["A.cs"], workers: 1, earlier: earlier, cancellation: TestContext.Current.CancellationToken);

        Assert.Equal(["Killed", "Survived", "Killed", "Survived"], judged.Select(m => m.Status));
        Assert.Equal(["T.A.K(x: 1)", "T.A.L"], judged[0].KilledBy!);
        // Only 3 and 7 ran; 3 was tried first with the earlier run's killer of its file: the test that failed first,
        // which confirmed the kill (T.A.L, logged beside it by a run of the first format, hints nothing).
        Assert.Equal([("-1", "T.A.K"), ("3", "T.A.K"), ("7", ""), ("7", "T.A.K")],
            calls.OrderBy(c => c.Id, StringComparer.Ordinal).ThenBy(c => c.Methods, StringComparer.Ordinal));
    }

    [Fact]
    public void A_verdict_logged_with_its_files_code_is_taken_up_by_place_whatever_id_the_mutant_has_now()
    {
        // Another file's change moved every id: the same code, line, column, mutator and replacement name the mutant.
        var calls = new List<string>();
        FreshRun Run(string id, IReadOnlyList<string> methods)
        {
            calls.Add(id);
            return FreshRun.Of(FreshVerdict.Passed);
        }
        var before = new Mutant("A.cs", 4, 9, "Equality mutation", "a < b", "a\t<= b\\n", "Killed", "x", Id: "10", KilledBy: ["T.A.K(x: 1)"]);
        var log = new[]
        {
            FreshProcessVerifier.VerdictsHeader,
            FreshProcessVerifier.Line(before, "c0de"),
            FreshProcessVerifier.Line(before with { Id = "11", Column = 14, Status = "Survived", KilledBy = [] }, "c0de"),
            FreshProcessVerifier.Line(before with { Id = "12", File = "B.cs", Status = "Killed" }, "0ld"),
        };
        Assert.Equal(3, log[1].Split('\t').Length - 6);   // the replacement's tab is escaped: one column
        var earlier = FreshProcessVerifier.ReadVerdicts(log);
        Assert.Equal(("c0de", 9, "a\t<= b\\n", "Killed"), (earlier[0].Code, earlier[0].Column, earlier[0].Replacement, earlier[0].Status));

        var now = new[]
        {
            before with { Id = "40", Status = "NoCoverage", KilledBy = null },               // same place: killed, as logged
            before with { Id = "41", Column = 14, Status = "NoCoverage", KilledBy = null },   // same place: survived
            before with { Id = "42", Replacement = "a > b", Status = "NoCoverage" },          // another replacement
            before with { Id = "12", File = "B.cs", Status = "NoCoverage" },                  // B.cs's code changed
        };
        var codes = new Dictionary<string, string> { ["A.cs"] = "c0de", ["B.cs"] = "new" };
        var judged = new FreshProcessVerifier(Run).Verify(now, ["A.cs", "B.cs"], workers: 1, earlier: earlier,
            cancellation: TestContext.Current.CancellationToken, codes: codes);
        Assert.Equal(["Killed", "Survived", "Survived", "Survived"], judged.Select(m => m.Status));
        Assert.Equal(["T.A.K(x: 1)"], judged[0].KilledBy!);
        Assert.Equal(["12", "42"], calls.Where(c => c != FreshProcessVerifier.NoMutant).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Files_are_judged_one_after_another_in_the_order_given_each_mutant_by_the_next_free_worker()
    {
        var started = new List<string>();
        using var bothStarted = new CountdownEvent(2);
        FreshRun Run(string id, IReadOnlyList<string> methods)
        {
            lock (started) started.Add(id);
            // The first two mutants are judged at once, one by each worker: a worker given half of the list would
            // start on a mutant of the other file.
            if (id is "b1" or "b2")
            {
                bothStarted.Signal();
                Assert.True(bothStarted.Wait(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
            }
            return FreshRun.Of(FreshVerdict.Passed);
        }
        var mutants = new[] { M("a1", "Survived") with { File = "A.cs" }, M("a2", "Survived") with { File = "A.cs" },
            M("b1", "Survived") with { File = "B.cs" }, M("b2", "Survived") with { File = "B.cs" } };
        var judged = new FreshProcessVerifier(Run).Verify(mutants, ["B.cs", "A.cs"], workers: 2,
            cancellation: TestContext.Current.CancellationToken);
        Assert.Equal(["b1", "b2"], started.Take(2).Order(StringComparer.Ordinal));
        Assert.Equal(["a1", "a2"], started.Skip(2).Order(StringComparer.Ordinal));
        Assert.All(judged, m => Assert.Equal("Survived", m.Status));
    }

    [Fact]
    public void A_stopped_run_judges_no_more_and_keeps_no_verdict_its_stop_cut_short()
    {
        // Stopped while mutant 2 is judged: its process, killed by the stop, reads as a crash. Neither that nor
        // anything after it may be logged: a run taken up with --resume would take a crash for the mutant's verdict.
        using var stop = new CancellationTokenSource();
        var calls = new List<string>();
        FreshRun Run(string id, IReadOnlyList<string> methods)
        {
            calls.Add(id);
            if (id != "2") return FreshRun.Of(FreshVerdict.Passed);
            stop.Cancel();
            return FreshRun.Of(FreshVerdict.Crashed);
        }
        var mutants = new[] { M("1", "Survived"), M("2", "Survived"), M("3", "Survived") };
        var logged = new List<Mutant>();
        var judged = new FreshProcessVerifier(Run).Verify(mutants, mutants.Select(m => m.File).ToArray(), workers: 1, logged.Add,
            cancellation: stop.Token);
        Assert.Equal(["1"], logged.Select(m => m.Id));
        Assert.Equal(["1", "2"], calls);
        Assert.Equal(["Survived", "Survived", "Survived"], judged.Select(m => m.Status));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void A_stopped_run_kills_the_test_process_it_waits_for()
    {
        var dir = TempFolders.Create("udpconf-fresh-stop-").FullName;
        var tests = Path.Combine(dir, "Conformance.Tests");
        File.WriteAllText(tests, "#!/bin/sh\nsleep 60 &\necho $! > \"$(dirname \"$0\")/child\"\nwait\necho \"=== TEST EXECUTION SUMMARY ===\"\n");
        File.SetUnixFileMode(tests, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var verdict = FreshProcessVerifier.RunTests(tests, Path.Combine(dir, "scratch"), "4", [], TimeSpan.FromSeconds(60), stop.Token).Verdict;
        Assert.Equal(FreshVerdict.Crashed, verdict);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"the stop took {watch.Elapsed}");
        var child = int.Parse(File.ReadAllText(Path.Combine(dir, "child")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(Directory.Exists($"/proc/{child}") && !File.ReadAllText($"/proc/{child}/stat").Contains(") Z ", StringComparison.Ordinal),
            $"the test process's child {child} outlived the stop");
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void A_test_process_gets_the_mutant_id_and_the_methods_and_its_exit_is_the_verdict()
    {
        var dir = TempFolders.Create("udpconf-fresh-").FullName;
        var tests = Path.Combine(dir, "Conformance.Tests");
        File.WriteAllText(tests, """
            #!/bin/sh
            id=$(od -An -td4 -N4 "$STRYKER_MUTANT_FILE" | tr -d ' ')
            echo "$@" > "$(dirname "$0")/args-$id"
            echo "$TMPDIR" > "$(dirname "$0")/tmpdir-$id"
            mkdir "${TMPDIR:?}/left-behind"
            case $id in 9) exec sleep 30;; 3) echo "Stack overflow."; exit 134;; esac
            case $id in 7) printf '    N.C.M(a: "[FAIL]") [FAIL]\n      Assert.Equal() Failure [FAIL]x\n    N.C.Other [FAIL]\n';; esac
            echo "=== TEST EXECUTION SUMMARY ==="
            case $id in 7) exit 58;; esac
            exit 0
            """.Replace("\r", ""));
        File.SetUnixFileMode(tests, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var scratch = Path.Combine(dir, "scratch");
        FreshRun Run(string id, params string[] methods) =>
            FreshProcessVerifier.RunTests(tests, scratch, id, methods, TimeSpan.FromSeconds(id == "9" ? 1 : 60), cancellation: TestContext.Current.CancellationToken);

        Assert.Equal(FreshVerdict.Passed, Run("5", "T.A.One", "T.B.Two").Verdict);
        Assert.Equal("-stopOnFail -noLogo -noColor -method T.A.One -method T.B.Two", File.ReadAllText(Path.Combine(dir, "args-5")).Trim());
        var failed = Run("7");
        Assert.Equal(FreshVerdict.Failed, failed.Verdict);
        Assert.Equal(["N.C.M(a: \"[FAIL]\")", "N.C.Other"], failed.Failed);
        Assert.Equal(FreshVerdict.Crashed, Run("3").Verdict);
        Assert.Equal(FreshVerdict.TimedOut, Run("9").Verdict);
        Assert.StartsWith(Path.Combine(scratch, "tmp-5"), File.ReadAllText(Path.Combine(dir, "tmpdir-5")).Trim());
        // The mutant files and each process's temporary folder (TMPDIR) are gone.
        Assert.Empty(Directory.GetFileSystemEntries(scratch));
    }

    [Fact]
    public void A_theory_rows_names_come_down_to_its_method_once()
    {
        Assert.Equal(["N.C.M", "N.C.Other"],
            FreshProcessVerifier.Methods(["N.C.M(id: \"a(b)\")", "N.C.M(id: \"c\")", "N.C.Other", " "]));
    }
}
