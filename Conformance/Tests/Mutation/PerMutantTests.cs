using Xunit;

namespace Udpconf.Tests.Mutation;

/// <summary>The test caches of values made through the model are remade when Stryker switches mutants
/// (<see cref="PerMutant{T}"/>), and the active mutant is read as the runner writes it.</summary>
public sealed class PerMutantTests
{
    [Fact]
    public void The_mutant_id_is_the_files_first_four_bytes_little_endian()
    {
        var path = Path.Combine(TempFolders.Create("udpconf-mutant-").FullName, "mutant");
        try
        {
            File.WriteAllBytes(path, [0x2A, 0x01, 0, 0, 0xFF]);
            Assert.Equal(298, MutationRun.ReadMutant(path));
            File.WriteAllBytes(path, BitConverter.GetBytes(-1));
            Assert.Equal(-1, MutationRun.ReadMutant(path));
            File.WriteAllBytes(path, [7, 0, 0]);
            Assert.Equal(-1, MutationRun.ReadMutant(path));
            Assert.Equal(-1, MutationRun.ReadMutant(path + ".missing"));
            Assert.Equal(-1, MutationRun.ReadMutant(null));
            Assert.Equal(-1, MutationRun.ReadMutant(""));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public void A_value_is_made_once_per_mutant_and_again_when_the_mutant_changes()
    {
        var mutant = -1;
        var made = 0;
        var cache = new PerMutant<string>(() => $"made {++made} under {mutant}", () => mutant);

        Assert.Equal("made 1 under -1", cache.Value);
        Assert.Equal("made 1 under -1", cache.Value);
        mutant = 17;
        Assert.Equal("made 2 under 17", cache.Value);
        Assert.Equal("made 2 under 17", cache.Value);
        mutant = -1;
        Assert.Equal("made 3 under -1", cache.Value);
        Assert.Equal(3, made);
    }
}
