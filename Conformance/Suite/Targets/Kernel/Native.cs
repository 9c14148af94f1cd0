using System.Runtime.InteropServices;

namespace Udpconf.Suite.Targets.Kernel;

/// <summary>
/// The raw system calls the kernel target makes. Every call returns what libc returns and the errno it left, read
/// with <see cref="Marshal.GetLastPInvokeError"/>: the suite compares errno numbers, so nothing may go through
/// .NET's Socket class, which maps them to SocketError. The structs they take are in NativeStructs.cs; the socket
/// API's constants are Udpconf.Reference.Api's, and only those it has no name for are here.
/// </summary>
public static unsafe class Native
{
    public const int CloneNewNet = 0x40000000;
    public const int ORdonly = 0, ORdwr = 2, ONonblock = 0x800, OCloexec = 0x80000;
    public const int FGetfl = 3, FSetfl = 4;
    public const int ProtNone = 0, ProtRead = 1, ProtWrite = 2;
    public const int MapPrivate = 0x02, MapAnonymous = 0x20, MapFixedNoReplace = 0x100000, Eexist = 17;
    public const int EAgain = 11;
    /// <summary>MSG_ERRQUEUE, a flag of recvmsg (the send-path flags are <see cref="Udpconf.Reference.Api.MsgFlags"/>).</summary>
    public const int MsgErrqueue = 0x2000;
    /// <summary>SOL_IPV6 / IPV6_RECVERR: the control message that carries a struct sock_extended_err on a read of an
    /// IPv6 socket's error queue (IPv4's SOL_IP / IP_RECVERR are <see cref="Udpconf.Reference.Api.SocketOption"/>'s).</summary>
    public const int SolIpv6 = 41, Ipv6Recverr = 25;
    public const short PollIn = 1;
    public const uint TunSetIff = 0x400454ca;
    public const uint SiocGifIndex = 0x8933;
    public const short IffTun = 0x0001, IffNoPi = 0x1000, IffVnetHdr = 0x4000;
    /// <summary>TUNSETOFFLOAD (_IOW('T', 208, unsigned int)); its argument is the TUN_F_* flags by value.</summary>
    public const uint TunSetOffload = 0x400454d0;
    public const uint TunFCsum = 0x01;
    /// <summary>SIOCETHTOOL, and ETHTOOL_SSG (the legacy command that sets NETIF_F_SG; its struct ethtool_value is
    /// {u32 cmd, u32 data}, pointed to by the ifreq's ifr_data).</summary>
    public const uint SiocEthtool = 0x8946;
    public const uint EthtoolSsg = 0x19;
    /// <summary>The size of struct virtio_net_hdr, which a TUN device with IFF_VNET_HDR puts before every packet
    /// (the default of TUNSETVNETHDRSZ).</summary>
    public const int VnetHdrSize = 10;

    [DllImport("libc", SetLastError = true)] public static extern int socket(int domain, int type, int protocol);
    [DllImport("libc", SetLastError = true)] public static extern int bind(int fd, nint addr, int addrlen);
    [DllImport("libc", SetLastError = true)] public static extern int connect(int fd, nint addr, int addrlen);
    [DllImport("libc", SetLastError = true)] public static extern int setsockopt(int fd, int level, int name, nint value, int optlen);
    [DllImport("libc", SetLastError = true)] public static extern int getsockopt(int fd, int level, int name, nint value, int* optlen);
    [DllImport("libc", SetLastError = true)] public static extern int fcntl(int fd, int cmd, int arg);
    [DllImport("libc", SetLastError = true)] public static extern nint sendto(int fd, nint buf, nuint len, int flags, nint addr, int addrlen);
    [DllImport("libc", SetLastError = true)] public static extern nint sendmsg(int fd, nint msg, int flags);
    [DllImport("libc", SetLastError = true)] public static extern nint recvmsg(int fd, nint msg, int flags);
    [DllImport("libc", SetLastError = true)] public static extern int sendmmsg(int fd, nint vector, uint vlen, int flags);
    [DllImport("libc", SetLastError = true)] public static extern int shutdown(int fd, int how);
    [DllImport("libc", SetLastError = true)] public static extern int close(int fd);
    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)] public static extern int open(string path, int flags);
    [DllImport("libc", SetLastError = true)] public static extern nint read(int fd, byte* buf, nuint count);
    [DllImport("libc", SetLastError = true)] public static extern nint pread(int fd, byte* buf, nuint count, nint offset);
    [DllImport("libc", SetLastError = true)] public static extern nint write(int fd, byte* buf, nuint count);
    [DllImport("libc", SetLastError = true)] public static extern int ioctl(int fd, nuint request, void* arg);
    [DllImport("libc", SetLastError = true)] public static extern int unshare(int flags);
    [DllImport("libc", SetLastError = true)] public static extern nint mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);
    [DllImport("libc", SetLastError = true)] public static extern int munmap(nint addr, nuint length);
    [DllImport("libc", SetLastError = true)] public static extern int mprotect(nint addr, nuint length, int prot);
    [DllImport("libc", SetLastError = true)] public static extern int poll(PollFd* fds, nuint nfds, int timeout);
    [DllImport("libc")] public static extern uint geteuid();
    [DllImport("libc", SetLastError = true)] public static extern int capget(CapHeader* header, CapData* data);
    [DllImport("libc", SetLastError = true)] public static extern int capset(CapHeader* header, CapData* data);

    /// <summary>_LINUX_CAPABILITY_VERSION_3: two CapData words (capabilities 0-31, 32-63).</summary>
    public const uint CapabilityVersion3 = 0x20080522;
    public const int CapNetBindService = 10, CapNetRaw = 13;

    [StructLayout(LayoutKind.Sequential)]
    public struct CapHeader { public uint Version; public int Pid; }

    [StructLayout(LayoutKind.Sequential)]
    public struct CapData { public uint Effective; public uint Permitted; public uint Inheritable; }

    /// <summary>Takes <paramref name="capabilities"/> (numbers below 32) out of the calling thread's effective set
    /// (capabilities are per thread: pid 0 is the caller). They stay permitted. Returns the errno, 0 on success.</summary>
    public static int DropEffective(params int[] capabilities)
    {
        var header = new CapHeader { Version = CapabilityVersion3, Pid = 0 };
        var data = stackalloc CapData[2];
        if (capget(&header, data) != 0) return Errno;
        foreach (var capability in capabilities) data[0].Effective &= ~(1u << capability);
        return capset(&header, data) != 0 ? Errno : 0;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd { public int Fd; public short Events; public short Revents; }

    public static int Errno => Marshal.GetLastPInvokeError();

    /// <summary>A struct ifreq (40 bytes on x86-64): the name, then a union whose first member is a short or int.</summary>
    public static byte[] IfReq(string name, int value)
    {
        var ifr = new byte[40];
        var bytes = System.Text.Encoding.ASCII.GetBytes(name);
        if (bytes.Length > 15) throw new ArgumentException($"interface name too long: {name}");
        bytes.CopyTo(ifr, 0);
        BitConverter.GetBytes(value).CopyTo(ifr, 16);
        return ifr;
    }
}
