using Udpconf.Suite.Cases;
using System.Globalization;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Suite.Reports;

namespace Udpconf.Suite.Targets.Exec;

/// <summary>
/// An implementation under test as a process speaking the udpconf process protocol (Conformance/PROTOCOL.md):
/// started with /bin/sh -c once per case, told the host, sent one operation at a time. Whatever it does wrong
/// (exits, hangs, writes garbage, answers out of order, speaks another version) ends that case with a failure
/// naming the problem; the next case gets a fresh process. Whatever it sends is bounded (<see cref="Limits"/>), made
/// safe to show (<see cref="SafeText"/>) and whatever it starts is ended with its case (<see cref="Containment"/>).
/// An implementation that fails the handshake the same way <see cref="StopAfter"/> times in a row is stopped
/// (<see cref="TargetStoppedException"/>) instead of costing a timeout on every remaining case.
/// </summary>
public sealed class ExecTarget : ITarget
{
    /// <summary>Consecutive handshake failures of one kind that stop the target.</summary>
    public const int StopAfter = 3;

    public const string TimeoutVariable = "UDPCONF_EXEC_TIMEOUT_MS";
    public const string HandshakeTimeoutVariable = "UDPCONF_EXEC_HANDSHAKE_TIMEOUT_MS";

    private readonly string command;
    private readonly TimeSpan operationTimeout;
    private readonly TimeSpan handshakeTimeout;
    private readonly Lock failures = new();
    private string? lastFailureKind;
    private int consecutiveFailures;
    /// <summary>A long-lived implementation (<see cref="Persistent"/>): the one process, its handshake's features, and
    /// the gate that lets one case at a time use it.</summary>
    private readonly SemaphoreSlim gate = new(1, 1);
    private ImplementationProcess? shared;
    private TimeSpan startTimeout;

    private ExecTarget(string command, string name, IReadOnlySet<Feature> features, TimeSpan operationTimeout, TimeSpan handshakeTimeout)
    {
        this.command = command;
        Name = "exec:" + name;
        Features = features;
        this.operationTimeout = operationTimeout;
        this.handshakeTimeout = handshakeTimeout;
        startTimeout = handshakeTimeout;
    }

    public string Name { get; private set; }

    /// <summary>One process for the whole run, told a new host per case (the implementation lists
    /// <see cref="ProtocolServer.Sessions"/>), instead of a process per case: for an implementation that is slow to
    /// start, such as a kernel booting in a VM. Cases take turns on it; when it fails, the next case starts another.</summary>
    public bool Persistent { get; private init; }

    /// <summary>Starts a long-lived implementation (<see cref="Persistent"/>) and does its handshake, allowing it
    /// <paramref name="startTimeout"/> to answer the first hello; later starts (after a failure) are allowed the same.
    /// Null and why when it does not answer as the protocol says or does not take one host after another.
    /// <paramref name="name"/> names the target in reports instead of <c>exec:</c> and the name it gives.</summary>
    public static ExecTarget? Start(string command, Func<string, string> name, TimeSpan startTimeout, TimeSpan operationTimeout, TimeSpan handshakeTimeout, out string why)
    {
        ImplementationProcess? process = null;
        try
        {
            process = new ImplementationProcess(command);
            var (given, features) = process.Handshake(startTimeout);
            if (!features.Contains(ProtocolServer.Sessions))
            {
                process.Dispose();
                why = SafeText.Line($"'{command}' does not list the feature '{ProtocolServer.Sessions.Name}': it cannot run one case after another");
                return null;
            }
            why = "";
            return new ExecTarget(command, given, features, operationTimeout, handshakeTimeout)
                { Persistent = true, shared = process, Name = name(given), startTimeout = startTimeout };
        }
        catch (ProtocolException e)
        {
            process?.Dispose();
            why = SafeText.Line($"'{command}': {e.Message}");
            return null;
        }
    }

    /// <summary>Ends the long-lived process of a <see cref="Persistent"/> target (a later case would start another).</summary>
    public void Stop()
    {
        gate.Wait();
        try
        {
            shared?.Dispose();
            shared = null;
        }
        finally { gate.Release(); }
    }
    public IReadOnlySet<Feature> Features { get; }
    public string Command => command;

