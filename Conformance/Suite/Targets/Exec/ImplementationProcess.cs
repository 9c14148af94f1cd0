using Udpconf.Suite.Cases;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Udpconf.Suite.Reports;

namespace Udpconf.Suite.Targets.Exec;

/// <summary>
/// One running implementation, in a box of its own (<see cref="Containment"/>): a line out, a line back, with a
/// deadline, a bounded line (<see cref="Limits.ReplyLineBytes"/>) and a bounded tail of its stderr to explain a
/// failure. Disposing it says bye, then empties the box whatever the implementation started.
/// </summary>
public sealed class ImplementationProcess : IDisposable
{
    private readonly Process process;
    private readonly int pid;
    private readonly BoundedLineReader stdout;
    private readonly StderrTail stderr = new(Limits.StderrTailBytes);
    private readonly Task stderrPump;

    public ImplementationProcess(string command)
    {
        try { process = Process.Start(Containment.StartInfo(command)) ?? throw new ProtocolException("the process did not start", ProtocolException.Closed); }
        catch (System.ComponentModel.Win32Exception e) { throw new ProtocolException($"the process did not start: {e.Message}", ProtocolException.Closed); }
        pid = process.Id;
        Containment.Started(pid);
        stdout = new BoundedLineReader(process.StandardOutput.BaseStream, Limits.ReplyLineBytes);
        var errors = process.StandardError.BaseStream;
        stderrPump = Task.Run(() => stderr.Pump(errors));
    }

    public (string Name, IReadOnlySet<Feature> Features) Handshake(TimeSpan timeout)
    {
        var reply = Ask(Protocol.Hello(), timeout, "the handshake");
        return Protocol.ReadHelloReply(reply);
    }

    public JsonObject Ask(JsonObject request, TimeSpan timeout, string what)
    {
        using var deadline = new CancellationTokenSource(timeout);
        // An implementation that does not read blocks the write once the pipe is full: the deadline empties the box,
        // which ends the write as well as the read.
        using var kill = deadline.Token.Register(Kill);
        string? line;
        try
        {
            process.StandardInput.WriteLine(Protocol.Line(request));
            process.StandardInput.Flush();
            line = stdout.ReadLineAsync(deadline.Token).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && deadline.IsCancellationRequested)
        {
            throw NoReply(what, timeout);
        }
        catch (IOException)
        {
            // It exited before reading: the same end as closing its output, whichever the race shows first.
            throw Gone(what);
        }
        catch (LineTooLongException e)
        {
            Kill();
            throw new ProtocolException($"the reply to {what} is {e.Message} (killed){Stderr()}", ProtocolException.Limit);
        }
        if (line is null) throw deadline.IsCancellationRequested ? NoReply(what, timeout) : Gone(what);
        return Protocol.Parse(line, $"the reply to {what}");
    }

    private ProtocolException NoReply(string what, TimeSpan timeout)
    {
        Kill();
        process.WaitForExit(1000);
        return new ProtocolException($"no reply to {what} within {timeout.TotalMilliseconds:0} ms (killed){Stderr()}", ProtocolException.Timeout);
    }

    private ProtocolException Gone(string what) =>
        new($"the implementation closed its output instead of answering {what}{Exited()}", ProtocolException.Closed);

    private string Exited() => process.WaitForExit(1000) ? $" (exit code {process.ExitCode}){Stderr()}" : Stderr();

    private string Stderr()
    {
        // The last lines may still be on their way when the process has gone: wait (briefly) for the end of stderr.
        if (process.HasExited) stderrPump.Wait(1000);
        return stderr.Describe() is { Length: > 0 } tail ? "; its stderr ended with: " + tail : "";
    }

    private void Kill() => Containment.Kill(pid, top: !process.HasExited);

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.StandardInput.WriteLine(Protocol.Line(Protocol.Bye()));
                process.StandardInput.Close();
                process.WaitForExit(2000);
            }
        }
        catch (IOException) { }
        // Whatever it started is ended with it: a child, a daemon, a process that ignores SIGTERM.
        Kill();
        process.WaitForExit(2000);
        Containment.Ended(pid);
        stderrPump.Wait(1000);
        process.Dispose();
    }

    /// <summary>The last bytes of a stream, read to its end in chunks, the rest dropped.</summary>
    private sealed class StderrTail(int capacity)
    {
        private readonly byte[] tail = new byte[capacity];
        private int used;
        private long total;

        public void Pump(Stream stream)
        {
            var chunk = new byte[4096];
            try
            {
                for (int read; (read = stream.Read(chunk)) > 0;) Append(chunk.AsSpan(0, read));
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException) { }
        }

        private void Append(ReadOnlySpan<byte> bytes)
        {
            lock (tail)
            {
                total += bytes.Length;
                if (bytes.Length >= capacity)
                {
                    bytes[^capacity..].CopyTo(tail);
                    used = capacity;
                    return;
                }
                var drop = Math.Max(0, used + bytes.Length - capacity);
                if (drop > 0)
                {
                    tail.AsSpan(drop, used - drop).CopyTo(tail);
                    used -= drop;
                }
                bytes.CopyTo(tail.AsSpan(used));
                used += bytes.Length;
            }
        }

        /// <summary>The last lines kept, " | " between them, control characters escaped; what was dropped is counted.</summary>
        public string Describe()
        {
            string text;
            long dropped;
            lock (tail)
            {
                text = Encoding.UTF8.GetString(tail, 0, used);
                dropped = total - used;
            }
            var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0).TakeLast(8);
            var shown = SafeText.Line(string.Join(" | ", lines));
            return shown.Length == 0 ? "" : dropped > 0 ? $"[{dropped} earlier bytes not kept] …{shown}" : shown;
        }
    }
}
