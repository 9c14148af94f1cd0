using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Udpconf.Suite.Targets.Kernel;
using Xunit;

namespace Udpconf.Tests.Targets.Kernel;

/// <summary>The structs the kernel target hands to sendmsg and recvmsg have the x86-64 Linux layout: the sizes and
/// offsets of &lt;sys/socket.h&gt;, &lt;bits/uio.h&gt; and &lt;linux/errqueue.h&gt;.</summary>
public class NativeStructTests
{
    private static int Offset<T>(string field) => (int)Marshal.OffsetOf<T>(field);

    [Fact]
    public void Sizes_are_those_of_the_x86_64_ABI()
    {
        Assert.Equal(16, Unsafe.SizeOf<IoVec>());
        Assert.Equal(56, Unsafe.SizeOf<MsgHdr>());
        Assert.Equal(16, Unsafe.SizeOf<CmsgHdr>());
        Assert.Equal(16, Unsafe.SizeOf<SockExtendedErr>());
        Assert.Equal(16, Marshal.SizeOf<IoVec>());
        Assert.Equal(56, Marshal.SizeOf<MsgHdr>());
        Assert.Equal(16, Marshal.SizeOf<CmsgHdr>());
        Assert.Equal(16, Marshal.SizeOf<SockExtendedErr>());
    }

    [Fact]
    public void Offsets_are_those_of_the_x86_64_ABI()
    {
        Assert.Equal([0, 8], [Offset<IoVec>(nameof(IoVec.Base)), Offset<IoVec>(nameof(IoVec.Length))]);
        Assert.Equal([0, 8, 16, 24, 32, 40, 48],
        [
            Offset<MsgHdr>(nameof(MsgHdr.Name)), Offset<MsgHdr>(nameof(MsgHdr.NameLength)), Offset<MsgHdr>(nameof(MsgHdr.Iov)),
            Offset<MsgHdr>(nameof(MsgHdr.IovLength)), Offset<MsgHdr>(nameof(MsgHdr.Control)), Offset<MsgHdr>(nameof(MsgHdr.ControlLength)),
            Offset<MsgHdr>(nameof(MsgHdr.Flags)),
        ]);
        Assert.Equal([0, 8, 12], [Offset<CmsgHdr>(nameof(CmsgHdr.Length)), Offset<CmsgHdr>(nameof(CmsgHdr.Level)), Offset<CmsgHdr>(nameof(CmsgHdr.Type))]);
        Assert.Equal([0, 4, 5, 6, 7, 8, 12],
        [
            Offset<SockExtendedErr>(nameof(SockExtendedErr.Errno)), Offset<SockExtendedErr>(nameof(SockExtendedErr.Origin)),
            Offset<SockExtendedErr>(nameof(SockExtendedErr.Type)), Offset<SockExtendedErr>(nameof(SockExtendedErr.Code)),
            Offset<SockExtendedErr>(nameof(SockExtendedErr.Pad)), Offset<SockExtendedErr>(nameof(SockExtendedErr.Info)),
            Offset<SockExtendedErr>(nameof(SockExtendedErr.Data)),
        ]);
    }

    [Fact]
    public void A_control_message_header_is_the_one_the_model_walks()
    {
        Assert.Equal(Udpconf.Reference.Api.ControlMessages.HeaderLength, Unsafe.SizeOf<CmsgHdr>());
    }
}
