using Udpconf.Suite.Cases;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Suite.Reports;

namespace Udpconf.Suite.Targets.Exec;

/// <summary>
/// The udpconf process protocol, version 2 (Conformance/PROTOCOL.md): the JSON of the handshake, the host, the
/// operations and the replies, both ways, so that the exec target (which sends operations) and serve-model (which
/// answers them) share one definition. Descriptors travel as the implementation's own numbers. Version 2 adds the
/// operations shutdown and sendmmsg, each performed by an implementation that lists it among its features
/// (<see cref="V2Features"/>); one that answers version 1 has neither, and a case calling one is not applicable to it.
/// </summary>
public static class Protocol
{
    /// <summary>The version serve-model answers, the latest.</summary>
    public const int Version = 2;

    /// <summary>The versions udpconf offers in its hello.</summary>
    public static readonly IReadOnlyList<int> Versions = [1, 2];

    /// <summary>The operations of version 2, as the features a case needs for them and an implementation lists.</summary>
    public static readonly IReadOnlyList<Feature> V2Features = [Feature.Shutdown, Feature.Sendmmsg, Feature.IovLength, Feature.PolicyRouting];

    /// <summary>The optional abilities an implementation may declare: the case features, and unreadable memory.</summary>
    public static readonly Feature UnreadableMemory = new("unreadable-memory");

    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    public static string Line(JsonObject message) => message.ToJsonString(Compact);

    public static JsonObject Hello() => new() { ["op"] = "hello", ["versions"] = new JsonArray(Versions.Select(v => (JsonNode)v).ToArray()) };

    /// <summary>serve-model's hello: the newest version the request offers (<paramref name="offered"/>; 1 when it offers
    /// none that udpconf knows but 1), and the features, less those of version 2 when it answers 1.</summary>
    public static JsonObject HelloReply(string name, IEnumerable<Feature> features, int version = Version) =>
        new()
        {
            ["op"] = "hello", ["version"] = version, ["name"] = name,
            ["features"] = new JsonArray(features.Where(f => version >= 2 || !V2Features.Contains(f)).Select(f => (JsonNode)f.Name!).ToArray()),
        };

    /// <summary>The newest version both a hello request offers and udpconf speaks; null when they share none.</summary>
    public static int? Agree(JsonObject hello) =>
        hello["versions"] is JsonArray offered
            ? offered.Where(v => v?.GetValueKind() == JsonValueKind.Number && v.AsValue().TryGetValue<int>(out _)).Select(v => v!.GetValue<int>())
                .Where(Versions.Contains).Cast<int?>().Max()
            : null;

    public static JsonObject Bye() => new() { ["op"] = "bye" };

    /// <summary>The name and features of a hello reply (the exec target's side of the handshake), with control
    /// characters made visible; a ProtocolException naming what is wrong or over a limit.</summary>
    public static (string Name, IReadOnlySet<Feature> Features) ReadHelloReply(JsonObject reply)
    {
        if (reply["op"]?.ToString() != "hello") throw new ProtocolException($"the handshake reply is not a hello: {Shorten(reply.ToJsonString())}");
        if (reply["version"] is not { } version || version.GetValueKind() != JsonValueKind.Number || !version.AsValue().TryGetValue<int>(out var number) || !Versions.Contains(number))
            throw new ProtocolException($"the implementation speaks protocol version {Shorten(reply["version"]?.ToJsonString() ?? "(none)")}; udpconf speaks {string.Join(" and ", Versions)}");
        var name = reply["name"]?.GetValueKind() == JsonValueKind.String ? reply["name"]!.GetValue<string>() : "unnamed";
        if (name.Length > Limits.NameCharacters)
            throw new ProtocolException($"the name in the handshake has {name.Length} characters: more than the limit of {Limits.NameCharacters} " +
                                        $"(it begins {SafeText.Line(name, 40)})", ProtocolException.Limit);
        if (reply["features"] is JsonArray { Count: > Limits.Features } many)
            throw new ProtocolException($"the handshake lists {many.Count} features: more than the limit of {Limits.Features}", ProtocolException.Limit);
        var features = reply["features"] is JsonArray list
            ? list.Select(f => f?.GetValueKind() == JsonValueKind.String ? f.GetValue<string>() : throw new ProtocolException("a feature is not a string")).ToArray()
            : [];
        if (features.FirstOrDefault(f => f.Length > Limits.FeatureCharacters) is { } longFeature)
            throw new ProtocolException($"a feature in the handshake has {longFeature.Length} characters: more than the limit of {Limits.FeatureCharacters} " +
                                        $"(it begins {SafeText.Line(longFeature, 40)})", ProtocolException.Limit);
        // Shown in every report and on the terminal: control characters become visible escapes here, once. The
        // operations of version 2 are features an implementation speaking it lists when it performs them; one that
        // speaks version 1 has none of them, whatever it lists.
        var set = features.Select(f => new Feature(SafeText.Line(f))).ToHashSet();
        if (number < 2) set.ExceptWith(V2Features);
        return (SafeText.Line(name), set);
    }

