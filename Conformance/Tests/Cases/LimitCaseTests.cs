using System.Buffers.Binary;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Suite;
using Udpconf.Suite.Cases;
using Xunit;

namespace Udpconf.Tests.Cases;

/// <summary>
/// Boundary discipline: for every numeric limit of the model (Reference/Limits.cs, which the model's code compares
/// against), the case library holds a call at the limit and one just past it. Each limit is read from the cases' own
/// operations by a probe written here; a new limit without a probe, or without both values among the cases, fails.
/// </summary>
public sealed class LimitCaseTests
{
    private static readonly string Root = SpecMap.FindRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("no Conformance.sln above the test binaries");

    /// <summary>The values a case gives the quantity a limit bounds, step by step.</summary>
    private static readonly Dictionary<string, Func<Case, IEnumerable<long>>> Probes = new()
    {
        [Limits.IovCount.Name] = c => Ops<SendMsgOp>(c).Select(op => (long)op.Iov.Count),
        [Limits.MmsgVlen.Name] = c => Ops<SendMmsgOp>(c).Select(op => (long)op.Vlen),
        [Limits.AddressLength.Name] = c => Ops<BindOp>(c).Select(op => (long)op.AddressLength)
            .Concat(Ops<ConnectOp>(c).Select(op => (long)op.AddressLength)),
        [Limits.AddressStorage.Name] = c => Ops<BindOp>(c).Select(op => (long)op.AddressLength)
            .Concat(Ops<ConnectOp>(c).Select(op => (long)op.AddressLength))
            .Concat(Ops<SendToOp>(c).Select(op => (long)op.AddressLength)),
        [Limits.IpOptionsLength.Name] = c => Option(c, SocketOption.SolIp, SocketOption.IpOptions).Select(op => (long)op.OptLen),
        [Limits.TtlLowest.Name] = c => IntValues(c, SocketOption.SolIp, SocketOption.IpTtl),
        [Limits.TtlHighest.Name] = c => IntValues(c, SocketOption.SolIp, SocketOption.IpTtl),
        [Limits.MulticastTtlHighest.Name] = c => IntValues(c, SocketOption.SolIp, SocketOption.IpMulticastTtl),
        [Limits.CmsgTtlLowest.Name] = c => Cmsgs(c, SocketOption.SolIp, SocketOption.IpTtl),
        [Limits.CmsgTtlHighest.Name] = c => Cmsgs(c, SocketOption.SolIp, SocketOption.IpTtl),
        [Limits.CmsgTosLowest.Name] = c => Cmsgs(c, SocketOption.SolIp, SocketOption.IpTos),
        [Limits.CmsgTosHighest.Name] = c => Cmsgs(c, SocketOption.SolIp, SocketOption.IpTos),
        [Limits.MtuLowest.Name] = c => Ops<HostChangeOp>(c).Where(op => op.Mtu is not null).Select(op => (long)op.Mtu!.Value),
        [Limits.MtuHighest.Name] = c => Ops<HostChangeOp>(c).Where(op => op.Mtu is not null).Select(op => (long)op.Mtu!.Value),
        // A datagram without IP options: the payload and 28 bytes of headers.
        [Limits.DatagramLength.Name] = c => Ops<SendToOp>(c).Select(op => op.Data.Length + 28)
            .Concat(Ops<SendMsgOp>(c).Select(op => Total(op.Iov) + 28)),
        // The number of groups a socket has asked to join so far.
        [Limits.Memberships.Name] = c => Ops<SetSockOptOp>(c).Where(op => op.Level == SocketOption.SolIp && op.OptName == SocketOption.IpAddMembership)
            .GroupBy(op => op.Fd).SelectMany(joins => Enumerable.Range(1, joins.Count()).Select(n => (long)n)),
        [Limits.DeviceNameBuffer.Name] = c => Ops<GetSockOptOp>(c).Where(op => op.Level == SocketOption.SolSocket && op.OptName == SocketOption.SoBindToDevice)
            .Select(op => (long)op.OptLen),
        // The segments a send with a UDP_SEGMENT control message asks for.
        [Limits.GsoSegments.Name] = c => Ops<SendMsgOp>(c).SelectMany(op => Messages(op, SocketOption.SolUdp, SocketOption.UdpSegment)
            .Where(m => m.Data.Length >= 2 && BinaryPrimitives.ReadUInt16LittleEndian(m.Data.Span) > 0)
            .Select(m => (Total(op.Iov) + BinaryPrimitives.ReadUInt16LittleEndian(m.Data.Span) - 1)
                         / BinaryPrimitives.ReadUInt16LittleEndian(m.Data.Span))),
        [Limits.PrivilegedPort.Name] = c => c.Host.Privileged ? [] : Ops<BindOp>(c)
            .Where(op => op.Address is { Readable.Length: >= 4 } && op.AddressLength >= Limits.AddressLength.At)
            .Select(op => (long)SockAddr.Port(op.Address!.Readable.Span)),
        [Limits.IntOptionLength.Name] = c => Ops<SetSockOptOp>(c).Where(op => op.Level == SocketOption.SolSocket).Select(op => (long)op.OptLen),
        [Limits.MinTtlHighest.Name] = c => IntValues(c, SocketOption.SolIp, SocketOption.IpMinTtl),
        [Limits.PmtuModeSpec.Name] = c => IntValues(c, SocketOption.SolIp, SocketOption.IpMtuDiscover),
        [Limits.PmtuModeLinux.Name] = c => IntValues(c, SocketOption.SolIp, SocketOption.IpMtuDiscover),
        [Limits.SndbufFloorLinux.Name] = c => IntValues(c, SocketOption.SolSocket, SocketOption.SoSndbuf),
        [Limits.GsoSizeHighest.Name] = c => IntValues(c, SocketOption.SolUdp, SocketOption.UdpSegment),
        // tv_usec, the second half of a struct timeval of 16 bytes.
        [Limits.TimeoutMicros.Name] = c => Ops<SetSockOptOp>(c)
            .Where(op => op.Level == SocketOption.SolSocket && op.OptName is SocketOption.SoRcvTimeoOld or SocketOption.SoSndTimeoOld or SocketOption.SoRcvTimeoNew or SocketOption.SoSndTimeoNew && op.Value is { Readable.Length: >= 16 })
            .Select(op => BinaryPrimitives.ReadInt64LittleEndian(op.Value!.Readable.Span[8..])),
        // The first cmsg_len of a control buffer, and those of the well-formed messages.
        [Limits.CmsgLength.Name] = c => Ops<SendMsgOp>(c).Where(op => op.Control is { Readable.Length: >= 8 })
            .Select(op => BinaryPrimitives.ReadInt64LittleEndian(op.Control!.Readable.Span)),
    };

