using System.Net;
using Udpconf.Reference.Host;

namespace Udpconf.Suite.Targets.Kernel;

/// <summary>How a route request treats a route that exists: add fails (EEXIST), append keeps it first, replace
/// takes its place (as ip route add / append / replace).</summary>
public enum RouteVerb { Add, Append, Replace }

/// <summary>One route as rtnetlink takes it (struct rtmsg and its attributes), with the choices iproute2 makes for
/// the same command line.</summary>
/// <param name="Destination">The network's address bytes (4 or 16); ignored for a default route.</param>
/// <param name="Metric">RTA_PRIORITY, ip's "metric".</param>
public sealed record RouteSpec(
    byte Family, byte[] Destination, int PrefixLength, byte Type, uint Table, byte Scope,
    int? OutputIndex = null, string? Device = null, byte[]? Gateway = null, byte Tos = 0, byte[]? PreferredSource = null,
    uint? Metric = null, uint? Mtu = null, bool MtuLocked = false, uint? HopLimit = null)
{
    /// <summary>A host description's route, as <c>ip route</c> would add it: a broadcast route in table local, a
    /// multicast range as an ordinary route out of its device. Scope as iproute2 picks it: link for a unicast
    /// route without gateway and for broadcast and multicast types, universe otherwise (unreachable, prohibit,
    /// blackhole, via a gateway).</summary>
    public static RouteSpec From(Route r, Func<string, int> ifindex)
    {
        var destination = r.Destination.ToBytes();
        var type = r.Kind switch
        {
            RouteKind.Unreachable => RtNetlink.RtnUnreachable,
            RouteKind.Prohibit => RtNetlink.RtnProhibit,
            RouteKind.Blackhole => RtNetlink.RtnBlackhole,
            RouteKind.Broadcast => RtNetlink.RtnBroadcast,
            _ => RtNetlink.RtnUnicast,
        };
        byte[]? gateway = null;
        if (r.Kind == RouteKind.Unicast && r.Gateway is { } g) gateway = g.ToBytes();
        var scope = type == RtNetlink.RtnBroadcast || (type == RtNetlink.RtnUnicast && gateway is null)
            ? RtNetlink.ScopeLink : RtNetlink.ScopeUniverse;
        var source = r.PreferredSource?.ToBytes();
        var device = type is RtNetlink.RtnUnicast or RtNetlink.RtnBroadcast ? r.Device : null;
        return new RouteSpec(RtNetlink.AfInet, destination, r.PrefixLength, type,
            type == RtNetlink.RtnBroadcast ? RtNetlink.TableLocal : r.Table, scope,
            device is null ? null : ifindex(device), device, gateway, r.Tos, source,
            Mtu: r.Mtu is { } mtu ? (uint)mtu : null, MtuLocked: r.MtuLocked, HopLimit: r.HopLimit);
    }

    /// <summary>"unreachable 198.51.100.0/24", "198.51.100.0/24 via 192.0.2.254 dev tun0 table 32001".</summary>
    public override string ToString()
    {
        var text = Type switch
        {
            RtNetlink.RtnUnreachable => "unreachable ", RtNetlink.RtnProhibit => "prohibit ", RtNetlink.RtnBlackhole => "blackhole ",
            RtNetlink.RtnBroadcast => "broadcast ", _ => "",
        } + (PrefixLength == 0 ? "default" : $"{new IPAddress(Destination)}/{PrefixLength}");
        if (Gateway is not null) text += $" via {new IPAddress(Gateway)}";
        if (Device is not null) text += $" dev {Device}";
        if (Table != RtNetlink.TableMain) text += $" table {Table}";
        if (Metric is { } m) text += $" metric {m}";
        return text;
    }
}

/// <summary>
/// Network configuration through rtnetlink (NETLINK_ROUTE), what <c>ip</c> and <c>tc</c> send: links, addresses,
/// policy rules, routes and root qdiscs. The message builders are static so that their bytes can be checked; the
/// instance methods send them on a socket of the namespace the instance was created in.
/// </summary>
public sealed class RtNetlink : IDisposable
{
    public const ushort RtmNewLink = 16, RtmNewAddr = 20, RtmNewRoute = 24, RtmNewRule = 32, RtmNewQdisc = 36;
    /// <summary>The address families as the one-byte family fields of rtnetlink messages.</summary>
    public const byte AfUnspec = Reference.Api.AddressFamily.Unspec, AfInet = Reference.Api.AddressFamily.Inet, AfInet6 = Reference.Api.AddressFamily.Inet6;

