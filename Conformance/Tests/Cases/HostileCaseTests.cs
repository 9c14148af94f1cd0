using System.Diagnostics;
using Udpconf.Reference;
using Udpconf.Suite;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Model;
using Udpconf.Tests.Cli;
using Xunit;

namespace Udpconf.Tests.Cases;

/// <summary>
/// Hostile case files (issue 11) give a diagnostic naming the problem and the limit, and never crash, hang or exhaust
/// udpconf: the files of Conformance/Tests/Data/hostile, and those that cannot be kept in a repository (a FIFO, a
/// link to /dev/zero, a link loop, a folder that cannot be listed, huge files), made at test time.
/// </summary>
public sealed class HostileCaseTests : IDisposable
{
    private static readonly string Root = SpecMap.FindRoot(AppContext.BaseDirectory)!;
    private static readonly string Data = Path.Combine(Root, "Conformance", "Tests", "Data", "hostile");
    private readonly string temp;

    /// <summary>Their verdicts are about the tool's defences against files, whatever the model answers.</summary>
    public HostileCaseTests()
    {
        Capability.NotInMutationRun("the tool's defences against hostile case files");
        temp = TempFolders.Create("udpconf-hostile-").FullName;
    }

    public void Dispose()
    {
        try { Directory.Delete(temp, recursive: true); }
        catch (IOException) { }
    }

    /// <summary>The work's result, or a failure naming what hung after 30 s (the bug was a hang).</summary>
    private static async Task<T> Within<T>(Func<T> work, string what)
    {
        try { return await Task.Run(work, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken); }
        catch (TimeoutException) { throw new Xunit.Sdk.XunitException($"{what} hung"); }
    }

    private static string Only(CaseFile file) => Assert.Single(file.Diagnostics).ToString();

    private static CaseFile Kept(string name) => CaseLibrary.LoadFile(Path.Combine(Data, name), Data);

    [Fact]
    public void An_option_value_beyond_an_int_is_a_diagnostic_not_an_overflow()
    {
        Assert.Equal($"{Data}/ttl-overflow.case:5:23: a value out of range (a 32-bit int, -2147483648 to 2147483647): 2147483648",
            Only(Kept("ttl-overflow.case")));
    }

    [Fact]
    public void A_numeric_errno_out_of_range_is_an_unknown_errno()
    {
        Assert.Equal($"{Data}/errno-out-of-range.case:6:15: unknown errno '99999999999'", Only(Kept("errno-out-of-range.case")));
    }

    [Fact]
    public void A_packet_count_beyond_an_int_is_a_diagnostic_not_a_silent_cast()
    {
        Assert.Equal($"{Data}/count-out-of-range.case:7:11: a packet count out of range (a 32-bit int, -2147483648 to 2147483647): 99999999999",
            Only(Kept("count-out-of-range.case")));
    }

    [Fact]
    public void A_control_character_in_a_case_line_is_a_diagnostic_that_shows_it_escaped()
    {
        Assert.Equal($"{Data}/control-character.case:5:13: control character \\x1b in the line (write bytes as \\xHH inside quoted text)",
            Only(Kept("control-character.case")));
    }

