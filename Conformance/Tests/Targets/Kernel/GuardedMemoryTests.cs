using System.Runtime.InteropServices;
using Udpconf.Reference.Api;
using Udpconf.Suite.Targets.Kernel;
using Xunit;

namespace Udpconf.Tests.Targets.Kernel;

/// <summary>The kernel target's user memory keeps the model's contract (UserMemory): every buffer lies in the region
/// the model assumes, its readable bytes end at a guard page, and places freed are used again.</summary>
public class GuardedMemoryTests
{
    [Fact]
    public void Buffers_lie_in_the_models_region_and_end_at_their_guard_page()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "mmap with MAP_FIXED_NOREPLACE is Linux's");
        using var memory = new GuardedMemory();
        var bytes = new byte[] { 1, 2, 3 };
        var start = memory.Place(bytes);
        Assert.InRange((long)start, UserMemory.MappedLow, UserMemory.MappedHigh - 1);
        Assert.Equal(bytes, Read(start, 3));
        Assert.Equal(0, (start + 3) % Environment.SystemPageSize);
        var big = memory.Place(new byte[3 * Environment.SystemPageSize + 1]);
        Assert.InRange((long)big, UserMemory.MappedLow, UserMemory.MappedHigh - 1);
        Assert.NotEqual(start, big);
    }

    [Fact]
    public void The_walk_goes_round_at_the_regions_end()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "mmap with MAP_FIXED_NOREPLACE is Linux's");
        // Near the region's end, a mapping that would pass it starts again from the region's low end.
        var page = Environment.SystemPageSize;
        GuardedMemory.Cursor = UserMemory.MappedHigh - page;
        using var memory = new GuardedMemory();
        var at = memory.Place(new byte[page + 1]);
        // Three pages (two of data, the guard) do not fit in the region's last page: the walk went round.
        Assert.InRange((long)at, UserMemory.MappedLow, UserMemory.MappedHigh - page - 1);
    }

    [Fact]
    public void A_pooled_mapping_is_used_again_with_its_guard_page_still_guarding()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "mmap with MAP_FIXED_NOREPLACE is Linux's");
        using var pool = new GuardedMemory.Pool();
        nint first;
        using (var memory = new GuardedMemory(pool)) first = memory.Place(new byte[] { 1, 2, 3 });
        using var again = new GuardedMemory(pool);
        var five = again.Place(new byte[] { 5, 6, 7, 8, 9 });
        // The same page, its readable bytes moved to end at the same guard page.
        Assert.Equal(first + 3, five + 5);
        Assert.Equal(new byte[] { 5, 6, 7, 8, 9 }, Read(five, 5));
        // A second buffer of the call is mapped anew: the pool had one.
        Assert.NotEqual(five, again.Place(new byte[] { 1 }) - 4);
        // The kernel still faults on the byte after the readable ones: a 6-byte datagram from 5 readable bytes is EFAULT.
        var fd = Native.socket(AddressFamily.Inet, SocketType.Dgram | SocketType.CloexecFlag, 0);
        try
        {
            var loopback = SockAddr.In(Udpconf.Reference.Host.Ipv4Address.Parse("127.0.0.1"), 9);
            var a = again.Place(loopback);
            Assert.Equal(-1, (long)Native.sendto(fd, five, 6, 0, a, loopback.Length));
            Assert.Equal((int)Udpconf.Reference.Errno.EFAULT, Native.Errno);
            Assert.Equal(5, (long)Native.sendto(fd, five, 5, 0, a, loopback.Length));
        }
        finally { Native.close(fd); }
    }

    [Fact]
    public void A_pinned_calls_mapping_is_not_used_again_before_the_pool_releases_it()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "mmap with MAP_FIXED_NOREPLACE is Linux's");
        using var pool = new GuardedMemory.Pool();
        nint pinned;
        using (var memory = new GuardedMemory(pool, pinned: true)) pinned = memory.Place(new byte[] { 1, 2, 3 });
        nint next;
        // A later call gets another mapping: the kernel may still read the pinned one's bytes.
        using (var memory = new GuardedMemory(pool)) next = memory.Place(new byte[] { 4, 5, 6 });
        Assert.NotEqual(pinned, next);
        Assert.Equal(new byte[] { 1, 2, 3 }, Read(pinned, 3));
        pool.Release();
        // Released, the pinned call's mapping is taken again (the pool's stack gives the last one kept first).
        using var again = new GuardedMemory(pool);
        Assert.Equal(pinned, again.Place(new byte[] { 7, 8, 9 }));
        Assert.Equal(new byte[] { 7, 8, 9 }, Read(pinned, 3));
    }

    [Fact]
    public void Bytes_read_exactly_are_packed_side_by_side_and_a_large_one_keeps_its_guard_page()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "mmap with MAP_FIXED_NOREPLACE is Linux's");
        var page = Environment.SystemPageSize;
        using var memory = new GuardedMemory();
        var first = memory.PlaceExact(new byte[] { 1, 2, 3 });
        var second = memory.PlaceExact(new byte[] { 4, 5 });
        var zeroes = memory.WritableExact(16);
        // Next to each other, 8-byte aligned, in one mapping.
        Assert.Equal(first + 8, second);
        Assert.Equal(second + 8, zeroes);
        Assert.Equal(new byte[] { 1, 2, 3, 0, 0, 0, 0, 0, 4, 5 }, Read(first, 10));
        Assert.Equal(new byte[16], Read(zeroes, 16));
        // Half the packed pages or more: a mapping of its own, its last byte right before a guard page.
        var large = memory.PlaceExact(new byte[8 * page + 1]);
        var fd = Native.socket(AddressFamily.Inet, SocketType.Dgram | SocketType.CloexecFlag, 0);
        try
        {
            var loopback = SockAddr.In(Udpconf.Reference.Host.Ipv4Address.Parse("127.0.0.1"), 9);
            var a = memory.Place(loopback);
            Assert.Equal(-1, (long)Native.sendto(fd, large, (nuint)(8 * page + 2), 0, a, loopback.Length));
            Assert.Equal((int)Udpconf.Reference.Errno.EFAULT, Native.Errno);
        }
        finally { Native.close(fd); }
        // Filling the packed pages (16) starts another set: two pieces of nearly half fit after the 32 bytes above,
        // a third does not.
        var size = 8 * page - 64;
        var one = memory.PlaceExact(new byte[size]);
        var two = memory.PlaceExact(new byte[size]);
        var three = memory.PlaceExact(new byte[size]);
        Assert.Equal(one + size, two);
        Assert.NotEqual(two + size, three);
    }

    private static byte[] Read(nint at, int length)
    {
        var copy = new byte[length];
        Marshal.Copy(at, copy, 0, length);
        return copy;
    }
}

