using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Xunit;

namespace Udpconf.Tests.Model;

/// <summary>
/// The order of the send path's checks is part of the specification: where two checks can both fail on one call,
/// the earlier one decides. Each fault below breaks exactly one check of a sendmsg that otherwise succeeds; every
/// pair of faults that can be combined on one call is run, and the earlier fault's errno and clause must win.
/// </summary>
public class CheckOrderTests
{
    /// <summary>The call a scenario makes, as plain fields that faults change one at a time.</summary>
    public sealed record Scenario
    {
        public bool BadFd { get; init; }
        public bool NotSocket { get; init; }
        public int AddressLength { get; init; } = SockAddr.InLength;
        public bool NullAddress { get; init; }
        public ushort Family { get; init; } = AddressFamily.Inet;
        public Ipv4Address Destination { get; init; } = Hosts.Remote;
        public ushort Port { get; init; } = 9;
        public long Length { get; init; } = 100;
        public bool DataUnreadable { get; init; }
        public MsgFlags Flags { get; init; }
        public byte[]? Control { get; init; }
        public byte[]? IpOptions { get; init; }
        public bool SmallSendBuffer { get; init; }
        public int PmtuMode { get; init; } = SocketOption.PmtuWant;
        public bool SecurityVeto { get; init; }
        public bool PortsExhausted { get; init; }
        public bool OutputDrop { get; init; }

        public Outcome Run(Profile profile)
        {
            var host = Hosts.OnLinkOnly() with
            {
                SecurityVeto = SecurityVeto ? Errno.EPERM : null,
                LocalPortLow = PortsExhausted ? (ushort)40000 : (ushort)32768,
                LocalPortHigh = PortsExhausted ? (ushort)40000 : (ushort)60999,
                OutputDrops = OutputDrop ? [new OutputDropRule(Hosts.Remote, 32)] : [],
            };
            var sim = new Sim(profile, host);
            if (PortsExhausted)
            {
                sim.Socket("other");
                sim.Bind("other", Ipv4Address.Any, 40000);
            }
            if (NotSocket) sim.Run(new OpenFileOp("s"));
            else sim.Socket("s");
            if (!NotSocket)
            {
                if (SmallSendBuffer) sim.SetInt("s", SocketOption.SolSocket, SocketOption.SoSndbuf, 1);
                sim.SetInt("s", SocketOption.SolIp, SocketOption.IpMtuDiscover, PmtuMode);
                if (IpOptions is not null)
                    sim.Run(new SetSockOptOp(Fd.Named("s"), SocketOption.SolIp, SocketOption.IpOptions, UserBuffer.Of(IpOptions), IpOptions.Length));
            }
            var name = NullAddress ? null : UserBuffer.Of(Pad(SockAddr.In(Destination, Port, Family), Math.Max(AddressLength, 0)));
            var readable = DataUnreadable ? 0 : (int)Math.Min(Length, 70000);
            var data = new UserBuffer(new byte[readable], Length);
            var fd = BadFd ? Fd.Raw(99) : Fd.Named("s");
            return sim.Run(new SendMsgOp(fd, name, NullAddress ? 0 : AddressLength, [data],
                Control is null ? null : UserBuffer.Of(Control), Control?.Length ?? 0, Flags));
        }

        private static byte[] Pad(byte[] address, int length)
        {
            var padded = new byte[Math.Max(length, address.Length)];
            address.CopyTo(padded, 0);
            return padded;
        }
    }

    /// <summary>One broken check: what it changes, which fields it touches, what it must give.</summary>
    public sealed record Fault(string Name, Errno Errno, string Clause, string[] Fields, Func<Scenario, Scenario> Apply)
    {
        public override string ToString() => Name;
    }

    private static readonly byte[] LooseSourceRoute = [131, 7, 4, 198, 51, 100, 1, 1];

