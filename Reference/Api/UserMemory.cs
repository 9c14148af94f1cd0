namespace Udpconf.Reference.Api;

/// <summary>
/// The user address space the model assumes (x86-64, 4-level paging), and the contract targets keep with it: every
/// buffer a target maps lies in [<see cref="MappedLow"/>, <see cref="MappedHigh"/>). access_ok passes a range whose
/// end, base + length, is at most <see cref="Top"/> (measured on 6.18.44 with a NULL base: 2^47 - 4096 passes,
/// 2^47 - 4095 is EFAULT). So a NULL base is decided exactly, and a mapped one wherever its whole region agrees.
/// </summary>
public static class UserMemory
{
    /// <summary>TASK_SIZE_MAX: the highest end of a user range access_ok passes.</summary>
    public static long Top => Limits.UserRangeTop.At;

    /// <summary>The region targets map buffers in: 4 GiB from 4 GiB up, clear of the kernel's default mmap area
    /// (top-down from below the stack) and of a PIE executable (0x55...).</summary>
    public const long MappedLow = 1L << 32, MappedHigh = 1L << 33;

    /// <summary>Whether access_ok passes <paramref name="buffer"/>'s range: true or false where every base the buffer
    /// may have agrees, null where it depends on the address a target chose.</summary>
    public static bool? AccessOk(UserBuffer buffer)
    {
        if (buffer.NullBase) return buffer.Length <= Top;
        if (buffer.Length <= Top - MappedHigh) return true;
        if (buffer.Length > Top - MappedLow) return false;
        return null;
    }
}
