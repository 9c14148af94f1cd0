using Udpconf.Cli.Commands;
using Xunit;

namespace Udpconf.Tests.Cli;

/// <summary>
/// No command line reaches udpconf's "internal error": random arguments (every command but serve-model, which reads
/// standard input; known and unknown options; values missing, empty, negative, huge, fractional or of the wrong kind)
/// end in exit 0, 1, 2 or 130 with the tool's own words. The commands run for real in a throw-away repository holding
/// one case, each stopped after 3 s. The seed is fixed, so a failure replays; the message names the arguments.
/// </summary>
public sealed class CommandLineFuzzTests
{
    private static readonly string[] Options =
    [
        "--target", "--profile", "--report-dir", "--junit", "--json", "--markdown", "--clause", "--cases", "--out",
        "--count", "--seed", "--max-ops", "--accept", "--write", "--help", "--version", "--nope", "-x", "--", "--target=",
    ];

    private static readonly string[] Values =
    [
        "", "model", "kernel", "exec:", "exec:/nonexistent/stack", "model:spec", "spec", "linux", "all", "own/", "own/passing",
        "udp_sendmsg.dport_zero", "-1", "0", "1", "2", "18446744073709551616", "99999999999", "1.5", "abc", "out", "out/x.json",
        "/dev/null", "\u001b[2J", "\0", "--", "a b",
    ];

    [Fact]
    public void No_command_line_reaches_an_internal_error()
    {
        Capability.NotInMutationRun("the command-line fuzzer (its verdict is the exit code, whatever the model answers)");
        var commands = OptionGuard.Commands.Where(c => c != "serve-model").Order(StringComparer.Ordinal).ToArray();
        var random = new Random(20261203);
        using var cases = new TempCases().With("own/passing", TempCases.Passing).AsRepository();
        for (var i = 0; i < 150; i++)
        {
            var args = new List<string> { random.Next(10) == 0 ? Values[random.Next(Values.Length)] : commands[random.Next(commands.Length)] };
            for (var n = random.Next(0, 6); n > 0; n--)
                args.Add(random.Next(3) == 0 ? Values[random.Next(Values.Length)] : Options[random.Next(Options.Length)]);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            stop.CancelAfter(TimeSpan.FromSeconds(3));
            var output = new StringWriter();
            var error = new StringWriter();
            var code = UdpconfApp.Run(args, CliIo.Capture(output, error, cases.Root), stop.Token);
            var shown = string.Join(' ', args.Select(a => $"[{a}]"));
            Assert.False(error.ToString().Contains("internal error") || error.ToString().Contains("   at "), // no stack trace
                $"{shown}: exit {code}\n{error}");
            Assert.True(code is 0 or 1 or 2 or 130, $"{shown}: exit {code}\n{error}");
        }
    }
}
