using Xunit;

namespace Udpconf.MutantShell;

/// <summary>Stryker needs a test project that references the model and has a test; this one runs no model code, so
/// every mutant comes out "not covered" and Stryker does not test it (see MutantShell.csproj).</summary>
public sealed class ShellTests
{
    [Fact]
    public void The_shell_references_the_model_Stryker_mutates() =>
        Assert.Equal("Udpconf.Reference", typeof(Udpconf.Reference.Model).Assembly.GetName().Name);
}