/// <summary>The kernel target's counters come from /proc/net/snmp's text, parsed in place: by the names of the
/// columns, not their places, and a counter that is not there is an error.</summary>
public class SnmpCountersTests
{
    private const string Text = "Ip: Forwarding DefaultTTL OutRequests OutDiscards OutNoRoutes\nIp: 2 64 17 3 4\n" +
                                "Icmp: InMsgs OutDiscards\nIcmp: 90 91\n" +
                                "Udp: InDatagrams SndbufErrors NoPorts OutDatagrams\nUdp: 1 6 2 12345678901\n" +
                                "UdpLite: InDatagrams OutDatagrams SndbufErrors\nUdpLite: 7 8 9\n";

    [Fact]
    public void The_four_counters_are_read_by_column_name_from_their_own_group()
    {
        var counters = SnmpCounters.Parse(System.Text.Encoding.ASCII.GetBytes(Text.Replace("12345678901", "5")));
        Assert.Equal(new Udpconf.Reference.CounterDelta(5, 3, 6, 4), counters);
    }

    [Theory]
    [InlineData("Udp: InDatagrams SndbufErrors NoPorts OutDatagrams\nUdp: 1 6 2 5\n")]
    [InlineData("Ip: Forwarding OutDiscards OutNoRoutes\nIp: 2 3\nUdp: OutDatagrams SndbufErrors\nUdp: 5 6\n")]
    [InlineData("Ip: OutDiscards OutNoRoutes\nIp: 3 x\nUdp: OutDatagrams SndbufErrors\nUdp: 5 6\n")]
    [InlineData("")]
    public void A_missing_or_unreadable_counter_is_an_error(string text) =>
        Assert.Throws<InvalidOperationException>(() => SnmpCounters.Parse(System.Text.Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void The_live_namespace_reads_as_the_file_says()
    {
        Udpconf.TestSupport.Capability.RequireLive(KernelTarget.CanRun(out var why), why);
        // In a sandbox's own namespace nothing sends between the two reads; its configuration sent a marker.
        var (kept, file) = Sandbox.Run(Udpconf.Reference.Host.HostConfig.Default,
            sandbox => (sandbox.Counters(), SnmpCounters.Parse(File.ReadAllBytes("/proc/thread-self/net/snmp"))));
        Assert.Equal(file, kept);
        Assert.True(kept.OutDatagrams >= 1, kept.ToString());
    }
}
