using Udpconf.Suite.Mutation;
using Xunit;

namespace Udpconf.Tests.Mutation;

/// <summary>Stryker's verdicts are judged again, a fresh test process per mutant (<see cref="FreshProcessVerifier"/>).</summary>
public sealed class FreshProcessVerifierTests
{
    private static Mutant M(string id, string status, params string[] killedBy) =>
        new("A.cs", 1, 1, "Equality mutation", "a < b", "a <= b", status, "x", Id: id, KilledBy: killedBy);

    [Fact]
    public void Each_verdict_is_the_fresh_processs_and_a_named_killer_is_tried_first()
    {
        var calls = new List<(string Id, string Methods)>();
        // Mutant 1: its named test fails. 2: its named test passes, another fails. 3: nothing fails (a false kill).
        // 4: a timeout no test confirms. 5: a survivor a test kills. 6: a crash. 7: "not covered" (all are, when Stryker
        // had the shell project), judged like the rest. 8: another file. 9: not compiled.
        FreshVerdict Run(string id, IReadOnlyList<string> methods)
        {
            lock (calls) calls.Add((id, string.Join(",", methods)));
            return (id, methods.Count) switch
            {
                ("1", 1) => FreshVerdict.Failed,
                ("2", 0) => FreshVerdict.Failed,
                ("5", 0) => FreshVerdict.Failed,
                ("6", 0) => FreshVerdict.Crashed,
                ("4", 0) => FreshVerdict.Passed,
                _ => FreshVerdict.Passed,
            };
        }
        var mutants = new[]
        {
            M("1", "Killed", "T.A.Named(x: 1)", "T.A.Named(x: 2)"), M("2", "Killed", "T.A.Other"), M("3", "Killed", "T.A.Other"),
            M("4", "Timeout"), M("5", "Survived"), M("6", "Survived"), M("7", "NoCoverage"), M("8", "Survived") with { File = "B.cs" }, M("9", "CompileError"),
        };

        var judged = new FreshProcessVerifier(Run).Verify(mutants, ["A.cs"], workers: 2);

        Assert.Equal(["Killed", "Killed", "Survived", "Survived", "Killed", "RuntimeError", "Survived", "Survived", "CompileError"], judged.Select(m => m.Status));
        Assert.Equal(
            [("1", "T.A.Named"), ("2", ""), ("2", "T.A.Other"), ("3", ""), ("3", "T.A.Other"), ("4", ""), ("5", ""), ("6", ""), ("7", "")],
            calls.Order());
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
            echo "=== TEST EXECUTION SUMMARY ==="
            case $id in 7) exit 58;; esac
            exit 0
            """.Replace("\r", ""));
        File.SetUnixFileMode(tests, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var scratch = Path.Combine(dir, "scratch");
        FreshVerdict Run(string id, params string[] methods) =>
            FreshProcessVerifier.RunTests(tests, scratch, id, methods, TimeSpan.FromSeconds(id == "9" ? 1 : 60));

        Assert.Equal(FreshVerdict.Passed, Run("5", "T.A.One", "T.B.Two"));
        Assert.Equal("-stopOnFail -noLogo -noColor -method T.A.One -method T.B.Two", File.ReadAllText(Path.Combine(dir, "args-5")).Trim());
        Assert.Equal(FreshVerdict.Failed, Run("7"));
        Assert.Equal(FreshVerdict.Crashed, Run("3"));
        Assert.Equal(FreshVerdict.TimedOut, Run("9"));
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
