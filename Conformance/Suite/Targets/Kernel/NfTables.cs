using System.Buffers.Binary;
using Udpconf.Reference.Host;

namespace Udpconf.Suite.Targets.Kernel;

/// <summary>One nf_tables expression of a rule: its name and the attributes of its NFTA_EXPR_DATA.</summary>
public sealed record NftExpression(string Name, Action<NetlinkMessage> Data, string Text);

/// <summary>
/// nf_tables through nfnetlink (NETLINK_NETFILTER), what <c>nft -f</c> sends for the output filter of a case: one
/// batch (NFNL_MSG_BATCH_BEGIN ... END, resource id NFNL_SUBSYS_NFTABLES) with a table, a base chain on the
/// LOCAL_OUT hook and rules built from expressions. Numbers in nf_tables attributes are big-endian; values compared
/// with packet bytes are in packet order, a meta mark in host order.
/// </summary>
public static class NfTables
{
    public const byte NfProtoIpv4 = 2, AfUnspec = 0, NfNetlinkV0 = 0;
    public const ushort SubsystemNfTables = 10;
    /// <summary>NLMSG_MIN_TYPE and the one after it.</summary>
    public const ushort BatchBegin = 0x10, BatchEnd = 0x11;
    public const ushort MsgNewTable = 0, MsgNewChain = 3, MsgNewRule = 6;
    /// <summary>struct nfgenmsg: u8 nfgen_family, u8 version, be16 res_id.</summary>
    public const int NfGenLength = 4, NfGenFamily = 0, NfGenVersion = 1, NfGenResId = 2;

    public const ushort TableName = 1;
    public const ushort ChainTable = 1, ChainName = 3, ChainHook = 4, ChainPolicy = 5, ChainType = 7;
    public const ushort HookNumber = 1, HookPriority = 2;
    public const ushort RuleTable = 1, RuleChain = 2, RuleExpressions = 4;
    public const ushort ListElement = 1, ExprName = 1, ExprData = 2;
    public const ushort DataValue = 1, DataVerdict = 2, VerdictCode = 1;
    public const ushort MetaDreg = 1, MetaKey = 2;
    public const ushort CmpSreg = 1, CmpOp = 2, CmpData = 3;
    public const ushort PayloadDreg = 1, PayloadBase = 2, PayloadOffset = 3, PayloadLength = 4;
    public const ushort BitwiseSreg = 1, BitwiseDreg = 2, BitwiseLength = 3, BitwiseMask = 4, BitwiseXor = 5;
    public const ushort ImmediateDreg = 1, ImmediateData = 2;

    public const uint NfInetLocalOut = 3;
    public const uint NfDrop = 0, NfAccept = 1;
    public const uint RegVerdict = 0, Reg1 = 1;
    public const uint CmpEq = 0;
    public const uint MetaMark = 3, MetaL4Proto = 16;
    public const uint PayloadNetworkHeader = 1, PayloadTransportHeader = 2;
    /// <summary>Where iphdr.daddr and udphdr.dest are, and how long.</summary>
    public const uint Ipv4DestinationOffset = 16, Ipv4AddressLength = 4, UdpDestinationPortOffset = 2, PortLength = 2;
    public const byte IpProtoUdp = 17;

    private const ushort Nested = NetlinkMessage.NestedFlag;

    private static ushort Type(ushort message) => (ushort)(SubsystemNfTables << 8 | message);

    private static NetlinkMessage Message(ushort type, ushort flags, byte family, ushort resourceId, string what)
    {
        var message = new NetlinkMessage(type, flags, what);
        var header = message.Fixed(NfGenLength);
        header[NfGenFamily] = family;
        header[NfGenVersion] = NfNetlinkV0;
        BinaryPrimitives.WriteUInt16BigEndian(header[NfGenResId..], resourceId);
        return message;
    }

    public static NetlinkMessage Begin() => Message(BatchBegin, 0, AfUnspec, SubsystemNfTables, "NFNL_MSG_BATCH_BEGIN");
    public static NetlinkMessage End() => Message(BatchEnd, 0, AfUnspec, SubsystemNfTables, "NFNL_MSG_BATCH_END");

    /// <summary>add table ip NAME.</summary>
    public static NetlinkMessage NewTable(string table) =>
        Message(Type(MsgNewTable), Netlink.FAck | Netlink.FCreate, NfProtoIpv4, 0, $"NFT_MSG_NEWTABLE ip {table}")
            .String(TableName, table);

    /// <summary>add chain ip TABLE CHAIN { type filter hook output priority PRIORITY; policy accept; }</summary>
    public static NetlinkMessage NewOutputChain(string table, string chain, int priority = 0) =>
        Message(Type(MsgNewChain), Netlink.FAck | Netlink.FCreate, NfProtoIpv4, 0,
                $"NFT_MSG_NEWCHAIN ip {table} {chain} (filter, hook output, priority {priority}, policy accept)")
            .String(ChainTable, table).String(ChainName, chain)
            .Begin(ChainHook | Nested).Be32(HookNumber, NfInetLocalOut).Be32(HookPriority, (uint)priority).End()
            .Be32(ChainPolicy, NfAccept).String(ChainType, "filter");