    /// <summary>Parses one line into a JSON object, or says why it is not one.</summary>
    public static JsonObject Parse(string line, string what)
    {
        try
        {
            return JsonNode.Parse(line) as JsonObject ?? throw new ProtocolException($"{what} is not a JSON object: {Shorten(line)}");
        }
        catch (JsonException e)
        {
            throw new ProtocolException($"{what} is not JSON ({e.Message}): {Shorten(line)}");
        }
    }

    public static string Shorten(string line) => line.Length <= 200 ? line : line[..200] + $"… ({line.Length} characters)";

    // ---- the host ----

    /// <summary>The host request; <paramref name="ipv6"/>: the case opens AF_INET6 sockets (sent only then), for an
    /// implementation that must prepare for them before the first operation (the live kernel behind serve-kernel).</summary>
    public static JsonObject Host(HostConfig host, bool ipv6 = false) => new()
    {
        ["op"] = "host",
        ["ipv6"] = ipv6 ? true : null,
        ["links"] = new JsonArray(host.Interfaces.Where(i => !i.IsLoopback).Select(i => (JsonNode)new JsonObject
        {
            ["name"] = i.Name, ["index"] = i.Index, ["address"] = i.Address.ToString(), ["prefix"] = i.PrefixLength,
            ["mtu"] = i.Mtu, ["up"] = i.Up, ["offload"] = i.ChecksumOffload, ["ufo"] = i.UdpFragmentationOffload,
            ["sg"] = i.ScatterGather, ["queueFull"] = i.QueueFull,
            ["also"] = new JsonArray((i.SecondaryAddresses ?? []).Select(a => (JsonNode)new JsonObject
                { ["address"] = a.Address.ToString(), ["prefix"] = a.PrefixLength }).ToArray()),
        }).ToArray()),
        ["routes"] = new JsonArray(host.Routes.Select(r => (JsonNode)new JsonObject
        {
            ["kind"] = r.Kind.ToString().ToLowerInvariant(), ["destination"] = r.Destination.ToString(), ["prefix"] = r.PrefixLength,
            ["gateway"] = r.Gateway?.ToString(), ["dev"] = r.Device, ["mtu"] = r.Mtu, ["lock"] = r.MtuLocked, ["tos"] = r.Tos,
            ["src"] = r.PreferredSource?.ToString(), ["hoplimit"] = r.HopLimit, ["table"] = r.Table,
        }).ToArray()),
        // Version 2, feature policy-routing: sent only when the host has rules.
        ["rules"] = host.Rules.Count == 0 ? null : new JsonArray(host.Rules.Select(r => (JsonNode)new JsonObject
        {
            ["priority"] = r.Priority, ["action"] = r.Action.ToString().ToLowerInvariant(), ["table"] = r.Table,
            ["from"] = r.From?.Address.ToString(), ["fromPrefix"] = r.From?.PrefixLength,
            ["to"] = r.To?.Address.ToString(), ["toPrefix"] = r.To?.PrefixLength,
            ["fwmark"] = r.FwMark?.Mark, ["fwmask"] = r.FwMark?.Mask, ["tos"] = r.Tos, ["oif"] = r.Oif,
        }).ToArray()),
        ["drops"] = new JsonArray(host.OutputDrops.Select(d => (JsonNode)new JsonObject
            { ["destination"] = d.Destination.ToString(), ["prefix"] = d.PrefixLength, ["port"] = d.DestinationPort }).ToArray()),
        ["ttl"] = host.DefaultTtl,
        ["ports"] = new JsonArray(host.LocalPortLow, host.LocalPortHigh),
        ["pmtu"] = host.DefaultPmtuMode,
        ["wmem"] = new JsonArray(host.WmemDefault, host.WmemMax),
        ["privileged"] = host.Privileged,
        ["veto"] = host.SecurityVeto?.ToString(),
    };

