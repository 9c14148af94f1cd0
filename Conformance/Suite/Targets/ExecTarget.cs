using System.Diagnostics;
using System.Text.Json.Nodes;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Suite.Exec;

namespace Udpconf.Suite.Targets;

/// <summary>
/// An implementation under test as a process speaking the udpconf process protocol (Conformance/PROTOCOL.md):
/// started with /bin/sh -c once per case, told the host, sent one operation at a time. Whatever it does wrong
/// (exits, hangs, writes garbage, answers out of order, speaks another version) ends that case with a failure
/// naming the problem; the next case gets a fresh process.
/// </summary>
public sealed class ExecTarget : ITarget
{
    private readonly string command;
    private readonly TimeSpan operationTimeout;
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    private ExecTarget(string command, string name, IReadOnlySet<string> features, TimeSpan operationTimeout)
    {
        this.command = command;
        Name = "exec:" + name;
        Features = features;
        this.operationTimeout = operationTimeout;
    }

    public string Name { get; }
    public IReadOnlySet<string> Features { get; }
    public string Command => command;

    /// <summary>The per-operation limit: <c>UDPCONF_EXEC_TIMEOUT_MS</c>, else 5 s.</summary>
    public static TimeSpan DefaultTimeout =>
        int.TryParse(Environment.GetEnvironmentVariable("UDPCONF_EXEC_TIMEOUT_MS"), out var ms) && ms > 0 ? TimeSpan.FromMilliseconds(ms) : TimeSpan.FromSeconds(5);

    /// <summary>Starts <paramref name="command"/> once to learn its name and features (the handshake); null and why
    /// when it does not answer as the protocol says.</summary>
    public static ExecTarget? Connect(string command, out string why, TimeSpan? operationTimeout = null)
    {
        try
        {
            using var process = new ImplementationProcess(command);
            var (name, features) = process.Handshake(HandshakeTimeout);
            why = "";
            return new ExecTarget(command, name, features, operationTimeout ?? DefaultTimeout);
        }
        catch (ProtocolException e)
        {
            why = $"'{command}': {e.Message}";
            return null;
        }
    }

    public TargetRun Run(HostConfig host, IReadOnlyList<Operation> operations, CancellationToken cancellation = default)
    {
        ITargetSession session;
        try { session = Open(host); }
        catch (ProtocolException e) { return new TargetRun([], $"{Name} ({command}): {e.Message}"); }
        using (session)
        {
            var observations = new List<Observation>(operations.Count);
            foreach (var operation in operations)
            {
                cancellation.ThrowIfCancellationRequested();
                try { observations.Add(session.Run(operation)); }
                catch (ProtocolException e)
                {
                    return new TargetRun(observations, $"{Name} ({command}), step {observations.Count + 1}: {e.Message}");
                }
            }
            return new TargetRun(observations);
        }
    }