    /// <summary>The checks in the order the specification runs them.</summary>
    public static readonly Fault[] Chain =
    [
        new("bad descriptor", Errno.EBADF, ClauseId.BadFd, ["fd"], s => s with { BadFd = true }),
        new("not a socket", Errno.ENOTSOCK, ClauseId.NotSocket, ["fd"], s => s with { NotSocket = true }),
        new("address length 129", Errno.EINVAL, ClauseId.AddrCopy, ["addrlen"], s => s with { AddressLength = 129 }),
        new("security veto", Errno.EPERM, ClauseId.SecurityHook, ["veto"], s => s with { SecurityVeto = true }),
        new("no ephemeral port", Errno.EAGAIN, ClauseId.Autobind, ["ports"], s => s with { PortsExhausted = true }),
        new("length 70000", Errno.EMSGSIZE, ClauseId.LenOver0xFFFF, ["length"], s => s with { Length = 70000 }),
        new("MSG_OOB", Errno.EOPNOTSUPP, ClauseId.Oob, ["oob"], s => s with { Flags = s.Flags | MsgFlags.Oob }),
        new("address length 15", Errno.EINVAL, ClauseId.AddrShort, ["addrlen"], s => s with { AddressLength = 15 }),
        new("family AF_INET6", Errno.EAFNOSUPPORT, ClauseId.AddrFamily, ["family"], s => s with { Family = AddressFamily.Inet6 }),
        new("port 0", Errno.EINVAL, ClauseId.DportZero, ["port"], s => s with { Port = 0 }),
        new("no address, unconnected", Errno.EDESTADDRREQ, ClauseId.NoDest, ["addrlen", "family", "port", "destination"], s => s with { NullAddress = true }),
        new("malformed cmsg", Errno.EINVAL, ClauseId.Cmsg, ["control"], s => s with { Control = Malformed() }),
        new("source route to 0", Errno.EINVAL, ClauseId.SourceRoute, ["destination", "options"], s => s with { Destination = Ipv4Address.Any, IpOptions = LooseSourceRoute }),
        new("unroutable", Errno.ENETUNREACH, ClauseId.Route, ["destination"], s => s with { Destination = Hosts.Unroutable }),
        new("broadcast without SO_BROADCAST", Errno.EACCES, ClauseId.BroadcastEacces, ["destination"], s => s with { Destination = Ipv4Address.Parse("192.0.2.255") }),
        new("length 65508", Errno.EMSGSIZE, ClauseId.EmsgsizeTotal, ["length"], s => s with { Length = 65508 }),
        new("send buffer too small", Errno.ENOBUFS, ClauseId.Sndbuf, ["length", "sndbuf"], s => s with { Length = 60000, SmallSendBuffer = true }),
        new("unreadable data", Errno.EFAULT, ClauseId.AppendEfault, ["readable"], s => s with { DataUnreadable = true }),
        new("output drop", Errno.EPERM, ClauseId.Netfilter, ["drop"], s => s with { OutputDrop = true }),
        new("DO above the MTU", Errno.EMSGSIZE, ClauseId.LocalFragment, ["length", "pmtu"], s => s with { Length = 2000, PmtuMode = SocketOption.PmtuDo }),
    ];

    /// <summary>Pairs whose winner is not the earlier check of the chain, with the reason.</summary>
    private static readonly Dictionary<(string, string), string> Overrides = new()
    {
        // The first buffer is copied before any later buffer is allocated, so unreadable data fails before the
        // send buffer can overflow (pp. 57-58: allocation of the first fragment, then getfrag).
        [("send buffer too small", "unreadable data")] = "unreadable data",
    };

    [Fact]
    public void The_baseline_call_succeeds_so_every_failure_is_the_faults_doing()
    {
        var outcome = new Scenario().Run(Profile.Spec);
        Expect.Value(outcome, 100, ClauseId.UdpResult);
        Assert.Single(outcome.Datagrams);
    }

    public static TheoryData<Fault> Single() => new(Chain);

    [Theory]
    [MemberData(nameof(Single))]
    [Trait("clause", "order")]
    public void Each_fault_alone_gives_its_own_errno_and_clause(Fault fault)
    {
        var outcome = fault.Apply(new Scenario()).Run(Profile.Spec);
        Expect.Error(outcome, fault.Errno, fault.Clause);
    }