    public static HostConfig ReadHost(JsonObject message)
    {
        var defaults = new HostConfig();
        var links = JsonField.Array(message, "links").Select(node =>
        {
            var l = JsonField.Object(node, "a link");
            return new Interface(JsonField.String(l, "name"), JsonField.Int(l, "index"), JsonField.Address(l, "address"), JsonField.Int(l, "prefix"), JsonField.Int(l, "mtu"),
                JsonField.Bool(l, "up", true), JsonField.Bool(l, "offload", false), JsonField.Bool(l, "ufo", false), JsonField.Bool(l, "sg", true), JsonField.Bool(l, "queueFull", false),
                l["also"] is JsonArray also && also.Count > 0
                    ? also.Select(a => (JsonField.Address(JsonField.Object(a, "an address"), "address"), JsonField.Int(JsonField.Object(a, "an address"), "prefix"))).ToArray()
                    : null);
        });
        var routes = JsonField.Array(message, "routes").Select(node =>
        {
            var r = JsonField.Object(node, "a route");
            var kind = Enum.TryParse<RouteKind>(JsonField.String(r, "kind"), true, out var k) ? k : throw new ProtocolException($"unknown route kind '{r["kind"]}'");
            return new Route(JsonField.Address(r, "destination"), JsonField.Int(r, "prefix"), kind, r["dev"]?.GetValue<string>(),
                JsonField.OptionalAddress(r, "gateway"), r["mtu"]?.GetValue<int>(), JsonField.Bool(r, "lock", false), (byte)(r["tos"]?.GetValue<int>() ?? 0),
                JsonField.OptionalAddress(r, "src"), r["hoplimit"] is { } h ? (byte)h.GetValue<int>() : null,
                r["table"] is { } t ? t.GetValue<uint>() : Route.MainTable);
        });
        var rules = message["rules"] is JsonArray ruleArray
            ? ruleArray.Select(node =>
            {
                var o = JsonField.Object(node, "a rule");
                var action = Enum.TryParse<RuleAction>(JsonField.String(o, "action"), true, out var a) ? a : throw new ProtocolException($"unknown rule action '{o["action"]}'");
                return new PolicyRule(JsonField.Int(o, "priority"), action, o["table"] is { } t ? t.GetValue<uint>() : Route.MainTable,
                    JsonField.OptionalAddress(o, "from") is { } from ? (from, JsonField.Int(o, "fromPrefix")) : null,
                    JsonField.OptionalAddress(o, "to") is { } to ? (to, JsonField.Int(o, "toPrefix")) : null,
                    o["fwmark"] is { } mark ? (mark.GetValue<uint>(), o["fwmask"]?.GetValue<uint>() ?? uint.MaxValue) : null,
                    (byte)(o["tos"]?.GetValue<int>() ?? 0), o["oif"]?.GetValue<string>());
            }).ToArray()
            : [];
        var drops = message["drops"] is JsonArray d
            ? d.Select(node =>
            {
                var o = JsonField.Object(node, "a drop");
                return new OutputDropRule(JsonField.Address(o, "destination"), JsonField.Int(o, "prefix"), o["port"] is { } p ? (ushort)p.GetValue<int>() : null);
            }).ToArray()
            : [];
        var ports = message["ports"] as JsonArray;
        var wmem = message["wmem"] as JsonArray;
        return new HostConfig
        {
            Interfaces = [HostConfig.LoopbackInterface, .. links],
            Routes = routes.ToArray(),
            OutputDrops = drops,
            Rules = rules,
            DefaultTtl = (byte)(message["ttl"]?.GetValue<int>() ?? defaults.DefaultTtl),
            LocalPortLow = (ushort)(ports?[0]?.GetValue<int>() ?? defaults.LocalPortLow),
            LocalPortHigh = (ushort)(ports?[1]?.GetValue<int>() ?? defaults.LocalPortHigh),
            DefaultPmtuMode = message["pmtu"]?.GetValue<int>() ?? defaults.DefaultPmtuMode,
            WmemDefault = wmem?[0]?.GetValue<int>() ?? defaults.WmemDefault,
            WmemMax = wmem?[1]?.GetValue<int>() ?? defaults.WmemMax,
            Privileged = JsonField.Bool(message, "privileged", true),
            SecurityVeto = message["veto"] is { } veto ? JsonField.Errno(veto) : null,
        };
    }

