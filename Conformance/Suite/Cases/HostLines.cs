using System.Text;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using static Udpconf.Suite.Cases.Words;

namespace Udpconf.Suite.Cases;

/// <summary>The host: section of a case: links, routes, output drops and settings; read (an instance collects the
/// lines, <see cref="Build"/> makes the host) and written (<see cref="Write"/>).</summary>
internal sealed class HostLines
{
    private readonly List<Interface> links = [];
    private readonly List<(Route Route, int Line, int Column)> routes = [];
    private int currentLine;
    private readonly List<OutputDropRule> drops = [];
    private readonly List<(PolicyRule Rule, int Line, int Column)> rules = [];
    private HostConfig settings = new();

    public static readonly IReadOnlyDictionary<string, int> PmtuModes = new Dictionary<string, int>
    {
        ["dont"] = SocketOption.PmtuDont, ["want"] = SocketOption.PmtuWant, ["do"] = SocketOption.PmtuDo,
        ["probe"] = SocketOption.PmtuProbe, ["interface"] = SocketOption.PmtuInterface, ["omit"] = SocketOption.PmtuOmit,
    };

    public static string? PmtuWord(int mode) => PmtuModes.FirstOrDefault(m => m.Value == mode).Key;

    public void Add(LineReader reader)
    {
        var keyword = reader.Next("a host line");
        switch (keyword.Text)
        {
            case "link": AddLink(reader); break;
            case "route": AddRoute(reader); break;
            case "rule": AddRule(reader); break;
            case "drop":
            {
                if (!reader.TryTake("to")) throw new CaseSyntaxException(reader.Column, "expected 'to' after 'drop'");
                var (address, prefix) = reader.Prefix("a destination");
                ushort? port = null;
                if (reader.TryTake("port")) port = AddressWords.Port(reader.Next("a port"));
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
                settings = settings with { WmemDefault = wmemDefault, WmemMax = wmemMax, WmemStated = true };
                reader.ExpectEnd();
                break;
            }
            case "veto": settings = settings with { SecurityVeto = reader.Errno(reader.Next("an errno")) }; reader.ExpectEnd(); break;
            case "unprivileged": settings = settings with { Privileged = false }; reader.ExpectEnd(); break;
            default:
                throw new CaseSyntaxException(keyword.Column, $"unknown host line '{keyword.Text}' (link, route, rule, drop, ttl, ports, pmtu, wmem, veto, unprivileged)");
        }
    }

