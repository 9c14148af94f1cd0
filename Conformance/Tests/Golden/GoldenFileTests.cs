using System.Text;
using Udpconf.Reference;
using Udpconf.Suite;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Golden;
using Xunit;

namespace Udpconf.Tests.Golden;

/// <summary>The golden files and the tshark check read and write the same Fixtures/ files: one collection keeps
/// them from running at the same time (an accepting run rewrites what tshark is reading).</summary>
[CollectionDefinition(Name)]
public sealed class GoldenCollection
{
    public const string Name = "golden files";
}

/// <summary>
/// Every case × profile regenerates its pcap and dissection and compares them byte for byte with
/// Fixtures/&lt;case&gt;.&lt;profile&gt;.verified.*; <c>UDPCONF_ACCEPT=1</c> accepts the regenerated files instead.
/// </summary>
[Collection(GoldenCollection.Name)]
public class GoldenFileTests
{
    private static readonly string Root = SpecMap.FindRoot(AppContext.BaseDirectory)!;

    // Parsed once per test run (once per mutant in a mutation run): every row needs the whole library, and parsing it per row is the slow part.
    private static readonly PerMutant<IReadOnlyList<CaseFile>> Library = new(() => CaseLibrary.Load(CaseLibrary.DefaultFolder(Root)));

    private static IReadOnlyList<CaseFile> Cases() => Library.Value;

