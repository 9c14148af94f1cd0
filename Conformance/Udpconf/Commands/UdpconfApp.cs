using Spectre.Console;
using Spectre.Console.Cli;
using Udpconf.Reference;
using Profile = Udpconf.Reference.Profile;

namespace Udpconf.Cli.Commands;

/// <summary>
/// The udpconf command line: check, matrix, merge, predict, golden, list, spec-map, kernel-record and fuzz. Built around a <see cref="CliIo"/> so
/// that tests run the very same app in-process over string writers and read its exit code.
/// </summary>
public static class UdpconfApp
{
    public static string Version => typeof(Model).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>What --version prints: the version, what the model covers, and its profiles.</summary>
    public static string VersionText =>
        $"udpconf {Version}\n" +
        $"model: {ClauseId.Catalog.Count} catalog clauses, {ClauseId.Additions.Count} of its own; profiles: " +
        string.Join(", ", Profile.All.Select(p => $"{p.Name} ({(p.IsVerified ? "verified against " + p.VerifiedAgainst : "unverified")})"));

    public static int Run(IReadOnlyList<string> args, CliIo io, CancellationToken cancellation = default)
    {
        // Spectre's own --version prints one markup line; ours has three facts and stays exactly as before.
        if (args is ["--version"] or ["-v"])
        {
            io.Out.WriteLine(VersionText);
            return ExitCodes.Passed;
        }
        if (OptionGuard.Check(args) is { } problem)
        {
            io.Fail(problem);
            return ExitCodes.Usage;
        }
        var app = new CommandApp();
        app.Configure(config => Configure(config, io));
        return app.Run(args, cancellation);
    }