    /// <summary>The lines of the host: section (<see cref="CaseWriter.Host"/>): links (after <c>lo</c>, which every
    /// host has), routes, output drops, then the settings that differ from the defaults.</summary>
    public static IEnumerable<string> Write(HostConfig host)
    {
        var lines = new List<string>();
        if (host.Interfaces.Count == 0 || !IsLoopback(host.Interfaces[0]))
            throw Unsupported("the host", $"its first interface must be the standard lo ({HostConfig.LoopbackInterface}); a case cannot change lo");
        var links = host.Interfaces.Skip(1).ToArray();
        for (var i = 0; i < links.Length; i++) lines.Add(WriteLink(links[i], i, links));
        foreach (var route in host.Routes) lines.Add(WriteRoute(route, host));
        foreach (var rule in host.Rules) lines.Add(WriteRule(rule, host));
        foreach (var drop in host.OutputDrops)
            lines.Add($"drop to {WritePrefix(drop.Destination, drop.PrefixLength, "a drop rule")}" + (drop.DestinationPort is { } port ? $" port {port}" : ""));

        var defaults = new HostConfig();
        if (host.DefaultTtl != defaults.DefaultTtl) lines.Add($"ttl {host.DefaultTtl}");
        if (host.LocalPortLow != defaults.LocalPortLow || host.LocalPortHigh != defaults.LocalPortHigh)
        {
            if (host.LocalPortLow > host.LocalPortHigh) throw Unsupported("the host", $"the port range {host.LocalPortLow}-{host.LocalPortHigh} runs backwards");
            lines.Add($"ports {host.LocalPortLow}-{host.LocalPortHigh}");
        }
        if (host.DefaultPmtuMode != defaults.DefaultPmtuMode)
            lines.Add($"pmtu {PmtuWord(host.DefaultPmtuMode) ?? throw Unsupported("the host", $"the PMTU mode {host.DefaultPmtuMode} has no name")}");
        if (host.WmemStated || host.WmemDefault != defaults.WmemDefault || host.WmemMax != defaults.WmemMax)
            lines.Add(host.WmemDefault == host.WmemMax ? $"wmem {Num(host.WmemDefault)}" : $"wmem {Num(host.WmemDefault)} {Num(host.WmemMax)}");
        if (host.SecurityVeto is { } veto) lines.Add($"veto {ErrnoWord(veto, "the host's security veto")}");
        if (!host.Privileged) lines.Add("unprivileged");
        return lines;
    }

    private static string ErrnoWord(Errno errno, string what) =>
        Enum.IsDefined(errno) ? errno.ToString() : throw Unsupported("the host", $"{what} is errno {(int)errno}, which has no name");

    private static bool IsLoopback(Interface link)
    {
        var lo = HostConfig.LoopbackInterface;
        return link with { SecondaryAddresses = null } == lo && (link.SecondaryAddresses is null || link.SecondaryAddresses.Count == 0);
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

    private static string WriteLink(Interface link, int position, Interface[] links)
    {
        var what = $"link {link.Name}";
        if (link.Name == "lo") throw Unsupported("the host", "a second interface named lo (lo always exists, index 1)");
        if (links.Take(position).Any(l => l.Name == link.Name)) throw Unsupported("the host", $"two links named {link.Name}");
        if (link.Index == 1 || links.Take(position).Any(l => l.Index == link.Index))
            throw Unsupported("the host", $"{what} has index {link.Index}, which is taken");
        var line = new StringBuilder($"link {Plain(link.Name, "the link name", what)} {WritePrefix(link.Address, link.PrefixLength, what)}");
        if (link.Index != position + 2) line.Append(" index ").Append(Num(link.Index));
        if (link.Mtu != 1500) line.Append(" mtu ").Append(WriteMtu(link.Mtu, what));
        if (!link.Up) line.Append(" down");
        if (link.ChecksumOffload) line.Append(" offload");
        if (link.UdpFragmentationOffload) line.Append(" ufo");
        if (!link.ScatterGather) line.Append(" nosg");
        if (link.QueueFull) line.Append(" queue-full");
        foreach (var (address, prefix) in link.SecondaryAddresses ?? []) line.Append(" also ").Append(WritePrefix(address, prefix, what));
        return line.ToString();
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
                if (reader.TryTake("table")) route = route with { Table = Table(reader) };
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
                "table" => route with { Table = Table(reader) },
                _ => throw new CaseSyntaxException(word.Column, $"unknown route attribute '{word.Text}' (mtu, lock, tos, src, hoplimit, table)"),
            };
        }
        routes.Add((route, currentLine, column));
    }

    private static string WriteRoute(Route route, HostConfig host)
    {
        var destination = route.Destination == Ipv4Address.Any && route.PrefixLength == 0
            ? "default"
            : WritePrefix(route.Destination, route.PrefixLength, "a route");
        var what = $"the route to {destination}";
        var line = new StringBuilder($"route {destination}");
        if (route.Kind is RouteKind.Unreachable or RouteKind.Prohibit or RouteKind.Blackhole)
        {
            if (route.Device is not null || route.Gateway is not null || route.Mtu is not null || route.MtuLocked || route.Tos != 0 ||
                route.PreferredSource is not null || route.HopLimit is not null)
                throw Unsupported("the host", $"{what} is {route.Kind} and has a device, gateway or attribute; a case's refusing route has none");
            line.Append(' ').Append(route.Kind.ToString().ToLowerInvariant());
            if (route.Table != Route.MainTable) line.Append(" table ").Append(WriteTable(route.Table, what));
            return line.ToString();
        }
        if (route.Device is null) throw Unsupported("the host", $"{what} ({route.Kind}) has no device");
        if (host.InterfaceByName(route.Device) is null) throw Unsupported("the host", $"{what} names link '{route.Device}', which is not defined");
        if (route.Kind == RouteKind.Unicast)
            line.Append(" via ").Append(route.Gateway?.ToString() ?? throw Unsupported("the host", $"{what} is a gateway route without a gateway"));
        else if (route.Gateway is not null)
            throw Unsupported("the host", $"{what} ({route.Kind}) has a gateway; only a gateway route (via) has one");
        if (route.Kind == RouteKind.Multicast) line.Append(" multicast");
        if (route.Kind == RouteKind.Broadcast) line.Append(" broadcast");
        line.Append(" dev ").Append(Plain(route.Device, "the device name", what));
        if (route.Mtu is { } mtu) line.Append(" mtu ").Append(WriteMtu(mtu, what));
        if (route.MtuLocked) line.Append(" lock");
        if (route.Tos != 0) line.Append(" tos ").Append(route.Tos);
        if (route.PreferredSource is { } source) line.Append(" src ").Append(source);
        if (route.HopLimit is { } hopLimit) line.Append(" hoplimit ").Append(hopLimit);
        if (route.Table != Route.MainTable) line.Append(" table ").Append(WriteTable(route.Table, what));
        return line.ToString();
    }

