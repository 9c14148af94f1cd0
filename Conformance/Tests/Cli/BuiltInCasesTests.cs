using System.Text.Json.Nodes;
using Udpconf.Cli.Commands;
using Udpconf.Suite;
using Udpconf.Suite.Cases;
using Xunit;

namespace Udpconf.Tests.Cli;

/// <summary>
/// udpconf carries Conformance/cases inside itself (BuiltInCases), for a udpconf with no checkout (the single file a
/// stack's CI downloads): the copy is exactly the folder, with the folder's ids, order and verdicts; outside a checkout
/// check, list and predict use it, --cases still names a folder, and the commands that work on the checkout say so.
/// In process, with udpconf taken to be outside the checkout (<see cref="CliHarness.RunOutsideCheckout"/>);
/// <see cref="SingleFileTests"/> runs the published file itself.
/// </summary>
public class BuiltInCasesTests
{
    private static readonly string Root = SpecMap.FindRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("no Conformance.sln above the test binaries");

    private static string Folder => CaseLibrary.DefaultFolder(Root);

    [Fact]
    public void The_built_in_library_holds_exactly_the_case_files_of_Conformance_cases_with_their_text()
    {
        var onDisk = Directory.EnumerateFiles(Folder, "*" + CaseLibrary.Extension, SearchOption.AllDirectories)
            .ToDictionary(path => Path.GetRelativePath(Folder, path).Replace('\\', '/'), File.ReadAllText, StringComparer.Ordinal);
        var builtIn = BuiltInCases.Texts().ToDictionary(c => c.Path, c => c.Text, StringComparer.Ordinal);
        Assert.True(onDisk.Count > 300, $"only {onDisk.Count} case files under {Folder}");
        Assert.Equal(onDisk.Keys.Order(StringComparer.Ordinal), builtIn.Keys.Order(StringComparer.Ordinal));
        var different = onDisk.Where(c => builtIn[c.Key] != c.Value).Select(c => c.Key).ToArray();
        Assert.True(different.Length == 0, $"built in with another text (rebuild udpconf): {string.Join(", ", different)}");
    }

    [Fact]
    public void The_built_in_cases_have_the_folders_ids_order_and_parse()
    {
        var fromFolder = CaseLibrary.Load(Folder);
        var builtIn = BuiltInCases.Load();
        Assert.Equal(fromFolder.Select(c => c.Id), builtIn.Select(c => c.Id));
        Assert.Contains(builtIn, c => c.Id == "udp_sendmsg/bound_source");
        Assert.All(builtIn, c => Assert.True(c.Case is not null, $"{c.Id}: {string.Join("; ", c.Diagnostics)}"));
        // A built-in case is named as in the repository, relative, never a path of this machine.
        Assert.All(builtIn, c => Assert.Equal($"Conformance/cases/{c.Id}.case", c.Path));
        Assert.Equal(fromFolder.Select(c => c.Case!.Steps.Count), builtIn.Select(c => c.Case!.Steps.Count));
    }

