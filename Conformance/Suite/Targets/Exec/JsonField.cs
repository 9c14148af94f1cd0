using System.Globalization;
using System.Text.Json.Nodes;
using Udpconf.Reference;
using Udpconf.Reference.Host;

namespace Udpconf.Suite.Targets.Exec;

/// <summary>The fields of a protocol message, read by name: a missing or mistyped field is a
/// <see cref="ProtocolException"/> naming it (both sides of <see cref="Protocol"/> read through these).</summary>
internal static class JsonField
{
    public static JsonObject Object(JsonNode? node, string what) => node as JsonObject ?? throw new ProtocolException($"{what} is not a JSON object");

    public static JsonArray Array(JsonObject m, string name) => m[name] as JsonArray ?? throw new ProtocolException($"'{name}' is missing or not a list");

    public static T Get<T>(JsonObject m, string name)
    {
        try { return m[name] is { } node ? node.GetValue<T>() : throw new ProtocolException($"'{name}' is missing"); }
        catch (Exception e) when (e is InvalidOperationException or FormatException) { throw new ProtocolException($"'{name}' is not {(typeof(T) == typeof(string) ? "a string" : "a number")}: {m[name]}"); }
    }

    public static string String(JsonObject m, string name) => Get<string>(m, name);
    public static int Int(JsonObject m, string name) => Get<int>(m, name);
    public static long Long(JsonObject m, string name) => Get<long>(m, name);
    public static bool Bool(JsonObject m, string name, bool missing) => m[name] is null ? missing : Get<bool>(m, name);

    public static Ipv4Address Address(JsonObject m, string name) =>
        Ipv4Address.TryParse(String(m, name), out var a) ? a : throw new ProtocolException($"'{name}' is not an IPv4 address: {m[name]}");

    public static Ipv4Address? OptionalAddress(JsonObject m, string name) => m[name] is null ? null : Address(m, name);

    public static Errno Errno(JsonNode node)
    {
        var text = node is JsonValue value && (value.TryGetValue<int>(out var number) ? number.ToString(CultureInfo.InvariantCulture)
                                                : value.TryGetValue<string>(out var name) ? name : null) is { } read
            ? read
            : throw new ProtocolException($"the errno {Protocol.Shorten(node.ToJsonString())} is neither a number nor a name");
        return ErrnoNames.TryParse(text, out var errno) ? errno : throw new ProtocolException($"unknown errno '{Protocol.Shorten(text)}'");
    }

    public static byte[] Hex(string text, string what)
    {
        try { return Convert.FromHexString(text); }
        catch (FormatException) { throw new ProtocolException($"{what} is not hex: {Protocol.Shorten(text)}"); }
    }
}