    public static TheoryData<Fault, Fault> Pairs()
    {
        var data = new TheoryData<Fault, Fault>();
        for (var i = 0; i < Chain.Length; i++)
            for (var j = i + 1; j < Chain.Length; j++)
                if (!Chain[i].Fields.Intersect(Chain[j].Fields).Any())
                    data.Add(Chain[i], Chain[j]);
        return data;
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    [Trait("clause", "order")]
    public void When_two_checks_fail_the_earlier_one_decides(Fault earlier, Fault later)
    {
        var winner = Overrides.TryGetValue((earlier.Name, later.Name), out var name) ? Chain.Single(f => f.Name == name) : earlier;
        var outcome = later.Apply(earlier.Apply(new Scenario())).Run(Profile.Spec);
        Expect.Error(outcome, winner.Errno, winner.Clause);
    }

    [Fact]
    public void Enough_pairs_are_pinned()
    {
        // 20 checks; pairs touching the same argument cannot be combined on one call.
        Assert.True(Pairs().Count() >= 150, $"only {Pairs().Count()} pairs");
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.pending_family")]
    [Trait("clause", "udp_sendmsg.len_over_0xffff")]
    [Trait("clause", "udp_sendmsg.oob")]
    public void Length_and_OOB_are_checked_before_the_pending_family()
    {
        var sim = PendingIpv6();
        Expect.Error(sim.Run(MappedSend(70000, MsgFlags.None)), Errno.EMSGSIZE, ClauseId.LenOver0xFFFF);
        Expect.Error(sim.Run(MappedSend(10, MsgFlags.Oob)), Errno.EOPNOTSUPP, ClauseId.Oob);
        Expect.Error(sim.Run(MappedSend(10, MsgFlags.None)), Errno.EINVAL, ClauseId.PendingFamily);
    }

    [Fact]
    [Trait("clause", "udp_sendmsg.pending_append")]
    [Trait("clause", "udp_sendmsg.dport_zero")]
    public void While_corked_the_address_is_never_checked()
    {
        var sim = Sim.Spec();
        sim.Socket();
        Expect.Value(sim.SendTo("s", 10, Hosts.Remote, 9, MsgFlags.More), 10);
        // Port 0 and an unroutable address would both fail an uncorked send: here they are not even read.
        Expect.Value(sim.SendTo("s", 10, Hosts.Unroutable, 0), 10, ClauseId.UdpResult);
    }

    [Fact]
    [Trait("clause", "inet_sendmsg.autobind")]
    [Trait("clause", "udp_sendmsg.len_over_0xffff")]
    public void The_automatic_bind_happens_before_the_length_check()
    {
        var sim = Sim.Spec();
        sim.Socket();
        Expect.Error(sim.SendHuge("s", 70000, Hosts.Remote), Errno.EMSGSIZE, ClauseId.LenOver0xFFFF);
        // The socket now has a port: binding it again is EINVAL.
        Expect.Error(sim.Bind("s", Ipv4Address.Any, 5000), Errno.EINVAL, ClauseId.Bind);
    }

    private static Sim PendingIpv6()
    {
        var sim = Sim.Spec();
        sim.Socket("s", AddressFamily.Inet6);
        var native = new byte[16];
        native[0] = 0x20;
        native[1] = 0x01;
        native[2] = 0x0d;
        native[3] = 0xb8;
        native[15] = 1;
        var outcome = sim.Run(new SendToOp(Fd.Named("s"), UserBuffer.Pattern(10), MsgFlags.More, UserBuffer.Of(SockAddr.In6(native, 9)), SockAddr.In6Length));
        Expect.Value(outcome, 10);
        return sim;
    }

    private static SendToOp MappedSend(long length, MsgFlags flags) =>
        new(Fd.Named("s"), new UserBuffer(new byte[Math.Min(length, 70000)], length), flags, UserBuffer.Of(SockAddr.In6Mapped(Hosts.Remote, 9)), SockAddr.In6Length);

    private static byte[] Malformed()
    {
        var control = new byte[ControlMessages.HeaderLength];
        ControlMessages.WriteHeader(control, 8, SocketOption.SolIp, SocketOption.IpPktInfo);
        return control;
    }
}
