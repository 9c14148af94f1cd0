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

    private static byte[] Read(nint at, int length)
    {
        var copy = new byte[length];
        Marshal.Copy(at, copy, 0, length);
        return copy;
    }
}