    // ---- operations ----

    /// <summary>The request for <paramref name="operation"/>; <paramref name="fd"/> gives the implementation's number
    /// for a descriptor of the case.</summary>
    public static JsonObject Request(int id, Operation operation, Func<Fd, int> fd)
    {
        var m = new JsonObject { ["id"] = id };
        switch (operation)
        {
            case SocketOp op: m["op"] = "socket"; m["domain"] = op.Domain; m["type"] = op.Type; m["protocol"] = op.Protocol; break;
            case OpenFileOp: m["op"] = "open"; break;
            case BindOp op: m["op"] = "bind"; m["fd"] = fd(op.Fd); m["addr"] = Buffer(op.Address); m["addrlen"] = op.AddressLength; break;
            case ConnectOp op: m["op"] = "connect"; m["fd"] = fd(op.Fd); m["addr"] = Buffer(op.Address); m["addrlen"] = op.AddressLength; break;
            case SetSockOptOp op:
                m["op"] = "setsockopt"; m["fd"] = fd(op.Fd); m["level"] = op.Level; m["name"] = op.OptName; m["value"] = Buffer(op.Value); m["optlen"] = op.OptLen;
                break;
            case GetSockOptOp op: m["op"] = "getsockopt"; m["fd"] = fd(op.Fd); m["level"] = op.Level; m["name"] = op.OptName; m["optlen"] = op.OptLen; break;
            case SetNonblockOp op: m["op"] = "nonblock"; m["fd"] = fd(op.Fd); m["on"] = op.Nonblocking; break;
            case SendToOp op:
                m["op"] = "sendto"; m["fd"] = fd(op.Fd); m["data"] = Buffer(op.Data); m["flags"] = (long)op.Flags; m["addr"] = Buffer(op.Address); m["addrlen"] = op.AddressLength;
                break;
            case SendMsgOp op:
                m["op"] = "sendmsg"; m["fd"] = fd(op.Fd); m["name"] = Buffer(op.Name); m["namelen"] = op.NameLength;
                m["iov"] = new JsonArray(op.Iov.Select(IovEntry).ToArray()); m["control"] = Buffer(op.Control); m["controllen"] = op.ControlLength;
                m["flags"] = (long)op.Flags;
                break;
            case ShutdownOp op: m["op"] = "shutdown"; m["fd"] = fd(op.Fd); m["how"] = op.How; break;
            case SendMmsgOp op:
                m["op"] = "sendmmsg"; m["fd"] = fd(op.Fd);
                m["msgs"] = new JsonArray(op.Messages.Select(e => (JsonNode)new JsonObject
                {
                    ["name"] = Buffer(e.Name), ["namelen"] = e.NameLength, ["iov"] = new JsonArray(e.Iov.Select(IovEntry).ToArray()),
                    ["control"] = Buffer(e.Control), ["controllen"] = e.ControlLength,
                }).ToArray());
                m["vlen"] = op.Vlen; m["flags"] = (long)op.Flags;
                break;
            case CloseOp op: m["op"] = "close"; m["fd"] = fd(op.Fd); break;
            case HostChangeOp op: m["op"] = "link"; m["name"] = op.Interface; m["mtu"] = op.Mtu; m["up"] = op.Up; break;
            default: throw new ArgumentException($"no protocol request for {operation.GetType().Name}");
        }
        return m;
    }

