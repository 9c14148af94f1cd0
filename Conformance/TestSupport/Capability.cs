using Xunit;

namespace Udpconf.TestSupport;

/// <summary>
/// Tests that need something the machine may lack (root, /dev/net/tun, tshark, the lwIP adapter) call
/// <see cref="Require"/>: on a developer's machine they are skipped with the reason; under CI=true nothing is
/// skipped, so a missing capability is a failure. Tests of live systems call <see cref="RequireLive"/>.
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

    /// <summary>For a test of a live system (the kernel, a VM, tshark, a stack adapter): as <see cref="Require"/>, and
    /// left out of mutation runs, where only the model is mutated and such a test would spend seconds to judge the
    /// mutant by another implementation.</summary>
    /// <summary>For a test that takes seconds and judges something other than the model's answers (the process
    /// protocol, a generated file, the command line): left out of mutation runs, where it would run for nearly every
    /// mutant and kill none that the model's own tests do not.</summary>
    public static void NotInMutationRun(string what)
    {
        if (MutationRun.Active) Assert.Skip($"a mutation run leaves out {what}");
    }

    public static void RequireLive(bool available, string reason)
    {
        if (MutationRun.Active) Assert.Skip($"a mutation run leaves out the tests of live systems ({reason})");
        Require(available, reason);
    }
}
