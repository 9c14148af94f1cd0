using System.Runtime.InteropServices;
using Udpconf.Cli.Commands;

// The commands live in Commands/; UdpconfApp builds the Spectre command app around the process's stdout and stderr.
// Ctrl-C or SIGTERM asks the command to stop: check finishes the run it is in, reports the runs that finished (marked
// partial) and exits 130. A second one exits at once, showing the terminal's cursor again (a live progress display
// hides it).
using var stop = new CancellationTokenSource();
var interrupts = 0;
void Interrupt()
{
    if (Interlocked.Increment(ref interrupts) == 1)
    {
        stop.Cancel();
        return;
    }
    if (!Console.IsOutputRedirected) Console.Out.Write("\u001b[?25h");
    Console.Error.WriteLine("udpconf: interrupted twice: exiting at once");
    Environment.Exit(ExitCodes.Interrupted);
}
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, signal => { signal.Cancel = true; Interrupt(); });
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal => { signal.Cancel = true; Interrupt(); });
return UdpconfApp.Run(args, CliIo.System(), stop.Token);