    /// <summary>The operation a request asks for, with descriptors as raw numbers (the implementation's own).</summary>
    public static Operation ReadRequest(JsonObject m)
    {
        var op = JsonField.String(m, "op");
        Fd Descriptor() => Udpconf.Reference.Api.Fd.Raw(JsonField.Int(m, "fd"));
        return op switch
        {
            "socket" => new SocketOp("s" + JsonField.Int(m, "id"), JsonField.Int(m, "domain"), JsonField.Int(m, "type"), JsonField.Int(m, "protocol")),
            "open" => new OpenFileOp("f" + JsonField.Int(m, "id")),
            "bind" => new BindOp(Descriptor(), ReadBuffer(m["addr"]), JsonField.Int(m, "addrlen")),
            "connect" => new ConnectOp(Descriptor(), ReadBuffer(m["addr"]), JsonField.Int(m, "addrlen")),
            "setsockopt" => new SetSockOptOp(Descriptor(), JsonField.Int(m, "level"), JsonField.Int(m, "name"), ReadBuffer(m["value"]), JsonField.Int(m, "optlen")),
            "getsockopt" => new GetSockOptOp(Descriptor(), JsonField.Int(m, "level"), JsonField.Int(m, "name"), JsonField.Int(m, "optlen")),
            "nonblock" => new SetNonblockOp(Descriptor(), JsonField.Bool(m, "on", false)),
            "sendto" => new SendToOp(Descriptor(), ReadBuffer(m["data"]) ?? throw new ProtocolException("sendto needs data"), (MsgFlags)(uint)JsonField.Long(m, "flags"),
                ReadBuffer(m["addr"]), JsonField.Int(m, "addrlen")),
            "sendmsg" => new SendMsgOp(Descriptor(), ReadBuffer(m["name"]), JsonField.Int(m, "namelen"),
                JsonField.Array(m, "iov").Select(ReadIovEntry).ToArray(),
                ReadBuffer(m["control"]), JsonField.Long(m, "controllen"), (MsgFlags)(uint)JsonField.Long(m, "flags")),
            "shutdown" => new ShutdownOp(Descriptor(), JsonField.Int(m, "how")),
            "sendmmsg" => new SendMmsgOp(Descriptor(), JsonField.Array(m, "msgs").Select(node =>
                {
                    var e = JsonField.Object(node, "a message");
                    return new MmsgEntry(ReadBuffer(e["name"]), JsonField.Int(e, "namelen"),
                        JsonField.Array(e, "iov").Select(ReadIovEntry).ToArray(),
                        ReadBuffer(e["control"]), JsonField.Long(e, "controllen"));
                }).ToArray(),
                Vlen(JsonField.Long(m, "vlen")),
                (MsgFlags)(uint)JsonField.Long(m, "flags")),
            "close" => new CloseOp(Descriptor()),
            "link" => new HostChangeOp(JsonField.String(m, "name"), m["mtu"]?.GetValue<int>(), m["up"]?.GetValue<bool>()),
            _ => throw new ProtocolException($"unknown op '{op}'"),
        };
    }

    private static uint Vlen(long vlen) => vlen is >= 0 and <= uint.MaxValue ? (uint)vlen : throw new ProtocolException($"vlen {vlen} is not an unsigned int (0 to {uint.MaxValue})");

    public static JsonNode? Buffer(UserBuffer? buffer) => buffer is null ? null : new JsonObject
    {
        ["hex"] = Convert.ToHexString(buffer.Readable.Span).ToLowerInvariant(),
        ["length"] = buffer.Length,
    };

    /// <summary>A gather-list entry: a buffer whose <c>length</c> is a size_t (0 to 2^64-1, written unsigned), and
    /// <c>"null": true</c> for a NULL base (feature <c>iov-length</c>).</summary>
    public static JsonNode IovEntry(UserBuffer buffer)
    {
        var o = new JsonObject { ["hex"] = Convert.ToHexString(buffer.Readable.Span).ToLowerInvariant(), ["length"] = unchecked((ulong)buffer.Length) };
        if (buffer.NullBase) o["null"] = true;
        return o;
    }

    public static UserBuffer ReadIovEntry(JsonNode? node)
    {
        if (node is null) throw new ProtocolException("an iov entry is null (a NULL base is {\"hex\": \"\", \"length\": N, \"null\": true})");
        var o = JsonField.Object(node, "an iov entry");
        var bytes = JsonField.Hex(JsonField.String(o, "hex"), "hex");
        long length = bytes.Length;
        if (o["length"] is JsonValue value)
        {
            if (value.GetValueKind() != JsonValueKind.Number) throw new ProtocolException("an iov entry's length is not a number");
            if (value.TryGetValue<ulong>(out var unsigned)) length = unchecked((long)unsigned);
            else if (value.TryGetValue<long>(out var signed)) length = signed;
            else throw new ProtocolException($"an iov entry's length {Shorten(value.ToJsonString())} is not a size_t (0 to 18446744073709551615)");
        }
        else if (o["length"] is not null) throw new ProtocolException("an iov entry's length is not a number");
        var isNull = o["null"] is JsonValue n && n.GetValueKind() == JsonValueKind.True;
        if (isNull && bytes.Length > 0) throw new ProtocolException("an iov entry with a NULL base holds bytes");
        if (length >= 0 && length < bytes.Length) throw new ProtocolException($"an iov entry's length {length} is shorter than its {bytes.Length} bytes");
        return isNull ? UserBuffer.Null(length) : new UserBuffer(bytes, length);
    }

