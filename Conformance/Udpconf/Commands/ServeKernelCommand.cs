using Spectre.Console.Cli;
using Udpconf.Suite.Targets.Exec;
using Udpconf.Suite.Targets.Kernel;

namespace Udpconf.Cli.Commands;

/// <summary>
/// The live kernel behind the process protocol (Conformance/PROTOCOL.md) on stdin and stdout: each host a fresh
/// private network namespace, as for --target kernel. This is what runs inside a VM for --target vm:&lt;kernel&gt;
/// (the host's udpconf reaches it through a virtio-serial port); on this machine, --target "exec:./udpconf
/// serve-kernel" gives the kernel target's verdicts through the protocol. Exit 2 when the kernel target cannot run.
/// </summary>
public sealed class ServeKernelCommand(CliIo io) : Command<ServeKernelCommand.Settings>
{
    public sealed class Settings : CommandSettings;

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        if (!KernelTarget.CanRun(out var why))
        {
            io.Fail($"the kernel target cannot run here: {why}");
            return ExitCodes.Usage;
        }
        var target = new KernelTarget();
        using var input = new StreamReader(Console.OpenStandardInput());
        using var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true, NewLine = "\n" };
        new ProtocolServer(target, target.Name, target.Features).Serve(input, output, Console.Error, "udpconf serve-kernel");
        return ExitCodes.Passed;
    }
}