    [Fact]
    public void More_gather_list_entries_than_UIO_MAXIOV_plus_one_is_a_diagnostic_at_the_first_one_too_many()
    {
        var clock = Stopwatch.StartNew();
        Assert.Equal($"{Data}/iov-2048.case:5:8217: more than 1025 gather-list entries (the limit: the kernel's UIO_MAXIOV 1024, and one more to see its EMSGSIZE)",
            Only(Kept("iov-2048.case")));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"{clock.Elapsed}");
    }

    [Fact]
    public void Exactly_UIO_MAXIOV_plus_one_megabyte_blocks_run_to_the_kernels_EMSGSIZE_holding_one_shared_MiB()
    {
        var file = Kept("iov-1025.case");
        Assert.Empty(file.Diagnostics);
        var send = Assert.IsType<Udpconf.Reference.Api.SendMsgOp>(file.Case!.Steps[1].Operation);
        Assert.Equal(1025, send.Iov.Count);
        Assert.All(send.Iov, block => Assert.Equal(1 << 20, block.Length));
        // One buffer behind every block: the counting pattern is shared, not copied 1,025 times.
        Assert.Single(send.Iov.Select(b => System.Runtime.InteropServices.MemoryMarshal.TryGetArray(b.Readable, out var s) ? s.Array : null).Distinct());
        foreach (var profile in new[] { Profile.Spec, Profile.Linux })
            Assert.Equal(VerdictKind.Pass, CaseRunner.Run(file.Case, profile, new ModelTarget(profile), TestContext.Current.CancellationToken).Kind);
    }

    [Fact]
    public void Blocks_of_one_repeated_byte_are_held_once_and_the_case_may_hold_64_MiB_at_most()
    {
        var shared = Parse("  sendmsg s iov " + string.Join(',', Enumerable.Repeat("1048576*ab", 1025)) + " to 198.51.100.7:9");
        Assert.Empty(shared.Diagnostics);
        var lines = Enumerable.Range(0, 65).Select(i => $"  sendto s 1048576*{i:x2} to 198.51.100.7:9");
        var tooMuch = Parse(string.Join('\n', lines));
        Assert.Equal("x.case:68:12: the case's data blocks hold more than 67108864 bytes (64 MiB, the limit)", Assert.Single(tooMuch.Diagnostics).ToString());
    }

    private static CaseParser.ParseResult Parse(string steps) =>
        CaseParser.Parse("x.case", "x", $"clauses: udp_sendmsg.dport_zero\nsteps:\n  socket s\n{steps}\n");

    [Fact]
    public void A_case_of_more_than_10000_steps_is_a_diagnostic_at_the_first_step_too_many()
    {
        var path = Path.Combine(temp, "steps.case");
        File.WriteAllText(path, "clauses: udp_sendmsg.dport_zero\nsteps:\n  socket s\n" + string.Concat(Enumerable.Repeat("  close s\n", 12_000)));
        Assert.Equal($"{path}:10003:3: more than 10000 steps in one case (the limit); split the case", Only(CaseLibrary.LoadFile(path, temp)));
    }

    [Fact]
    public void The_100000_step_case_of_issue_11_is_larger_than_a_case_file_may_be()
    {
        var path = Path.Combine(temp, "steps.case");
        File.WriteAllText(path, "clauses: udp_sendmsg.dport_zero\nsteps:\n  socket s\n" +
            string.Concat(Enumerable.Repeat("  sendto s 10 to 198.51.100.7:9\n    => 10\n", 100_000)));
        var clock = Stopwatch.StartNew();
        Assert.Equal($"{path}:0:0: the file is larger than 1048576 bytes (1 MiB), the limit for a case file; not read", Only(CaseLibrary.LoadFile(path, temp)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"{clock.Elapsed}");
    }

    [Fact]
    public void A_file_larger_than_1_MiB_is_not_read()
    {
        var path = Path.Combine(temp, "big.case");
        File.WriteAllText(path, "clauses: udp_sendmsg.dport_zero\n" + new string('#', 1 << 20));
        Assert.Equal($"{path}:0:0: the file is larger than 1048576 bytes (1 MiB), the limit for a case file; not read", Only(CaseLibrary.LoadFile(path, temp)));
    }

    [Fact]
    public async Task A_FIFO_is_not_a_regular_file_and_is_never_opened()
    {
        var path = Path.Combine(temp, "x.case");
        var mkfifo = Process.Start("mkfifo", [path])!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        var files = await Within(() => CaseLibrary.Load(temp), "loading a folder with a FIFO");
        Assert.Equal($"{path}:0:0: not a regular file (a FIFO); only regular files are read as cases", Only(Assert.Single(files)));
    }

    [Fact]
    public void A_link_to_a_device_is_not_a_regular_file()
    {
        var path = Path.Combine(temp, "zero.case");
        File.CreateSymbolicLink(path, "/dev/zero");
        Assert.Equal($"{path}:0:0: not a regular file (a character device); only regular files are read as cases", Only(CaseLibrary.LoadFile(path, temp)));
    }

    [Fact]
    public void A_link_to_a_regular_case_file_is_read_and_a_link_to_nothing_is_a_diagnostic()
    {
        File.WriteAllText(Path.Combine(temp, "real.txt"), TempCases.Passing);
        File.CreateSymbolicLink(Path.Combine(temp, "good.case"), "real.txt");
        File.CreateSymbolicLink(Path.Combine(temp, "gone.case"), "nothing-here");
        var files = CaseLibrary.Load(temp);
        Assert.Equal(["gone", "good"], files.Select(f => f.Id));
        Assert.Equal($"{temp}/gone.case:0:0: cannot read the file: no such file or folder (or a symbolic link to nothing)", Only(files[0]));
        Assert.NotNull(files[1].Case);
    }

    [Fact]
    public async Task A_symbolic_link_loop_of_folders_ends_and_each_folder_is_searched_once()
    {
        var sub = Directory.CreateDirectory(Path.Combine(temp, "sub")).FullName;
        File.WriteAllText(Path.Combine(sub, "ok.case"), TempCases.Passing);
        Directory.CreateSymbolicLink(Path.Combine(sub, "up"), temp);
        Directory.CreateSymbolicLink(Path.Combine(sub, "self"), ".");
        var files = await Within(() => CaseLibrary.Load(temp), "searching a link loop");
        Assert.Equal(["sub/ok"], files.Select(f => f.Id));
    }

    [Fact]
    public void Folders_deeper_than_32_are_a_diagnostic()
    {
        var deep = temp;
        for (var i = 0; i < 34; i++) deep = Path.Combine(deep, "d");
        Directory.CreateDirectory(deep);
        var tooDeep = Path.Combine(temp, string.Join('/', Enumerable.Repeat("d", 33)));
        Assert.Equal($"{tooDeep}:0:0: not searched: more than 32 folders deep (the limit)", Only(Assert.Single(CaseLibrary.Load(temp))));
    }

    [Fact]
    public void A_folder_that_cannot_be_listed_is_a_diagnostic_naming_it_and_the_others_are_still_read()
    {
        // Root lists any folder whatever its mode, so the refusal is injected where the folder is listed.
        var locked = Directory.CreateDirectory(Path.Combine(temp, "locked")).FullName;
        File.WriteAllText(Path.Combine(locked, "hidden.case"), TempCases.Passing);
        File.WriteAllText(Path.Combine(temp, "ok.case"), TempCases.Passing);
        IEnumerable<string> List(string folder) =>
            folder == locked ? throw new UnauthorizedAccessException($"Access to the path '{folder}' is denied.") : Directory.EnumerateFileSystemEntries(folder);
        var files = CaseLibrary.Load(temp, list: List);
        Assert.Equal(["ok", "locked/"], files.Select(f => f.Id));
        Assert.NotNull(files[0].Case);
        Assert.Equal($"{locked}:0:0: cannot list the folder: permission denied", Only(files[1]));
    }

    [Fact]
    public void A_control_character_in_a_file_name_is_a_diagnostic_that_shows_it_escaped()
    {
        var path = Path.Combine(temp, "\u001b[2Jclear.case");
        File.WriteAllText(path, TempCases.Passing);
        var file = Assert.Single(CaseLibrary.Load(temp));
        Assert.Equal("\\x1b[2Jclear", file.Id);
        Assert.Equal($"{temp}/\\x1b[2Jclear.case:0:0: the file's name has a control character (\\x1b); rename it", Only(file));
    }

    [Fact]
    public async Task Check_reports_a_FIFO_and_goes_on_with_the_other_cases()
    {
        File.WriteAllText(Path.Combine(temp, "ok.case"), TempCases.Passing);
        Process.Start("mkfifo", [Path.Combine(temp, "pipe.case")])!.WaitForExit();
        var run = await Within(() => CliHarness.Run(temp, "check", temp, "--target", "model", "--profile", "linux"), "check of a FIFO");
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains($"  {temp}/pipe.case:0:0: not a regular file (a FIFO); only regular files are read as cases", run.Out);
        Assert.Contains("udpconf check: 1 passed, 0 failed, 1 errors", run.Out);
    }
}