    /// <summary>add rule ip TABLE CHAIN EXPRESSIONS (appended after the chain's rules).</summary>
    public static NetlinkMessage NewRule(string table, string chain, IReadOnlyList<NftExpression> expressions)
    {
        var message = Message(Type(MsgNewRule), Netlink.FAck | Netlink.FCreate | Netlink.FAppend, NfProtoIpv4, 0,
                $"NFT_MSG_NEWRULE ip {table} {chain}: {string.Join(" ", expressions.Select(e => e.Text).Where(t => t.Length > 0))}")
            .String(RuleTable, table).String(RuleChain, chain).Begin(RuleExpressions | Nested);
        foreach (var expression in expressions)
        {
            message.Begin(ListElement | Nested).String(ExprName, expression.Name).Begin(ExprData | Nested);
            expression.Data(message);
            message.End().End();
        }
        return message.End();
    }

    public static NftExpression Meta(uint key, string text) =>
        new("meta", m => m.Be32(MetaKey, key).Be32(MetaDreg, Reg1), text);

    public static NftExpression Payload(uint @base, uint offset, uint length, string text) =>
        new("payload", m => m.Be32(PayloadDreg, Reg1).Be32(PayloadBase, @base).Be32(PayloadOffset, offset).Be32(PayloadLength, length), text);

    public static NftExpression Equal(byte[] value, string text) =>
        new("cmp", m => m.Be32(CmpSreg, Reg1).Be32(CmpOp, CmpEq).Begin(CmpData | Nested).Attribute(DataValue, value).End(), text);

    /// <summary>register 1 = (register 1 &amp; mask) ^ 0.</summary>
    public static NftExpression Mask(byte[] mask) =>
        new("bitwise", m => m.Be32(BitwiseSreg, Reg1).Be32(BitwiseDreg, Reg1).Be32(BitwiseLength, (uint)mask.Length)
            .Begin(BitwiseMask | Nested).Attribute(DataValue, mask).End()
            .Begin(BitwiseXor | Nested).Attribute(DataValue, new byte[mask.Length]).End(), "");

    public static NftExpression Verdict(uint code) =>
        new("immediate", m => m.Be32(ImmediateDreg, RegVerdict)
            .Begin(ImmediateData | Nested).Begin(DataVerdict | Nested).Be32(VerdictCode, code).End().End(),
            code == NfAccept ? "accept" : code == NfDrop ? "drop" : $"verdict {code}");

    /// <summary>meta mark MARK accept (the mark in host order, as the kernel keeps skb->mark).</summary>
    public static NftExpression[] AcceptMark(uint mark)
    {
        var value = new byte[4];
        System.Runtime.InteropServices.MemoryMarshal.Write(value, in mark);
        return [Meta(MetaMark, ""), Equal(value, $"meta mark 0x{mark:x}"), Verdict(NfAccept)];
    }

    /// <summary>ip daddr NETWORK/PREFIX [udp dport PORT] drop: the mask only for a prefix shorter than 32, as nft
    /// does; the port after meta l4proto udp.</summary>
    public static NftExpression[] Drop(OutputDropRule rule)
    {
        var mask = Ipv4Address.Mask(rule.PrefixLength);
        var network = new Ipv4Address(rule.Destination.Value & mask).ToBytes();
        var expressions = new List<NftExpression> { Payload(PayloadNetworkHeader, Ipv4DestinationOffset, Ipv4AddressLength, "") };
        if (rule.PrefixLength < 32)
        {
            expressions.Add(Mask(new Ipv4Address(mask).ToBytes()));
        }
        expressions.Add(Equal(network, $"ip daddr {rule.Destination}/{rule.PrefixLength}"));
        if (rule.DestinationPort is { } port)
        {
            var portBytes = new byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(portBytes, port);
            expressions.Add(Meta(MetaL4Proto, ""));
            expressions.Add(Equal([IpProtoUdp], "meta l4proto udp"));
            expressions.Add(Payload(PayloadTransportHeader, UdpDestinationPortOffset, PortLength, ""));
            expressions.Add(Equal(portBytes, $"udp dport {port}"));
        }
        expressions.Add(Verdict(NfDrop));
        return expressions.ToArray();
    }

    /// <summary>The whole output filter of a case in one batch: table, chain, the accept of the marker's mark, the
    /// drops in order. Sent on a netfilter socket opened here, so on the calling thread's namespace.</summary>
    public static void ApplyOutputFilter(string table, string chain, uint acceptMark, IEnumerable<OutputDropRule> drops)
    {
        var body = new List<NetlinkMessage> { NewTable(table), NewOutputChain(table, chain), NewRule(table, chain, AcceptMark(acceptMark)) };
        body.AddRange(drops.Select(d => NewRule(table, chain, Drop(d))));
        using var socket = new Netlink(Netlink.NetlinkNetfilter);
        socket.Send([Begin(), .. body, End()], body);
    }
}