    /// <summary>struct ifinfomsg: u8 family, u8 pad, u16 type, s32 index, u32 flags, u32 change.</summary>
    public const int IfInfoLength = 16, IfInfoIndex = 4, IfInfoFlags = 8, IfInfoChange = 12;
    public const ushort IflaIfName = 3, IflaMtu = 4, IflaTxQLen = 13;
    public const uint IffUp = 0x1;

    /// <summary>struct ifaddrmsg: u8 family, u8 prefixlen, u8 flags, u8 scope, u32 index.</summary>
    public const int IfAddrLength = 8, IfAddrFamily = 0, IfAddrPrefix = 1, IfAddrFlags = 2, IfAddrScope = 3, IfAddrIndex = 4;
    public const ushort IfaAddress = 1, IfaLocal = 2, IfaBroadcast = 4;
    public const byte IfaFNoDad = 0x02;

    /// <summary>struct fib_rule_hdr: family, dst_len, src_len, tos, table, res1, res2, action (u8 each), u32 flags.</summary>
    public const int RuleHeaderLength = 12, RuleFamily = 0, RuleDstLen = 1, RuleSrcLen = 2, RuleTos = 3, RuleTable = 4, RuleAction = 7;
    public const ushort FraDst = 1, FraSrc = 2, FraPriority = 6, FraFwMark = 10, FraTable = 15, FraFwMask = 16, FraOifName = 17;
    public const byte FrActToTable = 1, FrActBlackhole = 6, FrActUnreachable = 7, FrActProhibit = 8;

    /// <summary>struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type (u8 each), u32 flags.</summary>
    public const int RtMsgLength = 12, RtFamily = 0, RtDstLen = 1, RtTos = 3, RtTable = 4, RtProtocol = 5, RtScope = 6, RtType = 7;
    public const ushort RtaDst = 1, RtaOif = 4, RtaGateway = 5, RtaPriority = 6, RtaPrefSrc = 7, RtaMetrics = 8, RtaTable = 15;
    public const ushort RtaxLock = 1, RtaxMtu = 2, RtaxHopLimit = 10;
    public const byte RtnUnicast = 1, RtnBroadcast = 3, RtnBlackhole = 6, RtnUnreachable = 7, RtnProhibit = 8;
    public const byte ScopeUniverse = 0, ScopeLink = 253, ScopeHost = 254;
    public const byte RtProtBoot = 3;
    /// <summary>RT_TABLE_UNSPEC in the one-byte field when the table id needs RTA_TABLE (more than 255).</summary>
    public const uint TableUnspec = 0, TableMain = 254, TableLocal = 255;

    /// <summary>struct tcmsg: u8 family, u8 pad, u16 pad, s32 ifindex, u32 handle, u32 parent, u32 info.</summary>
    public const int TcMsgLength = 20, TcIndex = 4, TcHandle = 8, TcParent = 12;
    public const ushort TcaKind = 1, TcaOptions = 2;
    public const uint TcHRoot = 0xFFFFFFFF;

    private readonly Netlink socket = new(Netlink.NetlinkRoute);

    /// <summary>ip link set: up or down (IFF_UP in flags and change), mtu, txqueuelen. Index 0 looks the link up by
    /// name (ENODEV when there is none).</summary>
    public static NetlinkMessage SetLink(int index, string name, int? mtu = null, int? txQueueLength = null, bool? up = null)
    {
        var what = $"RTM_NEWLINK {name}" + (mtu is { } m ? $" mtu {m}" : "") + (txQueueLength is { } q ? $" txqueuelen {q}" : "") +
                   (up is { } u ? (u ? " up" : " down") : "");
        var message = new NetlinkMessage(RtmNewLink, Netlink.FAck, what);
        var header = message.Fixed(IfInfoLength);
        Write32(header[IfInfoIndex..], (uint)index);
        if (up is { } on)
        {
            Write32(header[IfInfoFlags..], on ? IffUp : 0);
            Write32(header[IfInfoChange..], IffUp);
        }
        if (index == 0) message.String(IflaIfName, name);
        if (mtu is { } mtuValue) message.U32(IflaMtu, (uint)mtuValue);
        if (txQueueLength is { } length) message.U32(IflaTxQLen, (uint)length);
        return message;
    }

