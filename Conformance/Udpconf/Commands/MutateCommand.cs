using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using Udpconf.Suite.Mutation;

namespace Udpconf.Cli.Commands;

/// <summary>
/// Mutation testing of the model: Stryker.NET (the repository's local tool, Reference/stryker-config.json) mutates
/// Reference/ and runs the tests that can kill a mutant of the model; the result of every file it mutated replaces that
/// file's entry in reports/mutation.json and .md, with the equivalent mutants of Reference/equivalent-mutants.json
/// named as such. Exit 0 when every recorded survivor is explained, 1 when one is not, 2 on a usage or tool error.
/// </summary>
public sealed class MutateCommand(CliIo io) : Command<MutateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--file <PATH>")]
        [Description("A file of Reference/ to mutate (relative to Reference/, repeatable). Default: every file.")]
        public string[] Files { get; set; } = [];

        [CommandOption("--since <REF>")]
        [Description("Mutate only the files of Reference/ that differ from the git revision REF (committed or not).")]
        public string? Since { get; set; }

        [CommandOption("--stale")]
        [Description("Mutate only the files whose recorded measurement is missing or was made on other text.")]
        public bool Stale { get; set; }

        [CommandOption("--report <JSON>")]
        [Description("Record an existing Stryker mutation-report.json instead of running Stryker (its files, or --file's).")]
        public string? Report { get; set; }

        [CommandOption("--explain")]
        [Description("Only take the reasons of Reference/equivalent-mutants.json into the record anew; run nothing.")]
        public bool Explain { get; set; }

        [CommandOption("--without-properties")]
        [Description("Run only Conformance/Tests against each mutant, not the FsCheck properties too (several times faster: a killed mutant restarts the properties' test host).")]
        public bool WithoutProperties { get; set; }

        [CommandOption("--concurrency <N>")]
        [Description("Test hosts run at once (1 to 16; default: the stryker-config's 1). A mutant's tests mostly keep one core busy, so 2 on this 2-core machine nearly halves a run that has the machine to itself.")]
        public int? Concurrency { get; set; }

        [CommandOption("--resume <TSV>")]
        [Description("Take the verdicts of a stopped run (its fresh/verdicts.tsv) for the same mutants (id, file, line and mutator alike) instead of judging them again. Only for a run of the same code.")]
        public string? Resume { get; set; }

        [CommandOption("--out <DIR>")]
        [Description("Where Stryker writes its logs and HTML/JSON reports. Default: TestResults/mutation.")]
        public string? Out { get; set; }
    }

    public const string Tool = "Stryker.NET 5.1.0";
    public const string ConfigRelativePath = "Reference/stryker-config.json";

    /// <summary>The time limit of a test run restricted to a few named tests (a file's killers tried first, a kill's
    /// confirmation with no mutant on).</summary>
    public static readonly TimeSpan NamedTestsLimit = TimeSpan.FromMinutes(1);

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        if (io.RootOrFail() is not { } root) return ExitCodes.Usage;
        if (!File.Exists(Path.Combine(root, ConfigRelativePath)))
        {
            io.Fail($"{io.Show(root)} is not a udpconf checkout: mutate needs the model and {ConfigRelativePath}");
            return ExitCodes.Usage;
        }
        MutationRecord record;
        Equivalents equivalents;
        try
        {
            record = MutationRecord.Load(root);
            equivalents = Equivalents.Load(root);
        }
        catch (InvalidDataException e)
        {
            io.Fail(e.Message);
            return ExitCodes.Usage;
        }
        if (settings.Explain)
        {
            record = record.Explain(equivalents);
            record.Save(root);
            return Summarize(root, record);
        }

        if (settings.Concurrency is < 1 or > 16)
        {
            io.Fail($"--concurrency {settings.Concurrency}: expected 1 to 16 test hosts");
            return ExitCodes.Usage;
        }
        if (settings.Resume is { } resumed && !File.Exists(io.FullPath(resumed)))
        {
            io.Fail($"--resume {resumed}: no such file (a stopped run's verdicts are in its fresh/verdicts.tsv)");
            return ExitCodes.Usage;
        }
        var all = MutationRecord.ModelFiles(root);
        if (Select(root, settings, record, all) is not { } files) return ExitCodes.Usage;
        if (files.Count == 0)
        {
            io.Out.WriteLine("nothing to mutate: no file of Reference/ is selected");
            return Summarize(root, record);
        }

        string report;
        var output = Path.GetFullPath(settings.Out ?? Path.Combine(root, "TestResults", "mutation"));
        if (settings.Report is { } given) report = Path.GetFullPath(given);
        else
        {
            var started = Stopwatch.StartNew();
            // The mutants are judged by the real test programs, built here against the real model.
            foreach (var project in TestPrograms(settings.WithoutProperties))
                if (RunShown(root, ["build", project.Project, "-nologo", "-v", "quiet"], cancellation) is var built and not 0)
                {
                    io.Fail($"dotnet build {project.Project} failed (exit {built})");
                    return ExitCodes.Usage;
                }
            var code = RunStryker(root, files.Count == all.Count ? [] : files, output, settings.Concurrency, cancellation);
            if (cancellation.IsCancellationRequested) return ExitCodes.Interrupted;
            if (code != 0)
            {
                io.Fail($"Stryker failed (exit {code}); its log is under {io.Show(output)}");
                return ExitCodes.Usage;
            }
            report = Path.Combine(output, "reports", "mutation-report.json");
            io.Out.WriteLine($"Stryker mutated {files.Count} file(s) in {started.Elapsed.TotalMinutes.ToString("0.0", CultureInfo.InvariantCulture)} min");
        }
        try
        {
            return Record(root, settings, record, equivalents, all, files, report, output, cancellation);
        }
        finally
        {
            if (settings.Report is null) RemoveMutatedModel(root);
        }
    }

    private int Record(string root, Settings settings, MutationRecord record, Equivalents equivalents, IReadOnlyList<string> all,
        IReadOnlyList<string> files, string report, string output, CancellationToken cancellation)
    {
        if (!File.Exists(report))
        {
            io.Fail($"no Stryker report at {io.Show(report)}");
            return ExitCodes.Usage;
        }
        IReadOnlyList<Mutant> mutants;
        try
        {
            mutants = StrykerReport.Read(report, Path.Combine(root, MutationRecord.ModelFolder));
        }
        catch (InvalidDataException e)
        {
            io.Fail(e.Message);
            return ExitCodes.Usage;
        }
        var measured = settings.Report is not null && settings.Files.Length == 0
            ? mutants.Select(m => m.File).Distinct().Where(all.Contains).ToArray()
            : files;
        // A run made here is judged in fresh processes; a report given with --report keeps Stryker's verdicts.
        var verified = settings.Report is null;
        if (verified)
        {
            var wanted = TestPrograms(settings.WithoutProperties);
            var programs = wanted.Select(p => MutatedTestProgram(root, output, p)).OfType<string>().ToArray();
            if (programs.Length != wanted.Count)
            {
                io.Fail($"no mutated model was kept from Stryker's run (under {io.Show(Path.GetDirectoryName(KeptModel(output))!)}), " +
                        "or a test program is not built: the mutants cannot be judged in fresh processes");
                return ExitCodes.Usage;
            }
            var started = Stopwatch.StartNew();
            var scratch = Path.Combine(output, "fresh");
            // A run past five times the baseline's time (at least a minute) is a timeout: a mutant that loops.
            var limit = TimeSpan.FromMinutes(5);
            // With no mutant on, every test must pass: else every mutant would look killed.
            foreach (var program in programs)
                if (FreshProcessVerifier.RunTests(program, scratch, FreshProcessVerifier.NoMutant, [], limit) is { Verdict: not FreshVerdict.Passed } baseline)
                {
                    io.Fail($"{io.Show(program)} with no mutant on: {baseline.Verdict}" +
                            (baseline.Failed.Count > 0 ? $" ({string.Join(", ", baseline.Failed)})" : "") +
                            "; the tests must pass before mutants are judged");
                    return ExitCodes.Usage;
                }
            var baselineTime = started.Elapsed;
            limit = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMinutes(1).Ticks, baselineTime.Ticks * 5));
            // A run of a few named tests (a file's killers, a kill's confirmation) takes 9-12 s with no mutant on,
            // measured here beside a judging run: past five times that, it is a timeout too, where a looping mutant
            // would otherwise take the whole run's limit before every test was tried.
            var namedLimit = TimeSpan.FromTicks(Math.Min(limit.Ticks, NamedTestsLimit.Ticks));
            io.Out.WriteLine($"baseline with no mutant on: {baselineTime.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s; a mutant's run past {limit.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s is a timeout " +
                             $"(past {namedLimit.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s for a run of named tests)");
            IReadOnlyList<FreshProcessVerifier.Verdict> earlier = [];
            if (settings.Resume is { } resume)
            {
                earlier = FreshProcessVerifier.ReadVerdicts(File.ReadLines(io.FullPath(resume)));
                io.Out.WriteLine($"resuming: {earlier.Count} verdict(s) from {io.Show(io.FullPath(resume))}");
            }
            FreshRun Judge(string id, IReadOnlyList<string> methods)
            {
                var fresh = FreshRun.Of(FreshVerdict.Passed);
                foreach (var program in programs)
                {
                    if (cancellation.IsCancellationRequested) return FreshRun.Of(FreshVerdict.Crashed);
                    // A named killer is a test of the first program.
                    if (methods.Count > 0 && program != programs[0]) break;
                    fresh = FreshProcessVerifier.RunTests(program, scratch, id, methods, methods.Count > 0 ? namedLimit : limit, cancellation);
                    if (fresh.Verdict != FreshVerdict.Passed) break;
                }
                return fresh;
            }
            var verifier = new FreshProcessVerifier(Judge);
            // Each file's code hash, logged with its verdicts: a later run of the same file's code takes them up.
            var codes = mutants.Select(m => m.File).Distinct(StringComparer.Ordinal)
                .ToDictionary(file => file, file => MutationRecord.Hash(root, file), StringComparer.Ordinal);
            var before = mutants;
            var count = 0;
            // Each verdict as it comes, with the tests that killed it: what to read when a kill looks unlikely.
            var log = Path.Combine(scratch, "verdicts.tsv");
            File.WriteAllText(log, FreshProcessVerifier.VerdictsHeader + "\n");
            var logGate = new Lock();
            mutants = verifier.Verify(mutants, measured, settings.Concurrency ?? 1, m =>
            {
                lock (logGate) File.AppendAllText(log, FreshProcessVerifier.Line(m, codes[m.File]) + "\n");
                var n = Interlocked.Increment(ref count);
                if (n % 50 == 0) io.Out.WriteLine($"fresh processes: {n} mutants judged");
            }, earlier, cancellation, codes);
            if (cancellation.IsCancellationRequested)
            {
                io.Out.WriteLine($"interrupted: {count} verdict(s) in {io.Show(log)}; take the run up with --resume {io.Show(log)} in a fresh clone");
                return ExitCodes.Interrupted;
            }
            var changes = before.Zip(mutants).Where(p => p.First.Status != p.Second.Status)
                .GroupBy(p => $"{p.First.Status} -> {p.Second.Status}").OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => $"{g.Count()} {g.Key}").ToArray();
            io.Out.WriteLine($"fresh processes judged {count} mutants in {started.Elapsed.TotalMinutes.ToString("0.0", CultureInfo.InvariantCulture)} min; " +
                             (changes.Length == 0 ? "every verdict as Stryker's" : "verdicts changed from Stryker's: " + string.Join(", ", changes)));
        }
        // A mutant explained as equivalent that a test killed: the reason is wrong, or the run was (a run restarted in
        // a clone a stopped run left reported every mutant killed). Neither may be recorded.
        var killedEquivalents = mutants.Where(m => m.Detected && measured.Contains(m.File) && equivalents.Reason(m) is not null).ToArray();
        if (killedEquivalents.Length > 0)
        {
            foreach (var m in killedEquivalents)
                io.Fail($"{m.File}:{m.Line}: {m.Mutator} `{m.Original}` -> `{m.Replacement}` is explained as equivalent in {Equivalents.RelativePath}, yet the run reports it {m.Status}");
            io.Fail($"not recorded: {killedEquivalents.Length} equivalent mutant(s) detected; remove the wrong reasons, or measure again from a fresh clone if the run is in doubt");
            return ExitCodes.Failed;
        }
        // A static mutant that was tested: its verdict says nothing (the value was set before it could be switched on),
        // so its file is not recorded. One switched on as a test host started stays on for every mutant that host tests
        // after it, and a host starts after the start only when one was killed (a timeout, a crash): then no verdict of
        // the run is recorded.
        // (A fresh process has the mutant on from its start, static initializers included: its verdicts stand.)
        var tested = mutants.Where(m => m.Static && (m.Detected || m.Undetected)).ToArray();
        if (tested.Length > 0 && !verified)
        {
            var restarted = mutants.Any(m => m.Status is "Timeout" or "RuntimeError");
            var staticFiles = tested.Select(m => m.File).Distinct().ToArray();
            if (restarted || measured.Any(staticFiles.Contains))
            {
                foreach (var m in tested.Take(10))
                    io.Fail($"{m.File}:{m.Line}: {m.Mutator} `{m.Original}` -> `{m.Replacement}` is a static mutant (set once per test host), reported {m.Status}");
                io.Fail(restarted
                    ? $"not recorded: {tested.Length} static mutant(s) tested in a run whose test hosts restarted (a timeout or a crash): " +
                      "every verdict after a restart is in doubt. Make the static initializers they sit in per access, then measure again"
                    : $"not recorded: {tested.Length} static mutant(s) tested in {string.Join(", ", staticFiles)}; Stryker cannot switch them. " +
                      "Leave those files out (--file), or make the static initializers they sit in per access, then measure again");
                return ExitCodes.Failed;
            }
            io.Out.WriteLine($"static mutants tested in {string.Join(", ", staticFiles)} (not recorded); no test host restarted, so the run's other verdicts stand");
        }
        var tests = settings.WithoutProperties ? "Conformance.Tests" : TestProjects(root);
        record = record.Merge(root, measured, mutants, equivalents, Tool, "Standard", tests, verified);
        record.Save(root);
        return Summarize(root, record);
    }

    /// <summary>The files of Reference/ the options select, or null after saying what was wrong.</summary>
    private IReadOnlyList<string>? Select(string root, Settings settings, MutationRecord record, IReadOnlyList<string> all)
    {
        var chosen = new List<string>();
        foreach (var file in settings.Files)
        {
            var relative = file.Replace('\\', '/');
            if (relative.StartsWith("Reference/", StringComparison.Ordinal)) relative = relative["Reference/".Length..];
            if (!all.Contains(relative))
            {
                io.Fail($"--file {file}: not a source file of Reference/");
                return null;
            }
            chosen.Add(relative);
        }
        if (settings.Since is { } since)
        {
            if (Git(root, ["diff", "--name-only", since, "--", MutationRecord.ModelFolder]) is not { } changed
                || Git(root, ["ls-files", "--others", "--exclude-standard", "--", MutationRecord.ModelFolder]) is not { } added)
            {
                io.Fail($"--since {since}: git cannot compare the checkout with that revision");
                return null;
            }
            chosen.AddRange(changed.Concat(added).Select(p => p[(MutationRecord.ModelFolder.Length + 1)..]).Where(all.Contains));
        }
        if (settings.Stale)
            chosen.AddRange(record.Stale(root).Select(stale => stale.File));
        var selective = settings.Files.Length > 0 || settings.Since is not null || settings.Stale;
        // In the order given (--file first): the order in which the files are judged.
        return selective ? chosen.Distinct().ToArray() : all;
    }

    private static string[]? Git(string root, string[] args)
    {
        try
        {
            var start = new ProcessStartInfo("git") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in args) start.ArgumentList.Add(arg);
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            _ = error.Result;
            return process.ExitCode == 0 ? output.Split('\n', StringSplitOptions.RemoveEmptyEntries) : null;
        }
        catch (Win32Exception)
        {
            return null;
        }
    }

    private static string TestProjects(string root)
    {
        var config = File.ReadAllText(Path.Combine(root, ConfigRelativePath));
        return string.Join(", ", new[] { "Conformance.Tests", "Properties" }.Where(p => config.Contains(p + ".csproj", StringComparison.Ordinal)));
    }

    /// <summary>Runs the local tool (restored first) in Reference/, its output shown as it comes; Ctrl-C stops it and
    /// its test hosts.</summary>
    private int RunStryker(string root, IReadOnlyList<string> files, string output, int? concurrency, CancellationToken cancellation)
    {
        if (RunShown(root, ["tool", "restore"], cancellation) is var restored and not 0) return restored;
        var args = new List<string> { "stryker", "-f", "stryker-config.json", "-O", output, "--skip-version-check" };
        // Stryker gets the shell, whose one test covers no mutant: it makes, compiles and injects the mutants and tests
        // none; the real tests judge them afterwards, each in a fresh process.
        args.AddRange(["--test-project", "../" + ShellProject]);
        if (concurrency is { } hosts) args.AddRange(["--concurrency", hosts.ToString(CultureInfo.InvariantCulture)]);
        foreach (var file in files) args.AddRange(["-m", "**/" + file]);
        // Stryker injects the mutated model into the test program's folder and puts the real one back when it is done:
        // the fresh processes need the mutated one, so it is kept as it appears.
        using var stop = new CancellationTokenSource();
        var keeper = Task.Run(() => KeepMutatedModel(root, output, stop.Token), CancellationToken.None);
        try
        {
            return RunShown(Path.Combine(root, MutationRecord.ModelFolder), args, cancellation);
        }
        finally
        {
            stop.Cancel();
            keeper.Wait(CancellationToken.None);
            KeepMutatedModel(root, output, CancellationToken.None, once: true);
        }
    }

    private const string ShellProject = "Conformance/MutantShell/MutantShell.csproj";

    /// <summary>A test program: its project, and the program in its output folder.</summary>
    private sealed record TestProgram(string Project, string Folder, string Name);

    /// <summary>The test programs that judge mutants: Conformance.Tests, and Properties unless left out.</summary>
    private static IReadOnlyList<TestProgram> TestPrograms(bool withoutProperties)
    {
        var tests = new TestProgram("Conformance/Tests/Conformance.Tests.csproj", "Conformance/Tests/bin/Debug/net10.0", "Conformance.Tests");
        return withoutProperties ? [tests] : [tests, new TestProgram("Properties/Properties.csproj", "Properties/bin/Debug/net10.0", "Properties")];
    }

    /// <summary>Where the mutated model Stryker compiled is kept (<see cref="KeepMutatedModel"/>).</summary>
    private static string KeptModel(string output) => Path.Combine(output, "mutated", ModelAssembly);

    private const string ModelAssembly = "Udpconf.Reference.dll";

    /// <summary>Copies the model in the test program's folder to <see cref="KeptModel"/> whenever it is a mutated one
    /// (its switch reads STRYKER_MUTANT_FILE) other than the one kept, every 2 s until stopped.</summary>
    private static void KeepMutatedModel(string root, string output, CancellationToken stop, bool once = false)
    {
        var marker = System.Text.Encoding.Unicode.GetBytes("STRYKER_MUTANT_FILE");
        var injected = Path.Combine(root, Path.GetDirectoryName(ShellProject)!, "bin", "Debug", "net10.0", ModelAssembly);
        var kept = KeptModel(output);
        do
        {
            try
            {
                if (File.Exists(injected))
                {
                    var bytes = File.ReadAllBytes(injected);
                    if (bytes.AsSpan().IndexOf(marker) >= 0 && (!File.Exists(kept) || !bytes.AsSpan().SequenceEqual(File.ReadAllBytes(kept))))
                    {
                        Directory.CreateDirectory(Path.GetDirectoryName(kept)!);
                        File.WriteAllBytes(kept, bytes);
                    }
                }
            }
            catch (IOException)
            {
                // Being written: the next look takes it.
            }
        } while (!once && !stop.WaitHandle.WaitOne(TimeSpan.FromSeconds(2)));
    }

    /// <summary>A copy of the test program's folder with the kept mutated model in place of the real one, for the
    /// fresh processes; null when no mutated model was kept.</summary>
    private static string? MutatedTestProgram(string root, string output, TestProgram program)
    {
        var kept = KeptModel(output);
        if (!File.Exists(kept)) return null;
        var source = Path.Combine(root, program.Folder);
        if (!Directory.Exists(source)) return null;
        var copy = Path.Combine(output, "fresh", program.Name);
        if (Directory.Exists(copy)) Directory.Delete(copy, recursive: true);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        File.Copy(kept, Path.Combine(copy, ModelAssembly), overwrite: true);
        return Path.Combine(copy, program.Name);
    }

    /// <summary>Stryker may leave the mutated model in the shell's output folder, newer than the real one, so that an
    /// incremental build would not copy the real one back: that copy is removed, and the next build puts it back. (The
    /// test programs' own folders never get it: Stryker injects into the shell, and the fresh processes run copies.)</summary>
    private static void RemoveMutatedModel(string root)
    {
        var output = Path.Combine(root, Path.GetDirectoryName(ShellProject)!, "bin");
        if (!Directory.Exists(output)) return;
        foreach (var copy in Directory.EnumerateFiles(output, "Udpconf.Reference.*", SearchOption.AllDirectories)) File.Delete(copy);
    }

    private int RunShown(string directory, IReadOnlyList<string> args, CancellationToken cancellation)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) io.Out.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) io.Error.WriteLine(e.Data); };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            io.Fail($"dotnet cannot be started: {e.Message}");
            return ExitCodes.Usage;
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using (cancellation.Register(() => { try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }))
            process.WaitForExit();
        return process.ExitCode;
    }

    private int Summarize(string root, MutationRecord record)
    {
        var unexplained = record.Unexplained.ToArray();
        io.Out.WriteLine($"mutation score {(100 * record.Score).ToString("0.00", CultureInfo.InvariantCulture)} %: " +
                         $"{record.Detected} detected, {record.Undetected} not ({record.Equivalent} equivalent, {unexplained.Length} unexplained); " +
                         $"wrote {MutationRecord.MarkdownRelativePath}");
        foreach (var stale in record.Stale(root)) io.Out.WriteLine($"  not measured on the current text: {stale}");
        return unexplained.Length == 0 ? ExitCodes.Passed : ExitCodes.Failed;
    }
}