    /// <summary>The per-operation limit: <c>UDPCONF_EXEC_TIMEOUT_MS</c>, else 5 s; the handshake's and the host's:
    /// <c>UDPCONF_EXEC_HANDSHAKE_TIMEOUT_MS</c>, else 10 s. False, and a line naming the variable and its value, when
    /// one is set to anything but a positive number of milliseconds (it is never silently replaced by the default).</summary>
    public static bool TimeoutsFromEnvironment(out TimeSpan operation, out TimeSpan handshake, out string why)
    {
        var operationOk = Milliseconds(TimeoutVariable, TimeSpan.FromSeconds(5), out operation, out var operationWhy);
        var handshakeOk = Milliseconds(HandshakeTimeoutVariable, TimeSpan.FromSeconds(10), out handshake, out var handshakeWhy);
        why = operationOk ? handshakeWhy : operationWhy;
        return operationOk && handshakeOk;
    }

    private static bool Milliseconds(string variable, TimeSpan otherwise, out TimeSpan value, out string why)
    {
        var text = Environment.GetEnvironmentVariable(variable);
        why = "";
        value = otherwise;
        if (text is null) return true;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms > 0)
        {
            value = TimeSpan.FromMilliseconds(ms);
            return true;
        }
        why = $"{variable}='{SafeText.Line(text, 40)}' is not a positive whole number of milliseconds";
        return false;
    }

    /// <summary>Starts <paramref name="command"/> once to learn its name and features (the handshake); null and why
    /// when it does not answer as the protocol says. Timeouts not given come from the environment (invalid values
    /// there are the caller's to refuse first: <see cref="TimeoutsFromEnvironment"/>).</summary>
    public static ExecTarget? Connect(string command, out string why, TimeSpan? operationTimeout = null, TimeSpan? handshakeTimeout = null)
    {
        TimeoutsFromEnvironment(out var operation, out var handshake, out _);
        operation = operationTimeout ?? operation;
        handshake = handshakeTimeout ?? handshake;
        try
        {
            using var process = new ImplementationProcess(command);
            var (name, features) = process.Handshake(handshake);
            why = "";
            return new ExecTarget(command, name, features, operation, handshake);
        }
        catch (ProtocolException e)
        {
            why = SafeText.Line($"'{command}': {e.Message}");
            return null;
        }
    }

    public TargetRun Run(HostConfig host, IReadOnlyList<Operation> operations, CancellationToken cancellation = default)
    {
        ITargetSession session;
        try { session = Open(host, operations.Any(o => o is SocketOp { Domain: Reference.Api.AddressFamily.Inet6 })); }
        catch (ProtocolException e) { return new TargetRun([], SafeText.Line($"{Name} ({command}): {e.Message}")); }
        using (session)
        {
            var observations = new List<Observation>(operations.Count);
            foreach (var operation in operations)
            {
                cancellation.ThrowIfCancellationRequested();
                try { observations.Add(session.Run(operation)); }
                catch (ProtocolException e)
                {
                    return new TargetRun(observations, SafeText.Line($"{Name} ({command}), step {observations.Count + 1}: {e.Message}"));
                }
            }
            return new TargetRun(observations);
        }
    }

    /// <summary>A fresh process told the host. A failure of the handshake or the host is counted: the
    /// <see cref="StopAfter"/>th of one kind in a row throws <see cref="TargetStoppedException"/>.</summary>
    public ITargetSession Open(HostConfig host, bool ipv6 = false)
    {
        try
        {
            var session = Persistent ? Continue(host, ipv6) : Start(host, ipv6);
            lock (failures) (lastFailureKind, consecutiveFailures) = (null, 0);
            return session;
        }
        catch (ProtocolException e)
        {
            lock (failures)
            {
                consecutiveFailures = e.Kind == lastFailureKind ? consecutiveFailures + 1 : 1;
                lastFailureKind = e.Kind;
                if (consecutiveFailures >= StopAfter)
                    throw new TargetStoppedException(SafeText.Line(
                        $"{Name} ({command}) failed the handshake {consecutiveFailures} times in a row ({e.Kind}), last: {e.Message}; " +
                        "stopped: the remaining cases were not run"));
            }
            throw;
        }
    }

    /// <summary>The next case on the long-lived process: it waits for the case before to end, starts the process
    /// again when that one failed, and tells it the new host.</summary>
    private ITargetSession Continue(HostConfig host, bool ipv6)
    {
        gate.Wait();
        try
        {
            if (shared is null)
            {
                var process = new ImplementationProcess(command);
                try { process.Handshake(startTimeout); }
                catch { process.Dispose(); throw; }
                shared = process;
            }
            if (TellHost(shared, host, ipv6) is { } unsupported)
            {
                gate.Release();
                return unsupported;
            }
            var process1 = shared;
            return new Session(process1, Features, operationTimeout, failed =>
            {
                if (failed && ReferenceEquals(shared, process1))
                {
                    shared.Dispose();
                    shared = null;
                }
                gate.Release();
            });
        }
        catch
        {
            shared?.Dispose();
            shared = null;
            gate.Release();
            throw;
        }
    }

    private ITargetSession Start(HostConfig host, bool ipv6)
    {
        var process = new ImplementationProcess(command);
        try
        {
            var (_, features) = process.Handshake(handshakeTimeout);
            if (TellHost(process, host, ipv6) is { } unsupported)
            {
                process.Dispose();
                return unsupported;
            }
            return new Session(process, features, operationTimeout, _ => process.Dispose());
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    /// <summary>Tells the process the host: null when it took it, the session of a host it does not support, or a
    /// ProtocolException when it answers neither.</summary>
    private UnsupportedHost? TellHost(ImplementationProcess process, HostConfig host, bool ipv6)
    {
        var reply = process.Ask(Protocol.Host(host, ipv6), handshakeTimeout, "the host");
        if (reply["unsupported"] is { } why)
            return new UnsupportedHost($"{Name} does not support this host: {SafeText.Line(why.ToString(), Limits.QuotedCharacters)}");
        if (reply["ok"]?.GetValueKind() != System.Text.Json.JsonValueKind.True)
            throw new ProtocolException($"the reply to the host is neither ok nor unsupported: {Protocol.Shorten(reply.ToJsonString())}");
        return null;
    }

    private sealed class UnsupportedHost(string why) : ITargetSession
    {
        public Observation Run(Operation operation) => new(OutcomeKind.Unmodeled, 0, null, [], Note: why);
        public void Dispose() { }
    }

    /// <summary>One case on a process; <paramref name="end"/> is told at the end whether the process failed.</summary>
    private sealed class Session(ImplementationProcess process, IReadOnlySet<Feature> features, TimeSpan timeout, Action<bool> end) : ITargetSession
    {
        private readonly Descriptors descriptors = new(1_000_000);
        private int id;
        private bool failed, ended;

        public Observation Run(Operation operation)
        {
            try { return Step(operation); }
            catch (ProtocolException)
            {
                failed = true;
                throw;
            }
        }

        private Observation Step(Operation operation)
        {
            // A sendmmsg vector that ends before vlen (capped at 1024) entries is unreadable memory too.
            var unreadableVector = operation is SendMmsgOp { } mmsg && Math.Min(mmsg.Vlen, 1024u) > mmsg.Messages.Count;
            if (!features.Contains(Protocol.UnreadableMemory) && (unreadableVector || Buffers(operation).Any(b => b is { FullyReadable: false })))
                return new Observation(OutcomeKind.Unmodeled, 0, null, [], Note: "the implementation does not take unreadable memory");
            // A case calling an operation of version 2 is not applicable to a version 1 implementation (CaseRunner); a
            // caller that runs operations without a case (the fuzzer) gets a step it could not run, never the request.
            if (Feature.ImpliedBy(operation).FirstOrDefault(f => !features.Contains(f)) is { Name: { } missing })
                return new Observation(OutcomeKind.Unmodeled, 0, null, [], Note: $"the implementation does not perform {missing} (it does not list it, or speaks protocol version 1)");
            if (operation is HostChangeOp && !features.Contains(Feature.HostChange))
                return new Observation(OutcomeKind.Unmodeled, 0, null, [], Note: "the implementation cannot change the host between calls");
            var request = Protocol.Request(++id, operation, descriptors.Resolve);
            var reply = process.Ask(request, timeout, $"operation {id} ({request["op"]})");
            if (reply["id"] is not { } replyId || replyId.GetValueKind() != System.Text.Json.JsonValueKind.Number || replyId.GetValue<int>() != id)
                throw new ProtocolException($"the reply to operation {id} carries id {reply["id"]?.ToJsonString() ?? "none"}: {Protocol.Shorten(reply.ToJsonString())}");
            var observed = Protocol.ReadReply(reply, features.Contains(Feature.Counters), features.Contains(Feature.ErrorQueue));
            if (observed.Note is { } note) observed = observed with { Note = SafeText.Line(note, Limits.QuotedCharacters) };
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
            SendMmsgOp op => op.Messages.SelectMany(e => (UserBuffer?[])[e.Name, e.Control, .. e.Iov]),
            _ => [],
        };

        public void Dispose()
        {
            if (ended) return;
            ended = true;
            end(failed);
        }
    }
}