    /// <summary>Rule priorities a case may give: above the kernel target's own rule (10, which routes its capture
    /// markers) and below the default rules (32766 main, 32767 default).</summary>
    public const int FirstRulePriority = 11, LastRulePriority = 32765;
    /// <summary>The priority of a case's rule given without pref: 1000, 1001, ... in the order they are listed.</summary>
    public const int DefaultRulePriority = 1000;
    /// <summary>Table ids a case may name: 1 to 2^31-1 but the local table (255) and the kernel target's (32001).</summary>
    private const uint LocalTable = 255, TargetTable = 32001;

    private static readonly string[] RuleWords = ["pref", "from", "to", "fwmark", "tos", "oif", "lookup", "unreachable", "prohibit", "blackhole"];

    /// <summary>rule [pref N] [from P] [to P] [fwmark N[/M]] [tos N] [oif NAME] lookup TABLE|unreachable|prohibit|blackhole</summary>
    private void AddRule(LineReader reader)
    {
        var column = reader.Column;
        int? priority = null;
        (Ipv4Address, int)? from = null, to = null;
        (uint, uint)? fwmark = null;
        byte tos = 0;
        string? oif = null;
        (RuleAction Action, uint Table)? action = null;
        while (!reader.AtEnd)
        {
            var word = reader.Next("a rule selector or action");
            if (action is not null) throw new CaseSyntaxException(word.Column, $"'{word.Text}' after the rule's action: the action ends the line");
            switch (word.Text)
            {
                case "pref":
                {
                    var token = reader.Next("a priority");
                    var value = LineReader.ParseLong(token, "a priority");
                    if (value is < FirstRulePriority or > LastRulePriority)
                        throw new CaseSyntaxException(token.Column, $"a rule's priority must be {FirstRulePriority} to {LastRulePriority} (the kernel target's own rule is 10, the default rules 32766 and 32767): {token.Text}");
                    priority = (int)value;
                    break;
                }
                case "from": from = reader.Prefix("a source prefix (a.b.c.d/n or default)"); break;
                case "to": to = reader.Prefix("a destination prefix (a.b.c.d/n or default)"); break;
                case "fwmark":
                {
                    var token = reader.Next("a mark N or N/MASK");
                    var parts = token.Text.Split('/');
                    var mask = uint.MaxValue;
                    if (parts.Length > 2 || !TryMark(parts[0], out var mark) || (parts.Length == 2 && !TryMark(parts[1], out mask)))
                        throw new CaseSyntaxException(token.Column, $"expected a mark N or N/MASK (decimal or 0x hex, 32 bits), found '{token.Text}'");
                    fwmark = (mark, mask);
                    break;
                }
                case "tos": tos = Byte(reader, "a TOS"); break;
                case "oif": oif = reader.Next("a link name").Text; break;
                case "lookup": action = (RuleAction.Lookup, Table(reader)); break;
                case "unreachable": action = (RuleAction.Unreachable, 0); break;
                case "prohibit": action = (RuleAction.Prohibit, 0); break;
                case "blackhole": action = (RuleAction.Blackhole, 0); break;
                default: throw new CaseSyntaxException(word.Column, $"unknown rule word '{word.Text}' ({string.Join(", ", RuleWords)})");
            }
        }
        if (action is not { } chosen) throw new CaseSyntaxException(reader.Column, "a rule needs an action: lookup TABLE, unreachable, prohibit or blackhole");
        var rule = new PolicyRule(priority ?? DefaultRulePriority + rules.Count, chosen.Action, chosen.Table, from, to, fwmark, tos, oif);
        if (rules.Any(r => r.Rule.Priority == rule.Priority)) throw new CaseSyntaxException(column, $"two rules of priority {rule.Priority}");
        rules.Add((rule, currentLine, column));
    }

    private static bool TryMark(string text, out uint value) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? uint.TryParse(text[2..], System.Globalization.NumberStyles.AllowHexSpecifier, null, out value)
            : uint.TryParse(text, System.Globalization.NumberStyles.None, null, out value);

