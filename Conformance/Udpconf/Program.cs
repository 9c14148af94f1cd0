using Udpconf.Cli.Commands;

// The commands live in Commands/; UdpconfApp builds the Spectre command app around the process's stdout and stderr.
return UdpconfApp.Run(args, CliIo.System());
