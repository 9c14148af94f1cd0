using System.Reflection;
using System.Runtime.CompilerServices;
using Xunit.v3;

namespace Udpconf.TestSupport;

/// <summary>
/// What the tests do differently when Stryker.NET runs them against a mutant of the model (<c>./udpconf mutate</c>).
/// Stryker's test host has <c>STRYKER_MUTANT_FILE</c> in its environment: the file the injected MutantControl maps to
/// learn which mutant is active.
/// </summary>
public static class MutationRun
{
    /// <summary>The variables through which Stryker collects per-test coverage: a coverage file and an "epoch relay"
    /// (a memory-mapped file per process and mutated assembly, named with a new GUID, which the runner bumps after each
    /// test and waits to be acknowledged).</summary>
    public static readonly string[] CoverageVariables = ["STRYKER_COVERAGE_FILE", "STRYKER_COVERAGE_EPOCH_FILE"];

    public static bool Active => Environment.GetEnvironmentVariable("STRYKER_MUTANT_FILE") is { Length: > 0 };

    private static int isolated;

    /// <summary>
    /// The cause of the "Timed out waiting for coverage relay ack … marking as Dubious" warnings: a child process that
    /// loads the mutated model (udpconf serve-model, the udpconf command line) inherits the coverage variables, so its
    /// MutantControl creates a relay file of its own; once the child has exited nobody acknowledges it, and Stryker waits
    /// 10 s on it after every later test. So the first test of a run initializes this process's MutantControl (what the
    /// first mutated call would do moments later, in the same test) and then removes the coverage variables from the
    /// environment children inherit. Children keep <c>STRYKER_MUTANT_FILE</c>: the mutant is active in them too.
    /// </summary>
    public static void IsolateChildren()
    {
        if (!CoverageVariables.Any(v => Environment.GetEnvironmentVariable(v) is { Length: > 0 })) return;
        if (Interlocked.Exchange(ref isolated, 1) == 1) return;
        // Stryker injects MutantControl into each mutated assembly, in a namespace of a random name.
        foreach (var type in typeof(Reference.Model).Assembly.GetTypes().Where(t => t.Name == "MutantControl"))
            RuntimeHelpers.RunClassConstructor(type.TypeHandle);
        foreach (var variable in CoverageVariables) Environment.SetEnvironmentVariable(variable, null);
    }
}

/// <summary>Applied to a test assembly: <see cref="MutationRun.IsolateChildren"/> before its first test.</summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class IsolateMutationCoverageAttribute : BeforeAfterTestAttribute
{
    public override void Before(MethodInfo methodUnderTest, IXunitTest test) => MutationRun.IsolateChildren();
}
