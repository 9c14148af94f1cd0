using System.Runtime.InteropServices;

namespace Udpconf.Suite.Targets.Kernel;

// The structs of sendmsg, recvmsg and the error queue as x86-64 Linux lays them out (the layout the model's byte
// views assume too: Udpconf.Reference.Api.ControlMessages). Sequential layout gives C's alignment; NativeStructTests
// pins every size and offset to the ABI.

/// <summary>struct iovec { void *iov_base; size_t iov_len; } (16 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct IoVec
{
    public nint Base;
    public nuint Length;
}

/// <summary>struct mmsghdr (64 bytes): msg_hdr (0), msg_len (56, then 4 bytes of padding).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct MmsgHdr
{
    public MsgHdr Header;
    public uint Length;
}

/// <summary>struct msghdr (56 bytes): msg_name (0), msg_namelen (8, then 4 bytes of padding), msg_iov (16),
/// msg_iovlen (24), msg_control (32), msg_controllen (40), msg_flags (48, then 4 bytes of padding).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct MsgHdr
{
    public nint Name;
    public int NameLength;
    public nint Iov;
    public nuint IovLength;
    public nint Control;
    public nuint ControlLength;
    public int Flags;
}

/// <summary>struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } (16 bytes), its data right after it
/// (CMSG_DATA), the next one CMSG_ALIGN(cmsg_len) further on.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct CmsgHdr
{
    public nuint Length;
    public int Level;
    public int Type;
}

/// <summary>struct sock_extended_err (16 bytes): the data of an IP_RECVERR / IPV6_RECVERR control message read from
/// the error queue. ee_errno, ee_origin (SO_EE_ORIGIN_*), ee_type and ee_code (of the ICMP message), ee_pad, ee_info
/// (the MTU of a "fragmentation needed"), ee_data.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct SockExtendedErr
{
    public uint Errno;
    public byte Origin;
    public byte Type;
    public byte Code;
    public byte Pad;
    public uint Info;
    public uint Data;
}
