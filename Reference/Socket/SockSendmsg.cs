using Udpconf.Reference.Api;
using Udpconf.Reference.Udp;

namespace Udpconf.Reference.Socket;

/// <summary>sock_sendmsg, scm_send and inet_sendmsg: the socket layer between the system call and UDP.</summary>
public static class SockSendmsg
{
    /// <summary>
    /// Outcome: what udp_sendmsg returns; the security hook's veto when a module vetoes (by default it allows
    /// everything); EAGAIN when an unbound socket cannot be given an ephemeral port.
    /// Description: credentials are recorded and not used. The automatic bind comes before any of UDP's checks,
    /// so even a send UDP refuses binds the socket.
    /// </summary>
    public static Outcome Send(Process model, Call call, Sock sock, KernelMsg msg)
    {
        // spec: sock_sendmsg.security_hook
        if (model.Host.SecurityVeto is { } veto) return call.Fail(veto, ClauseId.SecurityHook);
        call.Pass(ClauseId.SecurityHook);
        // spec: scm_send.credentials — recorded and discarded: nothing observable follows from them.
        call.Pass(ClauseId.Credentials);
        // spec: inet_sendmsg.autobind
        if (InetBind.Autobind(model, call, sock) is { } refused) return refused;
        call.Pass(ClauseId.Autobind);
        return sock.Family == AddressFamily.Inet6
            ? Udpv6SendMsg.Send(model, call, sock, msg)
            : UdpSendMsg.Send(model, call, sock, msg);
    }
}