    public static TheoryData<string, string> Targets()
    {
        var data = new TheoryData<string, string>();
        foreach (var (@case, profile) in GoldenFiles.Targets(Cases())) data.Add(@case.Id, profile.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void The_golden_files_match(string caseId, string profile)
    {
        var file = Cases().Single(c => c.Id == caseId);
        Assert.NotNull(file.Case);
        var result = GoldenFiles.Check(Root, file.Case, Profile.Find(profile)!, GoldenFiles.AcceptRequested);
        if (result.Status is GoldenStatus.Match or GoldenStatus.Accepted) return;
        var received = Path.ChangeExtension(result.VerifiedPcap, null).Replace(".verified", ".received");
        Assert.Fail($"{result.Status}: {caseId} under {profile} does not match its golden files.{Environment.NewLine}" +
                    $"Received files: {received}.pcap and {received}.txt; accept with {GoldenFiles.AcceptVariable}=1 dotnet test " +
                    $"(or ./udpconf golden --accept) once the change is meant.{Environment.NewLine}{result.Diff}");
    }

    [Fact]
    public void No_verified_file_is_left_without_its_case()
    {
        var orphans = GoldenFiles.Orphans(Root, Cases());
        Assert.True(orphans.Count == 0,
            $"verified files that no case and profile produces (delete them, or restore their case):{Environment.NewLine}" +
            string.Join(Environment.NewLine, orphans));
    }

    [Fact]
    public void Generation_is_deterministic()
    {
        foreach (var (@case, profile) in GoldenFiles.Targets(Cases()))
        {
            var first = GoldenFiles.Generate(@case, profile);
            var second = GoldenFiles.Generate(@case, profile);
            Assert.True(first.Pcap.AsSpan().SequenceEqual(second.Pcap), $"{@case.Id} {profile.Name}: the pcaps differ");
            Assert.Equal(first.Text, second.Text);
            Assert.DoesNotContain('\r', first.Text);
        }
    }

    [Fact]
    public void The_seed_is_fnv1a_of_the_case_id_and_so_the_same_in_every_process()
    {
        // Published FNV-1a 32-bit test vectors: the offset basis for "", and "a".
        Assert.Equal(unchecked((int)0x811c9dc5u), GoldenFiles.Seed(""));
        Assert.Equal(unchecked((int)0xe40c292cu), GoldenFiles.Seed("a"));
        Assert.Equal(unchecked((int)0xbf9cf968u), GoldenFiles.Seed("foobar"));
    }

    private const string SampleCase = """
        # A sample for the golden-file machinery.
        clauses: udp_sendmsg.dport_zero
        profiles: spec

        steps:
          socket s
          sendto s 10 to 198.51.100.7:9
            => 10
        """;

    private static CaseFile Sample(string root)
    {
        var folder = CaseLibrary.DefaultFolder(root);
        var path = Path.Combine(folder, "golden", "sample.case");
        var parsed = CaseParser.Parse(path, "golden/sample", SampleCase);
        Assert.True(parsed.Case is not null, string.Join(Environment.NewLine, parsed.Diagnostics));
        return new CaseFile("golden/sample", path, parsed.Case, parsed.Diagnostics);
    }

    [Fact]
    public void A_missing_or_changed_file_writes_received_files_and_a_diff_and_accepting_clears_them()
    {
        var root = TempFolders.Create("udpconf-golden-").FullName;
        try
        {
            var cases = new[] { Sample(root) };
            var basePath = Path.Combine(root, "Fixtures", "golden", "sample.spec");
            string verifiedPcap = basePath + ".verified.pcap", verifiedText = basePath + ".verified.txt";
            string receivedPcap = basePath + ".received.pcap", receivedText = basePath + ".received.txt";

            var missing = Assert.Single(GoldenFiles.Run(root, cases, accept: false));
            Assert.Equal(GoldenStatus.Missing, missing.Status);
            Assert.Equal(verifiedPcap, missing.VerifiedPcap);
            Assert.Equal(verifiedText, missing.VerifiedText);
            Assert.True(File.Exists(receivedPcap) && File.Exists(receivedText));
            Assert.False(File.Exists(verifiedPcap));
            Assert.Contains("+case golden/sample", missing.Diff);

            var accepted = Assert.Single(GoldenFiles.Run(root, cases, accept: true));
            Assert.Equal(GoldenStatus.Accepted, accepted.Status);
            Assert.Null(accepted.Diff);
            Assert.False(File.Exists(receivedPcap) || File.Exists(receivedText));
            Assert.Equal(GoldenStatus.Match, Assert.Single(GoldenFiles.Run(root, cases, accept: false)).Status);

            // A changed line of the dissection: the diff shows the verified line going and the regenerated one coming.
            var original = File.ReadAllText(verifiedText);
            File.WriteAllText(verifiedText, original.Replace("profile spec", "profile tampered"), new UTF8Encoding(false));
            var changed = Assert.Single(GoldenFiles.Run(root, cases, accept: false));
            Assert.Equal(GoldenStatus.Mismatch, changed.Status);
            Assert.Contains("-profile tampered", changed.Diff);
            Assert.Contains("+profile spec", changed.Diff);
            Assert.Contains("--- Fixtures/golden/sample.spec.verified.txt", changed.Diff);
            Assert.Contains("+++ Fixtures/golden/sample.spec.received.txt", changed.Diff);
            Assert.Equal(original, File.ReadAllText(receivedText));
            Assert.Contains("profile tampered", File.ReadAllText(verifiedText));

            // A changed byte of the pcap alone: the texts agree, so the diff names the first differing byte.
            Assert.Equal(GoldenStatus.Accepted, Assert.Single(GoldenFiles.Run(root, cases, accept: true)).Status);
            var pcap = File.ReadAllBytes(verifiedPcap);
            pcap[^1] ^= 0xFF;
            File.WriteAllBytes(verifiedPcap, pcap);
            var pcapOnly = Assert.Single(GoldenFiles.Run(root, cases, accept: false));
            Assert.Equal(GoldenStatus.Mismatch, pcapOnly.Status);
            Assert.Contains($"differs from the received pcap from byte {pcap.Length - 1}", pcapOnly.Diff);
            Assert.True(File.Exists(receivedPcap));

            // A match removes received files left by an earlier run.
            File.WriteAllBytes(verifiedPcap, File.ReadAllBytes(receivedPcap));
            Assert.Equal(GoldenStatus.Match, Assert.Single(GoldenFiles.Run(root, cases, accept: false)).Status);
            Assert.False(File.Exists(receivedPcap) || File.Exists(receivedText));

            // Without its case the files are orphans, reported and left in place.
            Assert.Empty(GoldenFiles.Orphans(root, cases));
            Assert.Equal(["Fixtures/golden/sample.spec.verified.pcap", "Fixtures/golden/sample.spec.verified.txt"], GoldenFiles.Orphans(root, []));
            Assert.True(File.Exists(verifiedPcap));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