    /// <summary>A table: main, default or a number 1 to 2^31-1 other than local (255) and the kernel target's (32001).</summary>
    private static uint Table(LineReader reader)
    {
        var token = reader.Next("a table (main, default or a number)");
        if (token.Text == "main") return Route.MainTable;
        if (token.Text == "default") return Route.DefaultTable;
        var value = LineReader.ParseLong(token, "a table");
        if (value is < 1 or > int.MaxValue || value == LocalTable || value == TargetTable)
            throw new CaseSyntaxException(token.Column, $"a table is main, default or 1 to 2147483647 but 255 (local) and {TargetTable} (the kernel target's): {token.Text}");
        return (uint)value;
    }

    private static string WriteTable(uint table, string what) => table switch
    {
        Route.MainTable => "main",
        Route.DefaultTable => "default",
        0 or LocalTable or TargetTable or > int.MaxValue => throw Unsupported("the host", $"{what} is in table {table}, which a case cannot name"),
        _ => Num((int)table),
    };

    private static string WriteRule(PolicyRule rule, HostConfig host)
    {
        var what = $"the rule of priority {rule.Priority}";
        if (rule.Priority is < FirstRulePriority or > LastRulePriority)
            throw Unsupported("the host", $"{what}: a case's rule priority is {FirstRulePriority} to {LastRulePriority}");
        var line = new StringBuilder($"rule pref {Num(rule.Priority)}");
        if (rule.From is { } from) line.Append(" from ").Append(WritePrefix(from.Address, from.PrefixLength, what));
        if (rule.To is { } to) line.Append(" to ").Append(WritePrefix(to.Address, to.PrefixLength, what));
        if (rule.FwMark is { } mark) line.Append($" fwmark 0x{mark.Mark:x}/0x{mark.Mask:x}");
        if (rule.Tos != 0) line.Append(" tos ").Append(rule.Tos);
        if (rule.Oif is { } oif)
        {
            if (host.InterfaceByName(oif) is null) throw Unsupported("the host", $"{what} names link '{oif}', which is not defined");
            line.Append(" oif ").Append(Plain(oif, "the device name", what));
        }
        line.Append(rule.Action switch
        {
            RuleAction.Lookup => " lookup " + WriteTable(rule.Table, what),
            RuleAction.Unreachable => " unreachable",
            RuleAction.Prohibit => " prohibit",
            _ => " blackhole",
        });
        return line.ToString();
    }

    public HostConfig Build(string file, List<Diagnostic> diagnostics)
    {
        var interfaces = links.Prepend(HostConfig.LoopbackInterface).ToArray();
        foreach (var (route, routeLine, column) in routes)
            if (route.Device is { } device && interfaces.All(i => i.Name != device))
                diagnostics.Add(new Diagnostic(new SourcePosition(file, routeLine, column), $"route to {route.Destination}/{route.PrefixLength} names link '{device}', which is not defined"));
        foreach (var (rule, ruleLine, column) in rules)
            if (rule.Oif is { } oif && interfaces.All(i => i.Name != oif))
                diagnostics.Add(new Diagnostic(new SourcePosition(file, ruleLine, column), $"the rule of priority {rule.Priority} names link '{oif}', which is not defined"));
        return settings with
        {
            Interfaces = interfaces, Routes = routes.Select(r => r.Route).ToArray(), OutputDrops = drops.ToArray(),
            Rules = rules.Select(r => r.Rule).ToArray(),
        };
    }

    /// <summary>The line the next <see cref="Add"/> reads, for diagnostics found only when the host is built.</summary>
    public void AtLine(int line) => currentLine = line;

    private static int Mtu(LineReader reader)
    {
        var token = reader.Next("an MTU");
        var value = LineReader.ParseLong(token, "an MTU");
        if (value is < 68 or > 65536) throw new CaseSyntaxException(token.Column, $"MTU must be 68 to 65536: {token.Text}");
        return (int)value;
    }

    private static string WriteMtu(int mtu, string what) =>
        mtu is >= 68 and <= 65536 ? Num(mtu) : throw Unsupported("the host", $"{what} has MTU {mtu}; a case's host MTU is 68 to 65536");

    private static string WritePrefix(Ipv4Address address, int prefix, string what) =>
        prefix is >= 0 and <= 32 ? $"{address}/{prefix}" : throw Unsupported("the host", $"{what} has prefix length {prefix}; a case's is 0 to 32");

    private static byte Byte(LineReader reader, string what)
    {
        var token = reader.Next(what);
        var value = LineReader.ParseLong(token, what);
        if (value is < 0 or > 255) throw new CaseSyntaxException(token.Column, $"{what} must be 0 to 255: {token.Text}");
        return (byte)value;
    }
}