    public static UserBuffer? ReadBuffer(JsonNode? node)
    {
        if (node is null) return null;
        var o = JsonField.Object(node, "a buffer");
        var bytes = JsonField.Hex(JsonField.String(o, "hex"), "hex");
        var length = o["length"]?.GetValue<long>() ?? bytes.Length;
        if (length < bytes.Length) throw new ProtocolException($"a buffer's length {length} is shorter than its {bytes.Length} bytes");
        return new UserBuffer(bytes, length);
    }

    // ---- replies ----

    /// <summary>The reply for an observation (serve-model's side).</summary>
    public static JsonObject Reply(int id, Observation observed)
    {
        var m = new JsonObject { ["id"] = id };
        switch (observed.Kind)
        {
            case OutcomeKind.Value: m["ret"] = observed.Value; break;
            case OutcomeKind.Error: m["errno"] = observed.Error!.Value.ToString(); break;
            case OutcomeKind.KernelFault: m["fault"] = observed.Note ?? "the kernel crashed"; return m;
            case OutcomeKind.Blocks: m["blocks"] = true; return m;
            default: m["unsupported"] = $"{observed.Kind}: {observed.Note}"; return m;
        }
        m["packets"] = new JsonArray(observed.Packets.Select(p => (JsonNode)new JsonObject
        {
            ["link"] = p.Interface, ["hex"] = Convert.ToHexString(p.Bytes).ToLowerInvariant(),
            ["offload"] = p.Offload is { } o ? Convert.ToHexString(o.Bytes()).ToLowerInvariant() : null,
        }).ToArray());
        if (observed.OptionValue is { } option) m["option"] = Convert.ToHexString(option.Span).ToLowerInvariant();
        if (observed.Counters is { } c)
            m["counters"] = new JsonObject { ["OutDatagrams"] = c.OutDatagrams, ["OutDiscards"] = c.OutDiscards, ["SndbufErrors"] = c.SndbufErrors, ["OutNoRoutes"] = c.OutNoRoutes };
        if (observed.ErrorQueue is { Count: > 0 } queue)
            m["errqueue"] = new JsonArray(queue.Select(e => (JsonNode)(e.Origin == ErrorOrigin.Zerocopy
                ? new JsonObject
                {
                    ["errno"] = (int)e.Errno, ["origin"] = "zerocopy", ["first"] = unchecked((uint)e.Info), ["last"] = e.Data,
                    ["copied"] = e.Code == ErrorQueueEntry.ZerocopyCopied, ["address"] = e.Address.ToString(), ["port"] = e.Port,
                }
                : new JsonObject
                {
                    ["errno"] = e.Errno.ToString(), ["origin"] = e.Origin.ToString().ToLowerInvariant(), ["info"] = e.Info,
                    ["address"] = e.Address.ToString(), ["port"] = e.Port,
                })).ToArray());
        return m;
    }

