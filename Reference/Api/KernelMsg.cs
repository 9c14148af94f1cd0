namespace Udpconf.Reference.Api;

/// <summary>The message as the kernel holds it after the system call front end (struct msghdr, in kernel memory).</summary>
/// <param name="Name">msg_name: null when no address is passed down.</param>
/// <param name="Length">The total of the data blocks (the len of udp_sendmsg).</param>
/// <remarks>A value: one per send, and the object was a twentieth of a plain send's allocation (issue 17).</remarks>
public readonly record struct KernelMsg(
    byte[]? Name,
    int NameLength,
    IReadOnlyList<UserBuffer> Iov,
    ReadOnlyMemory<byte> Control,
    long ControlLength,
    MsgFlags Flags,
    long Length);