    /// <summary>ip addr add ADDRESS/PREFIX [brd +] dev NAME [nodad]: local and address both the address, the
    /// broadcast the subnet's highest address (none for /31 and /32, as ip computes "brd +"), host scope for a
    /// loopback address and universe otherwise.</summary>
    public static NetlinkMessage AddAddress(int index, string device, IPAddress address, int prefixLength, bool broadcast = true, bool noDad = false)
    {
        var bytes = address.GetAddressBytes();
        var v4 = bytes.Length == 4;
        var message = new NetlinkMessage(RtmNewAddr, Netlink.FAck | Netlink.FCreate | Netlink.FExcl,
            $"RTM_NEWADDR {address}/{prefixLength} dev {device}");
        var header = message.Fixed(IfAddrLength);
        header[IfAddrFamily] = v4 ? AfInet : AfInet6;
        header[IfAddrPrefix] = (byte)prefixLength;
        header[IfAddrFlags] = noDad ? IfaFNoDad : (byte)0;
        header[IfAddrScope] = IPAddress.IsLoopback(address) ? ScopeHost : ScopeUniverse;
        Write32(header[IfAddrIndex..], (uint)index);
        message.Attribute(IfaLocal, bytes).Attribute(IfaAddress, bytes);
        if (v4 && broadcast && Interface.SubnetBroadcast(Ipv4Address.Read(bytes), prefixLength) is { } b)
            message.Attribute(IfaBroadcast, b.ToBytes());
        return message;
    }

    /// <summary>ip rule add fwmark MARK lookup TABLE pref PRIORITY (IPv4).</summary>
    public static NetlinkMessage AddRule(uint fwmark, uint table, uint priority)
    {
        var message = new NetlinkMessage(RtmNewRule, Netlink.FAck | Netlink.FCreate | Netlink.FExcl,
            $"RTM_NEWRULE fwmark {fwmark:x} lookup {table} pref {priority}");
        var header = message.Fixed(RuleHeaderLength);
        header[RuleFamily] = AfInet;
        header[RuleTable] = table <= byte.MaxValue ? (byte)table : (byte)TableUnspec;
        header[RuleAction] = FrActToTable;
        message.U32(FraPriority, priority).U32(FraFwMark, fwmark);
        if (table > byte.MaxValue) message.U32(FraTable, table);
        return message;
    }

    /// <summary>A host description's policy rule, as <c>ip rule add pref N [from P] [to P] [fwmark M/MASK] [tos T]
    /// [oif NAME] lookup TABLE|unreachable|prohibit|blackhole</c> sends it (IPv4).</summary>
    public static NetlinkMessage AddRule(PolicyRule rule)
    {
        var message = new NetlinkMessage(RtmNewRule, Netlink.FAck | Netlink.FCreate | Netlink.FExcl,
            $"RTM_NEWRULE pref {rule.Priority} {rule.Action} {rule.Table}");
        var header = message.Fixed(RuleHeaderLength);
        header[RuleFamily] = AfInet;
        header[RuleTos] = rule.Tos;
        header[RuleAction] = rule.Action switch
        {
            Reference.Host.RuleAction.Unreachable => FrActUnreachable, Reference.Host.RuleAction.Prohibit => FrActProhibit, Reference.Host.RuleAction.Blackhole => FrActBlackhole,
            _ => FrActToTable,
        };
        if (rule.Action == Reference.Host.RuleAction.Lookup) header[RuleTable] = rule.Table <= byte.MaxValue ? (byte)rule.Table : (byte)TableUnspec;
        message.U32(FraPriority, (uint)rule.Priority);
        if (rule.Action == Reference.Host.RuleAction.Lookup && rule.Table > byte.MaxValue) message.U32(FraTable, rule.Table);
        if (rule.From is { } from && from.PrefixLength > 0)
        {
            header[RuleSrcLen] = (byte)from.PrefixLength;
            message.Attribute(FraSrc, from.Address.ToBytes());
        }
        if (rule.To is { } to && to.PrefixLength > 0)
        {
            header[RuleDstLen] = (byte)to.PrefixLength;
            message.Attribute(FraDst, to.Address.ToBytes());
        }
        if (rule.FwMark is { } mark) message.U32(FraFwMark, mark.Mark).U32(FraFwMask, mark.Mask);
        if (rule.Oif is { } oif) message.String(FraOifName, oif);
        return message;
    }