    /// <summary>A gather list's length, huge lengths (past 2^40) held there so that the sum cannot overflow.</summary>
    private static long Total(IReadOnlyList<UserBuffer> iov) => iov.Sum(b => Math.Clamp(b.Length, 0, 1L << 40));

    private static IEnumerable<T> Ops<T>(Case c) where T : Operation => c.Steps.Select(s => s.Operation).OfType<T>();

    private static IEnumerable<SetSockOptOp> Option(Case c, int level, int name) =>
        Ops<SetSockOptOp>(c).Where(op => op.Level == level && op.OptName == name);

    private static IEnumerable<long> IntValues(Case c, int level, int name) =>
        Option(c, level, name).Where(op => op.OptLen >= 4 && op.Value is { Readable.Length: >= 4 })
            .Select(op => (long)BinaryPrimitives.ReadInt32LittleEndian(op.Value!.Readable.Span));

    private static IEnumerable<ControlMessage> Messages(SendMsgOp op, int level, int type) =>
        op.Control is null ? [] : ControlMessages.Walk(op.Control.Readable, op.ControlLength)
            .Where(m => m.Message is { } message && message.Level == level && message.Type == type).Select(m => m.Message!);

    /// <summary>Control messages of an int (or, for IP_TOS, a byte).</summary>
    private static IEnumerable<long> Cmsgs(Case c, int level, int type) => Ops<SendMsgOp>(c).SelectMany(op => Messages(op, level, type))
        .Where(m => m.Data.Length is 4 or 1)
        .Select(m => m.Data.Length == 4 ? (long)BinaryPrimitives.ReadInt32LittleEndian(m.Data.Span) : m.Data.Span[0]);

    [Fact]
    public void Every_limit_of_the_model_has_a_probe()
    {
        var unprobed = Limits.All.Select(l => l.Name).Where(name => !Probes.ContainsKey(name)).ToArray();
        Assert.True(unprobed.Length == 0, "limits without a probe: " + string.Join(", ", unprobed));
        Assert.Equal(Limits.All.Count, Limits.All.Select(l => l.Name).Distinct().Count());
    }

    [Fact]
    public void Every_limit_of_the_model_has_a_case_at_it_and_one_past_it()
    {
        var all = CaseLibrary.Load(CaseLibrary.DefaultFolder(Root)).Where(f => f.Case is not null).Select(f => f.Case!).ToArray();
        var missing = new List<string>();
        foreach (var limit in Limits.All)
        {
            if (!Probes.TryGetValue(limit.Name, out var probe)) continue;
            var cases = limit.Profile is { } profile ? all.Where(c => c.Profiles.Contains(profile)).ToArray() : all;
            var at = cases.Where(c => probe(c).Contains(limit.At)).Select(c => c.Id).ToArray();
            var beyond = cases.Where(c => probe(c).Contains(limit.Beyond)).Select(c => c.Id).ToArray();
            if (at.Length == 0) missing.Add($"{limit.Name}: no case at {limit.At} ({limit.Meaning})");
            if (beyond.Length == 0) missing.Add($"{limit.Name}: no case at {limit.Beyond}, past the limit ({limit.Meaning})");
        }
        Assert.True(missing.Count == 0, string.Join("\n", missing));
    }
}
