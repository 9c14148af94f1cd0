using Udpconf.Cli.Commands;
using Xunit;

namespace Udpconf.Tests.Cli;

/// <summary>What one in-process run of the command line gave.</summary>
public sealed record CliRun(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

/// <summary>Runs the udpconf app exactly as ./udpconf does, over string writers, from a chosen working folder.</summary>
public static class CliHarness
{
    public static CliRun Run(string workingDirectory, params string[] args) => Run(workingDirectory, null, args);

    /// <summary>As a downloaded udpconf runs: udpconf itself taken to be in <paramref name="workingDirectory"/> too, so
    /// that no checkout is found unless one is above that folder.</summary>
    public static CliRun RunOutsideCheckout(string workingDirectory, params string[] args) => Run(workingDirectory, workingDirectory, args);

    private static CliRun Run(string workingDirectory, string? toolDirectory, string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var io = CliIo.Capture(output, error, workingDirectory);
        if (toolDirectory is not null) io = io with { ToolDirectory = toolDirectory };
        var code = UdpconfApp.Run(args, io, TestContext.Current.CancellationToken);
        return new CliRun(code, output.ToString(), error.ToString());
    }
}

/// <summary>
/// A throw-away folder of case files (and, for golden, a throw-away repository: an empty Conformance.sln marks
/// its root), so that tests choose exactly which cases pass, fail or are malformed, and never write into the tree.
/// </summary>
public sealed class TempCases : IDisposable
{
    public string Root { get; } = TempFolders.Create("udpconf-cli-").FullName;
    public string Folder => Path.Combine(Root, "Conformance", "cases");

    public TempCases() => Directory.CreateDirectory(Folder);

    public TempCases With(string id, string text)
    {
        var path = Path.Combine(Folder, id + ".case");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return this;
    }

    public TempCases AsRepository()
    {
        File.WriteAllText(Path.Combine(Root, "Conformance.sln"), "");
        return this;
    }

    public string PathOf(string relative) => Path.Combine(Root, relative);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { /* a file still open on a slow machine: the temp folder is cleaned by the system */ }
    }

    /// <summary>Port 0 is refused, port 9 sends one 38-byte packet: passes under both profiles.</summary>
    public const string Passing = """
        # Port 0 is refused; address 0 is not.
        clauses: udp_sendmsg.dport_zero
        steps:
          socket s
          sendto s 10 to 198.51.100.7:0
            => EINVAL udp_sendmsg.dport_zero
            wire: none
          sendto s 10 to 198.51.100.7:9
            => 10
            wire: 1
            packet 1 dst=198.51.100.7 dport=9 ulen=18 ttl=64 csum=valid
        """;

    /// <summary>Says port 9 is refused too: the case's own expectation fails, naming its clause.</summary>
    public const string Failing = """
        # A deliberately wrong case: port 9 is not refused.
        clauses: udp_sendmsg.dport_zero
        steps:
          socket s
          sendto s 10 to 198.51.100.7:9
            => EINVAL udp_sendmsg.dport_zero
        """;

    /// <summary>Line 4, column 26 holds a port that is not a number.</summary>
    public const string Malformed = "clauses: udp_sendmsg.dport_zero\nsteps:\n  socket s\n  sendto s 10 to 1.2.3.4:x\n";

    /// <summary>Applies to the spec profile only: not applicable under linux.</summary>
    public const string SpecOnly = """
        clauses: udp_sendmsg.dport_zero
        profiles: spec
        steps:
          socket s
          sendto s 10 to 198.51.100.7:0
            => EINVAL
        """;

    /// <summary>3000 bytes over a 1500-byte MTU: three fragments on the wire.</summary>
    public const string Fragmented = """
        clauses: ip_append_data.fragment_layout
        steps:
          socket s
          sendto s 3000 to 198.51.100.7:9
            => 3000
            wire: 3
        """;
}
