using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Socket;
using Udpconf.Reference.Syscall;

namespace Udpconf.Reference;

/// <summary>
/// The executable model of the IPv4 UDP send path: one process on one host, answering socket calls as the
/// profile's kernel would. <see cref="Run"/> never throws for any operation; modeled failures are values.
/// Layers, each using only itself and those below (Conformance/Tests/Model/LayeringTests.cs enforces it): Model →
/// Syscall → Socket → Udp → Ip → Base. Base is Host, Wire, Api, Symbols and the root types every layer needs (Errno,
/// ClauseId, Profile, ClauseSite, Step and Stop, FileObject); Call and Outcome sit with Ip, whose datagrams an outcome
/// carries. The state splits the same way: Net (Ip) ← Process (Socket) ← Model, InetSock (Ip) ← UdpSock (Udp) ← Sock.
/// </summary>
public sealed class Model : Process
{
    public Model(HostConfig host, Profile profile) : base(host, profile)
    {
    }

    /// <summary>The running SNMP counters of the host.</summary>
    public CounterDelta Counters { get; private set; }

    /// <summary>Answers one operation.</summary>
    public Outcome Run(Operation operation)
    {
        // Close still releases the descriptor of a socket the model no longer follows.
        if (operation is not CloseOp && Operation.DescriptorOf(operation) is { } fd && File(Resolve(fd)) is Sock { Unmodeled: { } unmodeled })
            return new Call().Unmodeled(unmodeled.Clause, unmodeled.Why);
        var outcome = operation switch
        {
            SocketOp op => SocketCalls.Create(this, op),
            OpenFileOp op => SocketCalls.OpenFile(this, op),
            BindOp op => InetBind.Bind(this, op),
            ConnectOp op => InetConnect.Connect(this, op),
            SetSockOptOp op => SocketOptions.Set(this, op),
            GetSockOptOp op => SocketOptions.Get(this, op),
            SetNonblockOp op => SocketCalls.SetNonblock(this, op),
            SendToOp op => SysSendto.SendTo(this, op),
            SendMsgOp op => SysSendto.SendMsg(this, op),
            SendMmsgOp op => SysSendmmsg.SendMmsg(this, op),
            ShutdownOp op => InetShutdown.Shutdown(this, op),
            CloseOp op => SocketCalls.Close(this, op),
            HostChangeOp op => ChangeHost(op),
            _ => new Call().Unmodeled(ClauseId.SocketUnsupported, $"operation {operation.GetType().Name} is not modeled"),
        };
        Counters += outcome.Counters;
        // The error queue is read after every operation on a socket (Outcome.ErrorQueue), as an application under
        // IP_RECVERR does: reading an ICMP entry clears the socket error udp_err set with it (sock_dequeue_err_skb). Until
        // then it is pending: a later entry of the same sendmmsg meets it (found by the differential machine, seed 1).
        if (outcome.ErrorQueue.Any(e => e.Origin == ErrorOrigin.Icmp) && Operation.DescriptorOf(operation) is { } read && File(Resolve(read)) is Sock reader)
            reader.Error = null;
        return outcome;
    }

    private Outcome ChangeHost(HostChangeOp op)
    {
        var call = new Call();
        var device = Host.InterfaceByName(op.Interface);
        if (device is null) return call.Fail(Errno.ENODEV, ClauseId.HostChange);
        if (op.Mtu is { } mtu && (mtu < Limits.MtuLowest.At || mtu > Limits.MtuHighest.At)) return call.Fail(Errno.EINVAL, ClauseId.HostChange);
        var changed = device with { Mtu = op.Mtu ?? device.Mtu, Up = op.Up ?? device.Up };
        // A setting that does not change is no event: cached routes stay valid (found by the differential machine).
        if (changed == device) return call.Return(0, ClauseId.HostChange);
        ChangeInterface(device, changed);
        return call.Return(0, ClauseId.HostChange);
    }
}