    /// <summary>ip route add / append / replace: NLM_F_CREATE with EXCL, APPEND or REPLACE; protocol boot.</summary>
    public static NetlinkMessage NewRoute(RouteSpec route, RouteVerb verb)
    {
        var flags = Netlink.FAck | Netlink.FCreate | verb switch
        {
            RouteVerb.Add => Netlink.FExcl, RouteVerb.Append => Netlink.FAppend, _ => Netlink.FReplace,
        };
        var message = new NetlinkMessage(RtmNewRoute, (ushort)flags, $"RTM_NEWROUTE {route}");
        var header = message.Fixed(RtMsgLength);
        header[RtFamily] = route.Family;
        header[RtDstLen] = (byte)route.PrefixLength;
        header[RtTos] = route.Tos;
        header[RtTable] = route.Table <= byte.MaxValue ? (byte)route.Table : (byte)TableUnspec;
        header[RtProtocol] = RtProtBoot;
        header[RtScope] = route.Scope;
        header[RtType] = route.Type;
        if (route.Table > byte.MaxValue) message.U32(RtaTable, route.Table);
        if (route.PrefixLength > 0) message.Attribute(RtaDst, route.Destination);
        if (route.PreferredSource is { } source) message.Attribute(RtaPrefSrc, source);
        if (route.Gateway is { } gateway) message.Attribute(RtaGateway, gateway);
        if (route.OutputIndex is { } oif) message.U32(RtaOif, (uint)oif);
        if (route.Metric is { } metric) message.U32(RtaPriority, metric);
        if (route.Mtu is not null || route.HopLimit is not null)
        {
            // iproute2 nests the metrics without NLA_F_NESTED; the kernel reads them either way.
            message.Begin(RtaMetrics);
            if (route.Mtu is { } mtu) message.U32(RtaxMtu, mtu);
            if (route.HopLimit is { } hops) message.U32(RtaxHopLimit, hops);
            if (route.MtuLocked) message.U32(RtaxLock, 1u << RtaxMtu);
            message.End();
        }
        return message;
    }

    /// <summary>tc qdisc replace dev NAME root pfifo limit LIMIT (struct tc_fifo_qopt: u32 limit).</summary>
    public static NetlinkMessage RootPfifo(int index, string device, uint limit)
    {
        var message = new NetlinkMessage(RtmNewQdisc, Netlink.FAck | Netlink.FCreate | Netlink.FReplace,
            $"RTM_NEWQDISC dev {device} root pfifo limit {limit}");
        var header = message.Fixed(TcMsgLength);
        Write32(header[TcIndex..], (uint)index);
        Write32(header[TcParent..], TcHRoot);
        message.String(TcaKind, "pfifo");
        Span<byte> options = stackalloc byte[4];
        Write32(options, limit);
        return message.Attribute(TcaOptions, options);
    }

    /// <summary>RTM_F_CLONED in rtm_flags: a route of the cache, in IPv4 an exception (a path MTU or redirect learned).</summary>
    public const uint RtmFCloned = 0x200;
    public const ushort RtmGetRoute = 26, FDump = 0x300;
    public const int RtFlags = 8;

    /// <summary>How many IPv4 route exceptions the namespace holds (path MTUs from ICMP fragmentation needed or a
    /// local refusal, redirects): RTM_GETROUTE dumped with RTM_F_CLONED lists them, as <c>ip route show cache</c>.</summary>
    public int RouteExceptions()
    {
        var request = new NetlinkMessage(RtmGetRoute, FDump, "RTM_GETROUTE dump of exceptions");
        var body = request.Fixed(RtMsgLength);
        body[RtFamily] = AfInet;
        Write32(body[RtFlags..], RtmFCloned);
        return socket.Dump(request).Count(m => m.Type == RtmNewRoute && m.Body.Length >= RtMsgLength &&
                                             (System.Runtime.InteropServices.MemoryMarshal.Read<uint>(m.Body.AsSpan(RtFlags)) & RtmFCloned) != 0);
    }

    /// <summary>Sends one of the requests built above and waits for its ACK (throws <see cref="NetlinkException"/>).</summary>
    public void Request(NetlinkMessage message) => socket.Request(message);

    private static void Write32(Span<byte> destination, uint value) =>
        System.Runtime.InteropServices.MemoryMarshal.Write(destination, in value);

    public void Dispose() => socket.Dispose();
}
