using FsCheck.Xunit;

// Under ./udpconf mutate, children of the test process must not take part in Stryker's per-test coverage (see
// MutationRun.IsolateChildren).
[assembly: Udpconf.TestSupport.IsolateMutationCoverage]

namespace Udpconf.Properties;

/// <summary>A property left out of mutation runs: thousands of generated inputs whose verdict does not depend on the
/// model's answers (it parses, it does not throw), which under Stryker's coverage recording run past its time-out.</summary>
// xUnit3003 asks for a constructor taking the source position, which FsCheck's PropertyAttribute does not have.
#pragma warning disable xUnit3003
public sealed class PropertyNotInMutationRunAttribute : PropertyAttribute
{
    public PropertyNotInMutationRunAttribute()
    {
        if (MutationRun.Active) Skip = "a mutation run leaves out properties that only check that nothing throws";
    }
}
#pragma warning restore xUnit3003
