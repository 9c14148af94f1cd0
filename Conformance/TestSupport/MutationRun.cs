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

    /// <summary>The mutant on now: the 4-byte id (little-endian, -1 for none) at the start of the file the runner names
    /// in <c>STRYKER_MUTANT_FILE</c>, which it rewrites before each mutant's tests; -1 outside a mutation run.</summary>
    public static int ActiveMutant => ReadMutant(Environment.GetEnvironmentVariable("STRYKER_MUTANT_FILE"));

    /// <summary>The mutant id a runner's mutant file holds; -1 for no path, a missing or short file.</summary>
    public static int ReadMutant(string? path)
    {
        if (path is not { Length: > 0 }) return -1;
        Span<byte> id = stackalloc byte[4];
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return file.ReadAtLeast(id, 4, throwOnEndOfStream: false) == 4 ? BitConverter.ToInt32(id) : -1;
        }
        catch (IOException)
        {
            return -1;
        }
    }

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

/// <summary>
/// A value made through the model and kept for the tests that share it (the parsed case library), made again whenever
/// the active mutant has changed since. A plain static cache would keep what the model computed under whichever mutant
/// was on when it was first filled (a test host restarted after a timeout fills it under the mutant of that moment),
/// and every later mutant of that host would be judged against it: a kill that is not the mutant's.
/// </summary>
public sealed class PerMutant<T>(Func<T> make, Func<int>? activeMutant = null) where T : class
{
    private readonly Lock gate = new();
    private (int Mutant, T Value)? held;

    public T Value
    {
        get
        {
            var mutant = (activeMutant ?? (() => MutationRun.ActiveMutant))();
            lock (gate)
            {
                if (held is not { } h || h.Mutant != mutant) held = (mutant, make());
                return held.Value.Value;
            }
        }
    }
}