    /// <summary>The observation a reply reports (the exec target's side). Raw values: the caller renumbers descriptors.</summary>
    public static Observation ReadReply(JsonObject m, bool counters, bool errorQueue)
    {
        if (m["unsupported"] is { } why) return new Observation(OutcomeKind.Unmodeled, 0, null, [], Note: $"the implementation does not support it: {why}");
        if (m["fault"] is { } fault) return new Observation(OutcomeKind.KernelFault, 0, null, [], Note: fault.ToString());
        if (m["blocks"]?.GetValueKind() == System.Text.Json.JsonValueKind.True) return new Observation(OutcomeKind.Blocks, 0, null, []);
        var packets = m["packets"] is JsonArray list ? Packets(list) : [];
        ReadOnlyMemory<byte>? option = m["option"] is not null ? JsonField.Hex(JsonField.String(m, "option"), "option") : null;
        CounterDelta? delta = counters && m["counters"] is JsonObject c
            ? new CounterDelta(JsonField.Int(c, "OutDatagrams"), JsonField.Int(c, "OutDiscards"), JsonField.Int(c, "SndbufErrors"), JsonField.Int(c, "OutNoRoutes"))
            : null;
        IReadOnlyList<ErrorQueueEntry>? queue = errorQueue
            ? (m["errqueue"] as JsonArray ?? []).Select(e =>
            {
                var o = JsonField.Object(e, "an error-queue entry");
                var origin = JsonField.String(o, "origin") switch
                {
                    "local" => ErrorOrigin.Local, "icmp" => ErrorOrigin.Icmp, "zerocopy" => ErrorOrigin.Zerocopy,
                    var other => throw new ProtocolException($"unknown error-queue origin '{other}'"),
                };
                if (origin == ErrorOrigin.Zerocopy) return ZerocopyEntry(o);
                var port = JsonField.Int(o, "port");
                if (port is < 0 or > ushort.MaxValue) throw new ProtocolException($"an error-queue entry's port {port} is not a port (0 to 65535)");
                var entryErrno = JsonField.Errno(o["errno"] ?? throw new ProtocolException("an error-queue entry has no errno"));
                return new ErrorQueueEntry(entryErrno, origin, JsonField.Int(o, "info"), JsonField.Address(o, "address"), (ushort)port);
            }).ToArray()
            : null;
        if (m["errno"] is { } errno) return new Observation(OutcomeKind.Error, -1, JsonField.Errno(errno), packets, option, delta, ErrorQueue: queue);
        if (m["ret"] is null) throw new ProtocolException("a reply has neither ret, errno nor unsupported");
        return new Observation(OutcomeKind.Value, JsonField.Long(m, "ret"), null, packets, option, delta, ErrorQueue: queue);
    }

    /// <summary>A MSG_ZEROCOPY completion: <c>{"origin": "zerocopy", "first": F, "last": L, "copied": true}</c> (ee_info,
    /// ee_data, ee_code SO_EE_CODE_ZEROCOPY_COPIED); errno, address and port are optional (0, 0.0.0.0, 0).</summary>
    private static ErrorQueueEntry ZerocopyEntry(JsonObject o)
    {
        var first = JsonField.Long(o, "first");
        var last = JsonField.Long(o, "last");
        if (first is < 0 or > uint.MaxValue || last is < 0 or > uint.MaxValue)
            throw new ProtocolException($"a zerocopy entry's ids {first}-{last} are not ids (0 to 4294967295)");
        var copied = o["copied"] is { } c && c.GetValueKind() == System.Text.Json.JsonValueKind.True;
        var entry = ErrorQueueEntry.Zerocopy((uint)first, (uint)last, copied);
        if (o["errno"] is { } errno) entry = entry with { Errno = errno.GetValueKind() == System.Text.Json.JsonValueKind.Number ? (Errno)JsonField.Int(o, "errno") : JsonField.Errno(errno) };
        if (o["address"] is not null) entry = entry with { Address = JsonField.Address(o, "address") };
        if (o["port"] is not null)
        {
            var port = JsonField.Int(o, "port");
            if (port is < 0 or > ushort.MaxValue) throw new ProtocolException($"an error-queue entry's port {port} is not a port (0 to 65535)");
            entry = entry with { Port = (ushort)port };
        }
        return entry;
    }

    private static ObservedPacket[] Packets(JsonArray list)
    {
        if (list.Count > Limits.PacketsPerOperation)
            throw new ProtocolException($"{N(list.Count)} packets in one reply: more than the limit of {N(Limits.PacketsPerOperation)} " +
                                        "(a datagram of 65,535 bytes at MTU 68 is 1,366 fragments)", ProtocolException.Limit);
        return list.Select((p, i) =>
        {
            var o = JsonField.Object(p, "a packet");
            var hex = JsonField.String(o, "hex");
            if (hex.Length / 2 > Limits.PacketBytes)
                throw new ProtocolException($"packet {i + 1} has {N(hex.Length / 2)} bytes: more than the limit of {N(Limits.PacketBytes)} " +
                                            "(an IPv4 packet has at most 65,535)", ProtocolException.Limit);
            VirtioNetHeader? offload = null;
            if (o["offload"] is not null)
            {
                var header = JsonField.Hex(JsonField.String(o, "offload"), "a packet's offload header");
                if (header.Length != VirtioNetHeader.Size)
                    throw new ProtocolException($"packet {i + 1}'s offload header has {header.Length} bytes: a virtio-net header has {VirtioNetHeader.Size}");
                offload = VirtioNetHeader.Read(header);
            }
            return new ObservedPacket(JsonField.String(o, "link"), JsonField.Hex(hex, "a packet's hex"), offload);
        }).ToArray();
    }

    private static string N(int n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