    [Fact]
    public void Outside_a_checkout_check_runs_the_built_in_cases_with_the_checkouts_every_result()
    {
        Capability.NotInMutationRun("two runs of the whole library through the command line");
        var outside = TempFolders.CreateOutsideCheckout("udpconf-outside-").FullName;
        var fromCheckout = Path.Combine(outside, "checkout.json");
        var checkout = CliHarness.Run(Root, "check", "--target", "model", "--json", fromCheckout);
        Assert.True(checkout.ExitCode == 0, checkout.ToString());

        var builtIn = Path.Combine(outside, "built-in.json");
        var run = CliHarness.RunOutsideCheckout(outside, "check", "--target", "model", "--json", builtIn);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"{CaseLibrary.Load(Folder).Count} cases from Conformance/cases built into udpconf {UdpconfApp.Version} on model:spec, model:linux", run.Out);
        Assert.Equal(JsonResults.SummaryLine(checkout.Out), JsonResults.SummaryLine(run.Out));
        Assert.Equal(JsonResults.Read(fromCheckout), JsonResults.Read(builtIn));
    }

    [Fact]
    public void Outside_a_checkout_prefixes_clauses_and_shards_select_from_the_built_in_cases()
    {
        var outside = TempFolders.CreateOutsideCheckout("udpconf-outside-").FullName;
        var run = CliHarness.RunOutsideCheckout(outside, "check", "udp_sendmsg/bound_source", "--target", "model", "--profile", "linux");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("1 cases from Conformance/cases built into udpconf", run.Out);
        Assert.Contains("udpconf check: 1 passed, 0 failed", run.Out);

        var clause = CliHarness.RunOutsideCheckout(outside, "list", "--clause", "udp_sendmsg.dport_zero");
        var expected = CliHarness.Run(Root, "list", "--clause", "udp_sendmsg.dport_zero");
        Assert.True(clause.ExitCode == 0, clause.ToString());
        Assert.Equal(expected.Out, clause.Out);

        var none = CliHarness.RunOutsideCheckout(outside, "check", "no_such_prefix", "--target", "model");
        Assert.Equal(2, none.ExitCode);
        Assert.Equal($"udpconf: 'no_such_prefix' is neither a case file or folder nor the start of a case id under Conformance/cases built into udpconf {UdpconfApp.Version}",
            none.Error.Trim());
    }

    [Fact]
    public void Outside_a_checkout_predict_finds_a_built_in_case_by_its_id_or_its_name()
    {
        var outside = TempFolders.CreateOutsideCheckout("udpconf-outside-").FullName;
        var byName = CliHarness.RunOutsideCheckout(outside, "predict", "dport_zero", "--profile", "spec", "--out", "a");
        Assert.True(byName.ExitCode == 0, byName.ToString());
        var inCheckout = TempFolders.Create("udpconf-outside-").FullName;
        var expected = CliHarness.Run(inCheckout, "predict", "udp_sendmsg/dport_zero", "--profile", "spec", "--cases", Folder);
        Assert.True(expected.ExitCode == 0, expected.ToString());
        Assert.Equal(File.ReadAllBytes(Path.Combine(inCheckout, "dport_zero.spec.pcap")), File.ReadAllBytes(Path.Combine(outside, "a", "dport_zero.spec.pcap")));
        Assert.Equal(File.ReadAllText(Path.Combine(inCheckout, "dport_zero.spec.txt")), File.ReadAllText(Path.Combine(outside, "a", "dport_zero.spec.txt")));

        var missing = CliHarness.RunOutsideCheckout(outside, "predict", "no_such_case");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("no case no_such_case under Conformance/cases built into udpconf", missing.Error);
    }

    [Fact]
    public void Outside_a_checkout_cases_DIR_is_the_case_library_and_the_built_in_one_is_not_used()
    {
        using var own = new TempCases().With("mine/ok", TempCases.Passing);
        var run = CliHarness.RunOutsideCheckout(own.Root, "check", "--target", "model", "--cases", own.Folder);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("1 cases from Conformance/cases on model:spec, model:linux", run.Out);
        var list = CliHarness.RunOutsideCheckout(own.Root, "list", "mine/", "--cases", own.Folder);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("1 cases (0 malformed)", list.Out);
    }

    [Theory]
    [InlineData("golden", "golden files live in Fixtures/ of the repository")]
    [InlineData("spec-map", "this command needs a checkout of udpconf")]
    public void Outside_a_checkout_the_commands_that_work_on_it_exit_2_saying_so(string command, string why)
    {
        var outside = TempFolders.CreateOutsideCheckout("udpconf-outside-").FullName;
        var run = CliHarness.RunOutsideCheckout(outside, command);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"udpconf: no Conformance.sln above the current folder: {why}", run.Error.Trim());
    }
}

/// <summary>Two check runs compared: their closing lines and their JSON reports.</summary>
internal static class JsonResults
{
    /// <summary>The closing line, "udpconf check: N passed, … (R runs of C cases on T, profiles …)".</summary>
    public static string SummaryLine(string output) =>
        output.Split('\n').Select(line => line.TrimEnd('\r')).Single(line => line.StartsWith("udpconf check: ", StringComparison.Ordinal));

    /// <summary>Every result of a JSON report, in order, as its JSON text less what differs between two runs of the
    /// same cases from two places: the file a case was read from (also in its steps' positions) and the time it took.</summary>
    public static IReadOnlyList<string> Read(string path)
    {
        var report = JsonNode.Parse(File.ReadAllText(path))!;
        return report["results"]!.AsArray().Select(result =>
        {
            var copy = result!.AsObject().DeepClone().AsObject();
            var file = (string)copy["file"]!;
            copy.Remove("file");
            copy.Remove("durationMs");
            return copy.ToJsonString().Replace(file, "<file>", StringComparison.Ordinal);
        }).ToArray();
    }
}
