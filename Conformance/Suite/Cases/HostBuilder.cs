using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;

namespace Udpconf.Suite.Cases;

/// <summary>The host: section of a case: links, routes, output drops and settings.</summary>
internal sealed class HostBuilder
{
    private readonly List<Interface> links = [];
    private readonly List<(Route Route, int Line, int Column)> routes = [];
    private int currentLine;
    private readonly List<OutputDropRule> drops = [];
    private HostConfig settings = new();

    public static readonly IReadOnlyDictionary<string, int> PmtuModes = new Dictionary<string, int>
    {
        ["dont"] = SocketOption.PmtuDont, ["want"] = SocketOption.PmtuWant, ["do"] = SocketOption.PmtuDo,
        ["probe"] = SocketOption.PmtuProbe, ["interface"] = SocketOption.PmtuInterface, ["omit"] = SocketOption.PmtuOmit,
    };

    public void Add(LineReader reader)
    {
        var keyword = reader.Next("a host line");
        switch (keyword.Text)
        {
            case "link": AddLink(reader); break;
            case "route": AddRoute(reader); break;
            case "drop":
            {
                if (!reader.TryTake("to")) throw new CaseSyntaxException(reader.Column, "expected 'to' after 'drop'");
                var (address, prefix) = reader.Prefix("a destination");
                ushort? port = null;
                if (reader.TryTake("port")) port = Port(reader);
                reader.ExpectEnd();
                drops.Add(new OutputDropRule(address, prefix, port));
                break;
            }
            case "ttl": settings = settings with { DefaultTtl = Byte(reader, "a TTL") }; reader.ExpectEnd(); break;
            case "ports":
            {
                var token = reader.Next("a range lo-hi");
                var parts = token.Text.Split('-');
                if (parts.Length != 2 || !ushort.TryParse(parts[0], out var low) || !ushort.TryParse(parts[1], out var high) || low > high)
                    throw new CaseSyntaxException(token.Column, $"expected a port range lo-hi, found '{token.Text}'");
                settings = settings with { LocalPortLow = low, LocalPortHigh = high };
                reader.ExpectEnd();
                break;
            }
            case "pmtu":
            {
                var token = reader.Next("a mode");
                if (!PmtuModes.TryGetValue(token.Text, out var mode)) throw new CaseSyntaxException(token.Column, $"unknown PMTU mode '{token.Text}' ({string.Join(", ", PmtuModes.Keys)})");
                settings = settings with { DefaultPmtuMode = mode };
                reader.ExpectEnd();
                break;
            }
            case "wmem":
            {
                var wmemDefault = reader.Int("wmem_default");
                var wmemMax = reader.AtEnd ? wmemDefault : reader.Int("wmem_max");
                settings = settings with { WmemDefault = wmemDefault, WmemMax = wmemMax };
                reader.ExpectEnd();
                break;
            }
            case "veto": settings = settings with { SecurityVeto = reader.Errno(reader.Next("an errno")) }; reader.ExpectEnd(); break;
            case "unprivileged": settings = settings with { Privileged = false }; reader.ExpectEnd(); break;
            default:
                throw new CaseSyntaxException(keyword.Column, $"unknown host line '{keyword.Text}' (link, route, drop, ttl, ports, pmtu, wmem, veto, unprivileged)");
        }
    }

    private void AddLink(LineReader reader)
    {
        var name = reader.Next("a link name");
        if (name.Text == "lo" || links.Any(l => l.Name == name.Text)) throw new CaseSyntaxException(name.Column, $"link '{name.Text}' is already defined");
        var (address, prefix) = reader.Prefix("the link's address/prefix");
        var link = new Interface(name.Text, links.Count + 2, address, prefix, 1500);
        var secondary = new List<(Ipv4Address, int)>();
        while (!reader.AtEnd)
        {
            var word = reader.Next("a link attribute");
            link = word.Text switch
            {
                "index" => link with { Index = reader.Int("an interface index") },
                "mtu" => link with { Mtu = Mtu(reader) },
                "down" => link with { Up = false },
                "offload" => link with { ChecksumOffload = true },
                "ufo" => link with { UdpFragmentationOffload = true },
                "nosg" => link with { ScatterGather = false },
                "queue-full" => link with { QueueFull = true },
                "also" => AddSecondary(link, reader, secondary),
                _ => throw new CaseSyntaxException(word.Column, $"unknown link attribute '{word.Text}' (index, mtu, down, offload, ufo, nosg, queue-full, also)"),
            };
        }
        if (secondary.Count > 0) link = link with { SecondaryAddresses = secondary };
        if (links.Any(l => l.Index == link.Index) || link.Index == 1) throw new CaseSyntaxException(name.Column, $"interface index {link.Index} is taken");
        links.Add(link);
    }

