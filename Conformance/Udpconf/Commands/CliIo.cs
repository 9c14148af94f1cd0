using Spectre.Console;
using Udpconf.Suite;

namespace Udpconf.Cli.Commands;

/// <summary>
/// Where a command writes and where it stands: the results on <see cref="Out"/>, messages about the run (which
/// target was chosen, errors) on <see cref="Error"/> so that a redirected stdout holds only the results. Tests
/// build one over string writers; nothing in the commands touches the static Console.
/// </summary>
/// <param name="Interactive">Stdout is a terminal: live progress is worth drawing.</param>
/// <param name="WorkingDirectory">The folder relative paths and the repository root are found from.</param>
public sealed record CliIo(IAnsiConsole Out, IAnsiConsole Error, bool Interactive, string WorkingDirectory)
{
    /// <summary>The process's own stdout and stderr.</summary>
    public static CliIo System()
    {
        var interactive = !Console.IsOutputRedirected;
        var output = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        // A redirected stdout (a CI log) has no width; 80 columns would wrap every problem line of the tables.
        if (!interactive) output.Profile.Width = 160;
        var error = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        // Redirected, a message stays one line whatever its length (a log is read with grep).
        if (Console.IsErrorRedirected) error.Profile.Width = 1 << 16;
        return new CliIo(output, error, interactive, Directory.GetCurrentDirectory());
    }

    /// <summary>Plain text on two writers, no colours, no live display: for tests and for tools that embed the CLI.</summary>
    public static CliIo Capture(TextWriter output, TextWriter error, string workingDirectory)
    {
        IAnsiConsole Plain(TextWriter writer)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Ansi = AnsiSupport.No,
                ColorSystem = ColorSystemSupport.NoColors,
                Interactive = InteractionSupport.No,
                Out = new AnsiConsoleOutput(writer),
            });
            console.Profile.Width = 160;
            return console;
        }
        return new CliIo(Plain(output), Plain(error), false, workingDirectory);
    }

    /// <summary>A relative path as the user typed it is relative to <see cref="WorkingDirectory"/>.</summary>
    public string FullPath(string path) => Path.GetFullPath(path, WorkingDirectory);

    /// <summary>A path shown relative to the working folder when it lies below it.</summary>
    public string Show(string path)
    {
        var relative = Path.GetRelativePath(WorkingDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
    }

    /// <summary>The repository root: above the working folder, else above udpconf itself (so that the launcher
    /// works from any folder); null outside a checkout.</summary>
    public string? Root => SpecMap.FindRoot(WorkingDirectory) ?? SpecMap.FindRoot(AppContext.BaseDirectory);

    public void Fail(string message) => Error.WriteLine("udpconf: " + message);
}
