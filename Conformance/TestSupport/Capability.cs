using Xunit;

namespace Udpconf.TestSupport;

/// <summary>
/// Tests that need something the machine may lack (root, /dev/net/tun, tshark, the lwIP adapter) call
/// <see cref="Require"/>: on a developer's machine they are skipped with the reason; under CI=true nothing is
/// skipped, so a missing capability is a failure.
/// </summary>
public static class Capability
{
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static void Require(bool available, string reason)
    {
        if (available) return;
        if (InCi) Assert.Fail($"CI=true and this test cannot run: {reason}");
        Assert.Skip(reason);
    }
}