    private static void Configure(IConfigurator config, CliIo io)
    {
        config.SetApplicationName("udpconf");
        // Listed by --help as "-v, --version"; Run answers it before Spectre does, with the longer text.
        config.SetApplicationVersion(Version);
        config.ConfigureConsole(io.Out);
        config.Settings.Registrar.RegisterInstance(io);
        // Unknown options are errors (exit 2), not arguments quietly left over.
        config.UseStrictParsing();
        config.ValidateExamples();
        config.SetExceptionHandler((exception, _) => Failure(exception, io));

        config.AddExample("check", "--target", "model");
        config.AddExample("check", "udp_cork/", "--profile", "linux", "--report-dir", "out");
        config.AddExample("matrix", "--target", "model:spec", "--target", "model:linux", "--out", "matrix");
        config.AddExample("merge", "parts/", "--report-dir", "merged");
        config.AddExample("predict", "udp_sendmsg/dport_zero", "--out", "/tmp");
        config.AddExample("golden", "--accept");
        config.AddExample("list", "--clause", "udp_sendmsg.dport_zero");

        config.AddCommand<CheckCommand>("check")
            .WithDescription("Run the conformance cases on a target (default: the local kernel when it can be reached, else the model) " +
                             "and report every step that differs from the model's prediction or from the case. " +
                             "Exit 0 when all passed (not applicable counts as passed), 1 on any failure or error " +
                             "(malformed case files included), 2 on bad usage, no matching case, or a target that cannot be reached.")
            .WithExample("check", "--target", "model")
            .WithExample("check", "udp_sendmsg/", "udp_cork/", "--profile", "linux")
            .WithExample("check", "--clause", "udp_sendmsg.dport_zero", "--junit", "junit.xml")
            .WithExample("check", "--target", "model", "--report-dir", "reports");
        config.AddCommand<MatrixCommand>("matrix")
            .WithDescription("Run the conformance cases on several targets (default: model:spec, model:linux, and the local kernel when it " +
                             "can be reached) and write a conformance table, clause by target: DIR/matrix.md and DIR/matrix.html (one " +
                             "self-contained page), every failing cell linking to the expected-versus-observed report of its cases, and each " +
                             "target's full reports in DIR/<target>/ (junit.xml, report.json, report.md, failures/). Exit 0 when every target " +
                             "ran (failures are results), 2 on bad usage, no matching case, or a target that cannot be reached.")
            .WithExample("matrix")
            .WithExample("matrix", "--target", "model:spec", "--target", "model:linux", "--out", "/tmp/matrix")
            .WithExample("matrix", "udp_cork/", "--target", "kernel", "--target", "model:linux", "--clause", "udp_sendmsg.corkreq");
        config.AddCommand<MergeCommand>("merge")
            .WithDescription("Join the JSON reports of the parts of a run (check --shard I/N --json FILE or --report-dir on N CI runners, " +
                             "matrix --shard I/N --out DIR) into the reports of the whole run: report.json as the run without --shard writes it " +
                             "(its results in the unsharded order, the summary counted again), junit.xml, report.md and the failure pcaps, and with " +
                             "--matrix the conformance matrix, a column per target and profile. An input that cannot be read, is partial, or repeats " +
                             "a result is said on stderr and the rest merged, marked partial. Exit 0 when every merged result passed (not applicable " +
                             "counts as passed), 1 on a failure or an error among them or a merge that is not whole, 2 on bad usage, an input that " +
                             "does not exist or holds no report, or no input that could be read.")
            .WithExample("merge", "part-1.json", "part-2.json", "part-3.json", "--json", "report.json")
            .WithExample("merge", "parts/", "--report-dir", "merged")
            .WithExample("merge", "matrix-1/", "matrix-2/", "--matrix", "matrix");
        config.AddCommand<VersionsCommand>("versions")
            .WithDescription("The version matrix: every case on each kernel (default: the local kernel, vm:6.12, vm:6.1) held to the newest line, " +
                             "then under the kernel's own line profile; writes DIR/linux-kernels.md (the switches of each line with the change behind " +
                             "each, every difference with its case and the switches that predict it, clause by kernel) and DIR/linux-kernels.html. " +
                             "Exit 0 when every kernel passes under its own line, 1 when one does not, 2 on bad usage or an unreachable kernel.")
            .WithExample("versions")
            .WithExample("versions", "--target", "vm:6.1", "--out", "/tmp/versions");
        config.AddCommand<PredictCommand>("predict")
            .WithDescription("Run one case on the model and write <case-name>.<profile>.pcap (the packets of every step on the links) " +
                             "and <case-name>.<profile>.txt (each step's operation, predicted result and deciding clause, and its packets dissected). " +
                             "Prints the two paths. Exit 1 when the case is malformed, 2 when it cannot be found.")
            .WithExample("predict", "udp_sendmsg/dport_zero")
            .WithExample("predict", "dport_zero", "--profile", "spec", "--out", "/tmp", "--seed", "7");
        config.AddCommand<GoldenCommand>("golden")
            .WithDescription("Regenerate the golden files of Fixtures/ and compare them byte for byte with the *.verified.* files; " +
                             "a difference writes *.received.* beside them and prints the diff. --accept makes the regenerated files the verified ones. " +
                             "Exit 0 when all match (or were accepted), 1 otherwise.")
            .WithExample("golden")
            .WithExample("golden", "--accept");
        config.AddCommand<ListCommand>("list")
            .WithDescription("List the cases with the clauses, profiles and features they name, then the number of cases per clause. " +
                             "Malformed case files are listed with their diagnostics (exit 1).")
            .WithExample("list")
            .WithExample("list", "udp_sendmsg/", "--clause", "udp_sendmsg.dport_zero");
        config.AddCommand<SpecMapCommand>("spec-map")
            .WithDescription("Check spec-map.md against the source tree (exit 1 when stale), or rewrite it with --write.")
            .WithExample("spec-map")
            .WithExample("spec-map", "--write");
        config.AddCommand<MutateCommand>("mutate")
            .WithDescription("Mutation testing of the model with Stryker.NET (the repository's local tool, Reference/stryker-config.json): " +
                             "record each mutated file's score and survivors in reports/mutation.json and .md. Exit 0 when every " +
                             "recorded survivor is explained in Reference/equivalent-mutants.json, 1 when one is not.")
            .WithExample("mutate")
            .WithExample("mutate", "--since", "main")
            .WithExample("mutate", "--stale");
        config.AddCommand<KernelRecordCommand>("kernel-record")
            .WithDescription("Run every case on the local kernel under both profiles and write Conformance/kernel-verdicts.json " +
                             "(the kernel release and each case's verdict, with the first problem of a failure) and " +
                             "Reference/ProfileVerification.cs (the release the linux profile is verified against, or null). " +
                             "Exit 0 when every linux case passed, 1 when one failed, 2 when the kernel target cannot run.")
            .WithExample("kernel-record");
        config.AddCommand<PublishCommand>("publish")
            .WithDescription("Run every case on an implementation (linux profile) and publish its verdicts in the repository: " +
                             "FILE (JSON, read by spec-map.md and compared with a fresh run by the tests) and FILE.results.md (by clause, every failure).")
            .WithExample("publish", "--target", "exec:adapters/lwip/build/udpconf-lwip", "--out", "reports/lwip-2.1.3.json");
        config.AddCommand<ServeModelCommand>("serve-model")
            .WithDescription("The model behind the process protocol (Conformance/PROTOCOL.md) on stdin and stdout: the reference " +
                             "implementation for adapter writers, and what the suite's exec: target is checked against.")
            .WithExample("serve-model", "--profile", "linux");
        config.AddCommand<ServeKernelCommand>("serve-kernel")
            .WithDescription("The live kernel behind the process protocol on stdin and stdout, each host a fresh private network namespace: " +
                             "what runs inside the VM of --target vm:<kernel>. Exit 2 when the kernel target cannot run here.")
            .WithExample("serve-kernel");
        config.AddCommand<FuzzCommand>("fuzz")
            .WithDescription("Stateful differential testing: random operation sequences (cork, sends of every size and flag, good and bad " +
                             "addresses, connect, options, PMTU modes, MTU changes, close) on the target and on the model side by side. " +
                             "The first disagreement is shrunk to a minimal sequence, printed with its seed and written as a case file. " +
                             "Exit 0 when the target agreed throughout, 1 when it did not, 2 on bad usage or an unreachable target.")
            .WithExample("fuzz", "--target", "kernel", "--count", "200", "--seed", "1")
            .WithExample("fuzz", "--target", "model", "--profile", "spec", "--count", "50");
    }

    /// <summary>Spectre reports bad usage (unknown commands and options, missing arguments, failed validation) as
    /// exceptions: they exit 2 with Spectre's own message on stderr. Anything else is a failure of the tool.</summary>
    private static int Failure(Exception exception, CliIo io)
    {
        if (exception is CommandAppException usage)
        {
            if (usage.Pretty is { } pretty) io.Error.Write(pretty);
            else io.Fail(usage.Message);
            return ExitCodes.Usage;
        }
        // An implementation that fails every handshake the same way: the run stops instead of timing out case by case.
        if (exception is Udpconf.Suite.Targets.TargetStoppedException stopped)
        {
            io.Fail(stopped.Message);
            return ExitCodes.Usage;
        }
        if (exception is OperationCanceledException)
        {
            io.Fail("interrupted");
            return ExitCodes.Interrupted;
        }
        io.Fail($"internal error: {exception}");
        return ExitCodes.Failed;
    }
}