    private static Interface AddSecondary(Interface link, LineReader reader, List<(Ipv4Address, int)> secondary)
    {
        secondary.Add(reader.Prefix("a second address/prefix"));
        return link;
    }

    private void AddRoute(LineReader reader)
    {
        var column = reader.Column;
        var (destination, prefix) = reader.Prefix("a destination (a.b.c.d/n or default)");
        var route = new Route(destination, prefix, RouteKind.OnLink, null);
        var kind = reader.Peek?.Text;
        switch (kind)
        {
            case "unreachable" or "prohibit" or "blackhole":
                reader.Next("kind");
                route = route with { Kind = kind switch { "unreachable" => RouteKind.Unreachable, "prohibit" => RouteKind.Prohibit, _ => RouteKind.Blackhole } };
                reader.ExpectEnd();
                routes.Add((route, currentLine, column));
                return;
            case "multicast": reader.Next("kind"); route = route with { Kind = RouteKind.Multicast }; break;
            case "broadcast": reader.Next("kind"); route = route with { Kind = RouteKind.Broadcast }; break;
            case "via": reader.Next("via"); route = route with { Kind = RouteKind.Unicast, Gateway = reader.Address("a gateway") }; break;
        }
        if (!reader.TryTake("dev")) throw new CaseSyntaxException(reader.Column, "expected 'dev NAME'");
        route = route with { Device = reader.Next("a link name").Text };
        while (!reader.AtEnd)
        {
            var word = reader.Next("a route attribute");
            route = word.Text switch
            {
                "mtu" => route with { Mtu = Mtu(reader) },
                "lock" => route with { MtuLocked = true },
                "tos" => route with { Tos = Byte(reader, "a TOS") },
                "src" => route with { PreferredSource = reader.Address("a source address") },
                "hoplimit" => route with { HopLimit = Byte(reader, "a hop limit") },
                _ => throw new CaseSyntaxException(word.Column, $"unknown route attribute '{word.Text}' (mtu, lock, tos, src, hoplimit)"),
            };
        }
        routes.Add((route, currentLine, column));
    }

    public HostConfig Build(string file, List<Diagnostic> diagnostics)
    {
        var interfaces = links.Prepend(HostConfig.LoopbackInterface).ToArray();
        foreach (var (route, routeLine, column) in routes)
            if (route.Device is { } device && interfaces.All(i => i.Name != device))
                diagnostics.Add(new Diagnostic(new SourcePosition(file, routeLine, column), $"route to {route.Destination}/{route.PrefixLength} names link '{device}', which is not defined"));
        return settings with { Interfaces = interfaces, Routes = routes.Select(r => r.Route).ToArray(), OutputDrops = drops.ToArray() };
    }

    /// <summary>The line the next <see cref="Add"/> reads, for diagnostics found only when the host is built.</summary>
    public void AtLine(int line) => currentLine = line;

    public static ushort Port(LineReader reader)
    {
        var token = reader.Next("a port");
        var value = LineReader.ParseLong(token, "a port");
        if (value is < 0 or > 65535) throw new CaseSyntaxException(token.Column, $"port out of range: {token.Text}");
        return (ushort)value;
    }

    private static int Mtu(LineReader reader)
    {
        var token = reader.Next("an MTU");
        var value = LineReader.ParseLong(token, "an MTU");
        if (value is < 68 or > 65536) throw new CaseSyntaxException(token.Column, $"MTU must be 68 to 65536: {token.Text}");
        return (int)value;
    }

    private static byte Byte(LineReader reader, string what)
    {
        var token = reader.Next(what);
        var value = LineReader.ParseLong(token, what);
        if (value is < 0 or > 255) throw new CaseSyntaxException(token.Column, $"{what} must be 0 to 255: {token.Text}");
        return (byte)value;
    }
}