    public ITargetSession Open(HostConfig host, bool ipv6 = false)
    {
        var process = new ImplementationProcess(command);
        try
        {
            var (_, features) = process.Handshake(HandshakeTimeout);
            var reply = process.Ask(Protocol.Host(host), HandshakeTimeout, "the host");
            if (reply["unsupported"] is { } why)
            {
                process.Dispose();
                return new UnsupportedHost($"{Name} does not support this host: {why}");
            }
            if (reply["ok"]?.GetValueKind() != System.Text.Json.JsonValueKind.True)
                throw new ProtocolException($"the reply to the host is neither ok nor unsupported: {Protocol.Shorten(reply.ToJsonString())}");
            return new Session(process, features, operationTimeout);
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    private sealed class UnsupportedHost(string why) : ITargetSession
    {
        public Observation Run(Operation operation) => new(OutcomeKind.Unmodeled, 0, null, [], Note: why);
        public void Dispose() { }
    }

    private sealed class Session(ImplementationProcess process, IReadOnlySet<string> features, TimeSpan timeout) : ITargetSession
    {
        private readonly Descriptors descriptors = new(1_000_000);
        private int id;

        public Observation Run(Operation operation)
        {
            if (!features.Contains(Protocol.UnreadableMemory) && Buffers(operation).Any(b => b is { FullyReadable: false }))
                return new Observation(OutcomeKind.Unmodeled, 0, null, [], Note: "the implementation does not take unreadable memory");
            if (operation is HostChangeOp && !features.Contains("host-change"))
                return new Observation(OutcomeKind.Unmodeled, 0, null, [], Note: "the implementation cannot change the host between calls");
            var request = Protocol.Request(++id, operation, descriptors.Resolve);
            var reply = process.Ask(request, timeout, $"operation {id} ({request["op"]})");
            if (reply["id"] is not { } replyId || replyId.GetValueKind() != System.Text.Json.JsonValueKind.Number || replyId.GetValue<int>() != id)
                throw new ProtocolException($"the reply to operation {id} carries id {reply["id"]?.ToJsonString() ?? "none"}: {Protocol.Shorten(reply.ToJsonString())}");
            var observed = Protocol.ReadReply(reply, features.Contains("counters"), features.Contains("error-queue"));
            switch (operation)
            {
                case SocketOp op when observed.Kind == OutcomeKind.Value:
                    return observed with { Value = descriptors.Install(op.Name, (int)observed.Value) };
                case OpenFileOp op when observed.Kind == OutcomeKind.Value:
                    return observed with { Value = descriptors.Install(op.Name, (int)observed.Value) };
                case CloseOp op when observed.Kind == OutcomeKind.Value:
                    descriptors.Closed(descriptors.Resolve(op.Fd));
                    return observed;
                default:
                    return observed;
            }
        }

        private static IEnumerable<UserBuffer?> Buffers(Operation operation) => operation switch
        {
            BindOp op => [op.Address],
            ConnectOp op => [op.Address],
            SetSockOptOp op => [op.Value],
            SendToOp op => [op.Data, op.Address],
            SendMsgOp op => [op.Name, op.Control, .. op.Iov],
            _ => [],
        };

        public void Dispose() => process.Dispose();
    }

    /// <summary>The running implementation: a line out, a line back, with a deadline; the last lines of its stderr
    /// are kept to explain a failure.</summary>
    private sealed class ImplementationProcess : IDisposable
    {
        private readonly Process process;
        private readonly Queue<string> stderr = new();
        private readonly ManualResetEventSlim stderrClosed = new();

        public ImplementationProcess(string command)
        {
            var start = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(command);
            try { process = Process.Start(start) ?? throw new ProtocolException("the process did not start"); }
            catch (System.ComponentModel.Win32Exception e) { throw new ProtocolException($"the process did not start: {e.Message}"); }
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    stderrClosed.Set();
                    return;
                }
                lock (stderr)
                {
                    stderr.Enqueue(e.Data);
                    while (stderr.Count > 8) stderr.Dequeue();
                }
            };
            process.BeginErrorReadLine();
        }

        public (string Name, IReadOnlySet<string> Features) Handshake(TimeSpan timeout)
        {
            var reply = Ask(Protocol.Hello(), timeout, "the handshake");
            if (reply["op"]?.ToString() != "hello") throw new ProtocolException($"the handshake reply is not a hello: {Protocol.Shorten(reply.ToJsonString())}");
            if (reply["version"] is not { } version || version.GetValueKind() != System.Text.Json.JsonValueKind.Number || version.GetValue<int>() != Protocol.Version)
                throw new ProtocolException($"the implementation speaks protocol version {reply["version"]?.ToJsonString() ?? "(none)"}; udpconf speaks {Protocol.Version}");
            var name = reply["name"]?.GetValueKind() == System.Text.Json.JsonValueKind.String ? reply["name"]!.GetValue<string>() : "unnamed";
            var features = reply["features"] is JsonArray list
                ? list.Select(f => f?.GetValueKind() == System.Text.Json.JsonValueKind.String ? f.GetValue<string>() : throw new ProtocolException("a feature is not a string")).ToHashSet()
                : [];
            return (name, features);
        }

        public JsonObject Ask(JsonObject request, TimeSpan timeout, string what)
        {
            try
            {
                process.StandardInput.WriteLine(Protocol.Line(request));
                process.StandardInput.Flush();
            }
            catch (IOException)
            {
                // It exited before reading: the same end as closing its output, whichever the race shows first.
                throw Gone(what);
            }
            string? line;
            using (var deadline = new CancellationTokenSource(timeout))
            {
                try { line = process.StandardOutput.ReadLineAsync(deadline.Token).AsTask().GetAwaiter().GetResult(); }
                catch (OperationCanceledException)
                {
                    Kill();
                    process.WaitForExit(1000);
                    throw new ProtocolException($"no reply to {what} within {timeout.TotalMilliseconds:0} ms (killed){Stderr()}");
                }
            }
            if (line is null) throw Gone(what);
            return Protocol.Parse(line, $"the reply to {what}");
        }

        private ProtocolException Gone(string what) => new($"the implementation closed its output instead of answering {what}{Exited()}");

        private string Exited()
        {
            if (!process.WaitForExit(1000)) return Stderr();
            return $" (exit code {process.ExitCode}){Stderr()}";
        }

        private string Stderr()
        {
            // The last lines may still be on their way when the process has gone: wait (briefly) for the end of stderr.
            if (process.HasExited) stderrClosed.Wait(1000);
            lock (stderr) return stderr.Count == 0 ? "" : "; its stderr ended with: " + string.Join(" | ", stderr);
        }

        private void Kill()
        {
            try { process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { }
        }

        public void Dispose()
        {
            try
            {
                if (!process.HasExited)
                {
                    process.StandardInput.WriteLine(Protocol.Line(Protocol.Bye()));
                    process.StandardInput.Close();
                    if (!process.WaitForExit(2000)) Kill();
                }
            }
            catch (IOException) { Kill(); }
            process.WaitForExit(2000);
            process.Dispose();
            stderrClosed.Dispose();
        }
    }
}
