using Udpconf.Suite.Pcap;
using Xunit;

namespace Udpconf.Tests.Cli;

/// <summary>udpconf predict: one case on the model, written as a pcap Wireshark reads and a readable text.</summary>
public class PredictCommandTests
{
    [Theory]
    [InlineData("udp_sendmsg/ok", "ok", 1)]
    [InlineData("ip_append_data/frag", "frag", 3)]
    public void Predict_writes_a_pcap_with_every_packet_on_the_links(string id, string name, int packets)
    {
        using var cases = new TempCases().With("udp_sendmsg/ok", TempCases.Passing).With("ip_append_data/frag", TempCases.Fragmented);
        var outDir = cases.PathOf("predicted");
        var run = CliHarness.Run(cases.Root, "predict", id, "--cases", cases.Folder, "--out", outDir);
        Assert.True(run.ExitCode == 0, run.ToString());

        var pcap = Path.Combine(outDir, $"{name}.linux.pcap");
        var text = Path.Combine(outDir, $"{name}.linux.txt");
        // Paths below the working folder are shown relative to it.
        Assert.Equal([$"predicted{Path.DirectorySeparatorChar}{name}.linux.pcap", $"predicted{Path.DirectorySeparatorChar}{name}.linux.txt"],
            run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Trim()));
        Assert.True(PcapFile.TryRead(File.ReadAllBytes(pcap), out var read, out var linkType, out var problem), problem);
        Assert.Equal(PcapFile.LinkTypeRaw, linkType);
        Assert.Equal(packets, read.Count);
        Assert.Contains($"packet {packets} (pcap record {packets})", File.ReadAllText(text));
    }

    [Fact]
    public void The_text_gives_each_step_its_result_and_deciding_clause()
    {
        using var cases = new TempCases().With("udp_sendmsg/ok", TempCases.Passing);
        var run = CliHarness.Run(cases.Root, "predict", "ok", "--profile", "spec", "--cases", cases.Folder, "--out", cases.Root);
        Assert.True(run.ExitCode == 0, run.ToString());
        var text = File.ReadAllText(Path.Combine(cases.Root, "ok.spec.txt"));
        Assert.Contains("step 2 (line 5): sendto s 10 to 198.51.100.7:0", text);
        Assert.Contains("=> EINVAL [udp_sendmsg.dport_zero]", text);
        Assert.Contains("udp  ", text);
    }

    [Fact]
    public void The_seed_chooses_the_ephemeral_port_and_identification()
    {
        using var cases = new TempCases().With("ok", TempCases.Passing);
        byte[] Predict(string seed, string folder)
        {
            var run = CliHarness.Run(cases.Root, "predict", "ok", "--cases", cases.Folder, "--out", cases.PathOf(folder), "--seed", seed);
            Assert.True(run.ExitCode == 0, run.ToString());
            return File.ReadAllBytes(Path.Combine(cases.PathOf(folder), "ok.linux.pcap"));
        }
        Assert.Equal(Predict("1", "a"), Predict("1", "b"));
        Assert.NotEqual(Predict("1", "a"), Predict("2", "c"));
    }

    [Fact]
    public void A_case_file_path_is_accepted()
    {
        using var cases = new TempCases().With("udp_sendmsg/ok", TempCases.Passing);
        var run = CliHarness.Run(cases.Folder, "predict", "udp_sendmsg/ok.case", "--out", cases.Root);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(File.Exists(Path.Combine(cases.Root, "ok.linux.pcap")));
    }

    [Fact]
    public void A_malformed_case_exits_1_with_its_diagnostics()
    {
        using var cases = new TempCases().With("broken", TempCases.Malformed);
        var run = CliHarness.Run(cases.Root, "predict", "broken", "--cases", cases.Folder, "--out", cases.Root);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("broken.case:4:26: expected a port", run.Error);
    }
}
