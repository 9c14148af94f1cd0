using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Reference.Socket;

/// <summary>
/// The option numbers a current Linux kernel knows on an AF_INET datagram socket: setsockopt or getsockopt with them
/// answers anything but ENOPROTOOPT. Measured, not read from source: every number 0-127 of SOL_SOCKET, SOL_IP and
/// SOL_UDP (and SOL_IP 199-213) set to an int 0 and read into 64 bytes on kernel 6.18.44 (the probe is
/// Conformance/Tests/Targets/Kernel/OptionCoverageTests, which fails on a kernel that knows one more). Some answers
/// depend on the build and on loaded modules: SOL_IP 64-67 and 96-99 are netfilter's (ip_tables, arp_tables), SOL_IP
/// 200-212 multicast routing (<see cref="Profile.MulticastRoutingOptionsByBuild"/>), SO_DEVMEM_* and the like on
/// configuration. An option here that the model does not follow is answered "unmodeled", never ENOPROTOOPT: a stack
/// that accepts it like Linux must not be reported as failing.
/// <para>The same probe (a static program booted under qemu, and run on this host in a fresh network namespace)
/// on Debian's 6.1.192 and 6.12.107 cloud kernels: both lack the netfilter numbers (no module loaded), SOL_IP 83 and
/// SOL_SOCKET 82, 83; 6.1 also lacks SOL_SOCKET 76, 77, 80 and the getsockopt of SOL_IP 5. Every number they know,
/// 6.18.44 knows: the table is the newest kernel's, and an older one answering ENOPROTOOPT where the model says
/// "unmodeled" is never reported as a failure of the kernel.</para>
/// </summary>
internal static class LinuxOptions
{
    private static ReadOnlySpan<int> SetNames(int level) => level switch
    {
        SolSocket => [1, 2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 21, 25, 26, 27, 29, 32, 33, 34, 35, 36, 37, 40, 41, 42,
            43, 44, 45, 46, 47, 49, 50, 51, 52, 53, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 72, 73, 74, 75, 76, 80, 82, 83],
        SolIp => [1, 2, 4, 5, 6, 7, 8, 10, 11, 12, 13, 15, 16, 17, 18, 19, 20, 21, 23, 24, 25, 26, 32, 33, 34, 35, 36, 37, 38, 39, 40,
            41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 64, 65, 96, 97],
        SolUdp => [1, 100, 101, 102, 103, 104],
        _ => [],
    };

    private static ReadOnlySpan<int> GetNames(int level) => level switch
    {
        SolSocket => [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 25, 26, 28, 29, 30, 34, 35, 36, 37, 38,
            39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 55, 56, 57, 59, 60, 61, 62, 63, 64, 65, 66, 67, 69, 71, 72, 73, 74, 75, 76, 77,
            82, 83],
        SolIp => [1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 18, 19, 20, 21, 22, 23, 24, 25, 26, 32, 33, 34, 41, 48, 49, 50, 51,
            52, 64, 65, 66, 67, 83, 96, 97, 98, 99],
        SolUdp => [1, 10, 11, 100, 101, 102, 103, 104],
        _ => [],
    };

    /// <summary>The options an older kernel line does not know yet: the first line (major × 100 + minor) measured to
    /// know each, by the probe above and the runs of --target vm:6.1 and vm:6.12. SO_PASSPIDFD and SO_PEERPIDFD: 6.5
    /// ("af_unix: Add SO_PASSPIDFD and SO_PEERPIDFD", Alexander Mikhalitsyn); SO_DEVMEM_DONTNEED (80): 6.12 ("netdev:
    /// support binding dma-buf to netdevice" series, Mina Almasry); SO_RCVPRIORITY (82): 6.14; SO_PASSRIGHTS (83):
    /// 6.16; SOL_IP 83 (IP_?): after 6.12; getsockopt of IP_ROUTER_ALERT (SOL_IP 5): measured on 6.12, not on 6.1.</summary>
    private static int SetSince(int level, int name) => (level, name) switch
    {
        (SolSocket, 76) => 605, (SolSocket, 80) => 612, (SolSocket, 82) => 614, (SolSocket, 83) => 616, (SolIp, 83) => 613,
        _ => 0,
    };

    private static int GetSince(int level, int name) => (level, name) switch
    {
        (SolSocket, 76) => 605, (SolSocket, 77) => 605, (SolSocket, 82) => 614, (SolSocket, 83) => 616, (SolIp, 83) => 613,
        (SolIp, 5) => 612,
        _ => 0,
    };

    /// <summary>The kernel line of <paramref name="profile"/>'s setsockopt knows (<paramref name="level"/>, <paramref name="name"/>).</summary>
    public static bool KnowsSet(Profile profile, int level, int name) =>
        SetNames(level).Contains(name) && SetSince(level, name) <= profile.OptionsRelease;

    /// <summary>The kernel line of <paramref name="profile"/>'s getsockopt knows (<paramref name="level"/>, <paramref name="name"/>).</summary>
    public static bool KnowsGet(Profile profile, int level, int name) =>
        GetNames(level).Contains(name) && GetSince(level, name) <= profile.OptionsRelease;

    /// <summary>The kernel line of <paramref name="profile"/>'s getsockopt is old enough to know the option, whichever
    /// class answers it (every line knows one not listed in <see cref="GetSince"/>).</summary>
    public static bool LineKnowsGet(Profile profile, int level, int name) =>
        GetSince(level, name) <= profile.OptionsRelease;

    /// <summary>Why the model does not answer for an option a kernel knows.</summary>
    public static string Why(string call, int level, int name) =>
        $"{call} of {LevelName(level)} option {name}: current Linux kernels know it and the model does not follow it";

    /// <summary>The name of one of the three levels the tables hold.</summary>
    private static string LevelName(int level) => level switch
    {
        SolSocket => "SOL_SOCKET",
        SolIp => "SOL_IP",
        _ => "SOL_UDP",
    };
}
