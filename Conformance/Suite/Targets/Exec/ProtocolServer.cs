using System.Text.Json.Nodes;
using Udpconf.Suite.Cases;

namespace Udpconf.Suite.Targets.Exec;

/// <summary>
/// The implementation side of the process protocol (Conformance/PROTOCOL.md) over any target: serve-model puts the
/// model behind it, serve-kernel the live kernel (which is how a kernel in a VM is reached, <see cref="Vm.VmTarget"/>).
/// Every <c>host</c> request starts a fresh instance of the target (feature <see cref="Sessions"/>): the sockets of the
/// one before are closed, so that one long-lived server can run case after case.
/// </summary>
public sealed class ProtocolServer(ITarget target, string name, IEnumerable<Feature> features)
{
    /// <summary>The feature of a server that takes one <c>host</c> after another, each a fresh instance.</summary>
    public static readonly Feature Sessions = new("sessions");

    /// <summary>Answers requests from <paramref name="input"/> on <paramref name="output"/> until <c>bye</c> or the end
    /// of the input; a request it cannot read is answered <c>unsupported</c> and said on <paramref name="log"/>.</summary>
    public void Serve(TextReader input, TextWriter output, TextWriter log, string who)
    {
        ITargetSession? session = null;
        var version = Protocol.Version;
        try
        {
            while (input.ReadLine() is { } line)
            {
                JsonObject reply;
                try
                {
                    var request = Protocol.Parse(line, "a request");
                    var op = request["op"]?.ToString();
                    if (op == "bye") break;
                    if (op == "hello")
                    {
                        // The newest version offered; one it cannot agree on is answered with its own, for the
                        // client to refuse.
                        version = Protocol.Agree(request) ?? Protocol.Version;
                        reply = Protocol.HelloReply(name, features.Append(Protocol.UnreadableMemory).Append(Sessions).Distinct(), version);
                    }
                    else if (op == "host")
                    {
                        session?.Dispose();
                        session = null;
                        session = target.Open(Protocol.ReadHost(request), JsonField.Bool(request, "ipv6", false));
                        reply = new JsonObject { ["ok"] = true };
                    }
                    else
                    {
                        var id = request["id"]?.GetValue<int>() ?? 0;
                        if (session is null) throw new ProtocolException("an operation before the host");
                        var operation = Protocol.ReadRequest(request);
                        reply = version < 2 && Feature.ImpliedBy(operation).Any()
                            ? new JsonObject { ["id"] = id, ["unsupported"] = $"'{op}' is an operation of protocol version 2; this session speaks {version}" }
                            : Protocol.Reply(id, session.Run(operation));
                    }
                }
                catch (Exception e) when (e is ProtocolException or InvalidOperationException or FormatException)
                {
                    log.WriteLine($"{who}: {e.Message}");
                    reply = new JsonObject { ["unsupported"] = e.Message };
                }
                output.WriteLine(Protocol.Line(reply));
            }
        }
        finally { session?.Dispose(); }
    }
}
