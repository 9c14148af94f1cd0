using System.Runtime.InteropServices;
using Udpconf.Cli.Commands;

// The commands live in Commands/; UdpconfApp builds the Spectre command app around the process's stdout and stderr.
// Ctrl-C and SIGTERM go to Interruption: the first stops the command gracefully, a second exits at once.
using var interruption = new Interruption(Console.Error, Environment.Exit, terminal: !Console.IsOutputRedirected);
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, signal => { signal.Cancel = true; interruption.Signal(); });
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal => { signal.Cancel = true; interruption.Signal(); });
// The implementations' boxes are emptied once the command has been told to stop (so the run they end is not counted).
Udpconf.Suite.Targets.Exec.Containment.EmptyOn(interruption.Token);
return UdpconfApp.Run(args, CliIo.System(), interruption.Token);
