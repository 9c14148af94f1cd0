namespace Udpconf.Cli.Commands;

/// <summary>
/// What Ctrl-C and SIGTERM do: the first asks the command to stop (<see cref="Token"/> is cancelled; check finishes the
/// run it is in, reports the runs that finished as partial and exits 130); a second one exits at once, showing the
/// terminal's cursor again (a live progress display hides it).
/// </summary>
/// <param name="exit">Ends the process with the code (Environment.Exit in the tool; a recorder in tests).</param>
public sealed class Interruption(TextWriter error, Action<int> exit, bool terminal) : IDisposable
{
    private readonly CancellationTokenSource stop = new();
    private int signals;

    public CancellationToken Token => stop.Token;

    /// <summary>One Ctrl-C or SIGTERM.</summary>
    public void Signal()
    {
        if (Interlocked.Increment(ref signals) == 1)
        {
            stop.Cancel();
            return;
        }
        if (terminal) Console.Out.Write("\u001b[?25h");
        error.WriteLine("udpconf: interrupted twice: exiting at once");
        exit(ExitCodes.Interrupted);
    }

    public void Dispose() => stop.Dispose();
}
