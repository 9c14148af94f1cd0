using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Ip;
using Udpconf.Reference.Wire;
using Udpconf.Suite;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Golden;
using Udpconf.Suite.Pcap;
using Xunit;

namespace Udpconf.Tests.Golden;

/// <summary>
/// An independent reading of every golden pcap: Wireshark's dissectors (tshark) must find every IP header checksum
/// good, every UDP checksum good except where the case means otherwise, every fragment set reassembled into the
/// UDP datagram it carries, and the same header fields as our own decoding.
/// </summary>
[Collection(GoldenCollection.Name)]
public class TsharkTests
{
    private static readonly string Root = SpecMap.FindRoot(AppContext.BaseDirectory)!;
    // Each tshark start costs most of a second, and xUnit runs a theory's rows one after the other. So the first row
    // starts tshark on every file, a few at a time, and each row waits for its own reading. A reading depends on the
    // bytes alone: files with the same bytes (every case that puts nothing on the wire writes the same empty pcap)
    // are read once.
    private static readonly ConcurrentDictionary<string, Lazy<Task<List<Dictionary<string, string>>>>> Readings = new();
    private static readonly SemaphoreSlim Slots = new(Math.Max(2, Environment.ProcessorCount));
    private static int prefetched;
    private static readonly PerMutant<IReadOnlyList<CaseFile>> Library = new(() => CaseLibrary.Load(CaseLibrary.DefaultFolder(Root)));
    private const string NoFiles = "(no verified pcap)";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    // Wireshark's proto_checksum_enum_e values, printed as numbers by -T fields.
    private const string ChecksumBad = "0", ChecksumGood = "1", ChecksumUnverified = "2", ChecksumNotPresent = "3";

    private static readonly string[] Fields =
    [
        "frame.number", "ip.src", "ip.dst", "ip.id", "ip.flags.df", "ip.flags.mf", "ip.frag_offset", "ip.ttl", "ip.len",
        "ip.checksum.status", "udp.srcport", "udp.dstport", "udp.length", "udp.checksum.status",
        "ip.reassembled_in", "ip.reassembled.length", "ip.fragment.count", "udp.length.bad", "ip.cur_rt",
    ];

    /// <summary>The verified pcaps, relative to Fixtures/ with '/' separators.</summary>
    private static string[] Names()
    {
        var folder = GoldenFiles.Folder(Root);
        return Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*" + GoldenFiles.VerifiedPcapSuffix, SearchOption.AllDirectories)
                .Select(path => Path.GetRelativePath(folder, path).Replace('\\', '/')).Order(StringComparer.Ordinal).ToArray()
            : [];
    }

    public static TheoryData<string> VerifiedPcaps()
    {
        var names = Names();
        // No file at all gets one row that says so, rather than xUnit's bare "no data found".
        return new TheoryData<string>(names.Length > 0 ? names : [NoFiles]);
    }

    [Theory]
    [MemberData(nameof(VerifiedPcaps))]
    public async Task Tshark_reads_the_golden_pcap_as_we_do(string name)
    {
        Assert.False(name == NoFiles, $"Fixtures/ holds no verified pcap: accept the golden files with {GoldenFiles.AcceptVariable}=1");
        var tshark = FindTshark();
        Capability.RequireLive(tshark is not null, "tshark is not installed (apt-get install tshark)");

        // The name says which case and profile wrote the file; the model run tells what each frame is meant to be.
        var stem = name[..^GoldenFiles.VerifiedPcapSuffix.Length];
        var dot = stem.LastIndexOf('.');
        var (caseId, profileName) = (stem[..dot], stem[(dot + 1)..]);
        var file = Library.Value.SingleOrDefault(c => c.Id == caseId);
        Assert.True(file?.Case is not null, $"{name}: no well-formed case {caseId} (an orphan, or the case does not parse)");
        var profile = Profile.Find(profileName);
        Assert.True(profile is not null, $"{name}: no profile {profileName}");
        // Accepting, this class may run before the golden-file tests have rewritten the file: accept it here too.
        if (GoldenFiles.AcceptRequested) GoldenFiles.Check(Root, file.Case, profile, accept: true);
        var path = Path.Combine(GoldenFiles.Folder(Root), name);
        var bytes = File.ReadAllBytes(path);
        var run = GoldenFiles.Execute(file.Case, profile);
        Assert.True(bytes.AsSpan().SequenceEqual(PcapFile.Write(run.Frames.Select(f => f.Bytes))),
            $"{name} is not what the model writes now: the golden-file test reports the difference; accept it first");

        Assert.True(PcapFile.TryRead(bytes, out var packets, out var linkType, out var problem), problem);
        Assert.Equal(PcapFile.LinkTypeRaw, linkType);
        // Accepting rewrites files as the rows go, so nothing is read ahead then.
        if (!GoldenFiles.AcceptRequested && Interlocked.Exchange(ref prefetched, 1) == 0)
            foreach (var other in Names())
            {
                var otherPath = Path.Combine(GoldenFiles.Folder(Root), other);
                // A file removed meanwhile is its own row's business.
                try { _ = Reading(tshark!, otherPath, File.ReadAllBytes(otherPath)); }
                catch (IOException) { }
            }
        var rows = await Reading(tshark!, path, bytes);
        Assert.True(rows.Count == packets.Count, $"tshark shows {rows.Count} frames, the file holds {packets.Count}");

        var sendsNoCheck = file.Case.Steps.Any(s => s.Operation is SetSockOptOp { Level: SocketOption.SolSocket, OptName: SocketOption.SoNoCheck });
        foreach (var frame in run.Frames)
            CheckFrame(name, frame, run.Frames, packets[frame.Frame - 1], rows[frame.Frame - 1], sendsNoCheck);
    }

    private static void CheckFrame(string name, GoldenFrame frame, IReadOnlyList<GoldenFrame> frames, byte[] packet,
        Dictionary<string, string> row, bool sendsNoCheck)
    {
        var at = $"{name} frame {frame.Frame}";
        void Same(string field, string ours) =>
            Assert.True(row[field] == ours, $"{at}: tshark's {field} is '{row[field]}', our decoding says '{ours}'");

        Assert.True(row["frame.number"] == frame.Frame.ToString(CultureInfo.InvariantCulture), $"{at}: tshark's rows are out of order");
        Assert.True(Ipv4Header.TryParse(packet, out var ip, out var problem), $"{at}: {problem}");
        Same("ip.src", ip.Source.ToString());
        // With a source route option Wireshark shows the header's destination (the next hop) as ip.cur_rt, "Current
        // Route", and the route's last address, the final destination, as ip.dst.
        if (FinalDestination(ip.Options.Span) is { } final)
        {
            Same("ip.cur_rt", ip.Destination.ToString());
            Same("ip.dst", final.ToString());
        }
        else
        {
            Same("ip.dst", ip.Destination.ToString());
        }
        Same("ip.id", $"0x{ip.Identification:x4}");
        Same("ip.flags.df", ip.DontFragment ? "1" : "0");
        Same("ip.flags.mf", ip.MoreFragments ? "1" : "0");
        // tshark 4.0 prints the fragment offset field as on the wire, in 8-byte units.
        Same("ip.frag_offset", (ip.FragmentOffsetBytes / 8).ToString(CultureInfo.InvariantCulture));
        Same("ip.ttl", ip.Ttl.ToString(CultureInfo.InvariantCulture));
        Same("ip.len", ip.TotalLength.ToString(CultureInfo.InvariantCulture));
        Assert.True(row["ip.checksum.status"] == ChecksumGood, $"{at}: tshark finds the IP header checksum {Status(row["ip.checksum.status"])}");

        if (!frame.IsLastFragment)
        {
            // Wireshark dissects UDP only on the frame that completes the datagram; the others point at that frame
            // (a second pass, -2, fills ip.reassembled_in in).
            var last = frame.Frame - frame.Fragment + frame.FragmentCount - 1;
            Assert.True(row["udp.srcport"].Length == 0, $"{at}: tshark decoded UDP in a fragment that does not complete the datagram");
            Assert.True(row["ip.reassembled_in"] == last.ToString(CultureInfo.InvariantCulture),
                $"{at}: tshark says reassembled in '{row["ip.reassembled_in"]}', expected frame {last}");
            return;
        }

        // Our own decoding of the UDP header, from the first fragment (the only one that carries it).
        var first = frames[frame.Frame - 1 - frame.Fragment];
        Assert.True(Ipv4Header.TryParse(first.Bytes, out var firstIp, out problem), $"{at}: {problem}");
        Assert.True(UdpHeader.TryParse(first.Bytes.AsSpan(firstIp.HeaderLength), out var udp, out problem), $"{at}: {problem}");
        if (frame.FragmentCount > 1)
        {
            Same("ip.fragment.count", frame.FragmentCount.ToString(CultureInfo.InvariantCulture));
            Same("ip.reassembled.length", frame.ReassembledLength.ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            Assert.True(row["ip.reassembled.length"].Length == 0, $"{at}: tshark reassembled a datagram that was not fragmented");
        }
        Assert.True(row["udp.srcport"].Length > 0, $"{at}: tshark decoded no UDP header{(frame.FragmentCount > 1 ? " from the reassembled datagram" : "")}");
        Same("udp.srcport", udp.SourcePort.ToString(CultureInfo.InvariantCulture));
        Same("udp.dstport", udp.DestinationPort.ToString(CultureInfo.InvariantCulture));
        Same("udp.length", udp.DatagramLength.ToString(CultureInfo.InvariantCulture));

        var datagram = frame.Datagram;
        var status = row["udp.checksum.status"];
        var lengthBad = row["udp.length.bad"].Length > 0;
        if (datagram.ChecksumMode == UdpChecksumMode.Disabled)
        {
            // SO_NO_CHECK (udp_push.no_check): the field is 0, which RFC 768 reads as "no checksum".
            Assert.True(sendsNoCheck, $"{at}: a UDP checksum of 0 in a case that never sets SO_NO_CHECK");
            Assert.Equal(0, udp.Checksum);
            Assert.True(status == ChecksumNotPresent, $"{at}: SO_NO_CHECK, yet tshark finds the UDP checksum {Status(status)}");
        }
        else if (datagram.UdpLength > datagram.TransportLength)
        {
            // udp_sendmsg.probe_length_counted (spec only): the UDP length counts bytes a MSG_PROBE never queued, so it
            // claims more than the IP payload holds. tshark flags "Bad length value N > IP payload length"
            // (udp.length.bad, a malformed-packet error) and, lacking the bytes the length claims, leaves the checksum
            // unverified: it neither confirms nor refutes the model's checksum over the wrong length.
            Assert.True(lengthBad, $"{at}: UDP length {datagram.UdpLength} > {datagram.TransportLength} bytes, yet tshark does not flag it");
            Assert.True(status == ChecksumUnverified, $"{at}: with the inflated UDP length tshark finds the checksum {Status(status)}, expected unverified");
        }
        else if (datagram.ChecksumMode == UdpChecksumMode.PseudoHeaderOnly)
        {
            // Checksum offload (udp_push.checksum_offload, or a whole UFO datagram): the stack leaves the pseudo-header
            // sum in the field for the device to finish, and a capture taken before the device sees exactly that.
            // tshark sums the whole datagram and so reports the checksum bad; the field must hold the pseudo-header sum.
            Assert.False(lengthBad, $"{at}: tshark flags the UDP length");
            var pseudo = InternetChecksum.PseudoHeaderSum(firstIp.Source, FinalDestination(firstIp.Options.Span) ?? firstIp.Destination, Ipv4Header.ProtocolUdp, udp.DatagramLength);
            Assert.Equal(InternetChecksum.Fold(pseudo), udp.Checksum);
            Assert.True(status == ChecksumBad, $"{at}: a partial (offload) checksum, yet tshark finds it {Status(status)}");
        }
        else if (datagram.PseudoDestination is { } pseudoDestination && pseudoDestination != FinalDestination(firstIp.Options.Span) && FinalDestination(firstIp.Options.Span) is not null)
        {
            // A source route under the linux profile: current kernels sum the pseudo-header with the first hop (the
            // header's destination), not the final destination RFC 768/1122 ask for (measured on the live kernel).
            // tshark checks against the final destination and so reports bad; the sum must hold for the first hop.
            Assert.False(lengthBad, $"{at}: tshark flags the UDP length");
            Assert.Equal(firstIp.Destination, pseudoDestination);
            var sum = InternetChecksum.Sum(first.Bytes.AsSpan(firstIp.HeaderLength),
                InternetChecksum.PseudoHeaderSum(firstIp.Source, firstIp.Destination, Ipv4Header.ProtocolUdp, udp.DatagramLength));
            Assert.Equal(0xFFFF, InternetChecksum.Fold(sum));
            Assert.True(status == ChecksumBad, $"{at}: a first-hop pseudo-header checksum, yet tshark finds it {Status(status)}");
        }
        else
        {
            Assert.False(lengthBad, $"{at}: tshark flags the UDP length");
            Assert.True(status == ChecksumGood, $"{at}: tshark finds the UDP checksum {Status(status)}");
        }
    }

    /// <summary>The last address of a loose or strict source route option (RFC 791 §3.1), read here rather than
    /// taken from the model so that the check stays independent of it.</summary>
    private static Ipv4Address? FinalDestination(ReadOnlySpan<byte> options)
    {
        const byte EndOfList = 0, NoOperation = 1, LooseSourceRoute = 131, StrictSourceRoute = 137;
        for (var i = 0; i < options.Length && options[i] != EndOfList;)
        {
            if (options[i] == NoOperation) { i++; continue; }
            if (i + 1 >= options.Length || options[i + 1] < 2 || i + options[i + 1] > options.Length) return null;
            var length = options[i + 1];
            if (options[i] is LooseSourceRoute or StrictSourceRoute && length >= 7)
                return Ipv4Address.Read(options[(i + length - 4)..]);
            i += length;
        }
        return null;
    }

    private static string Status(string value) => value switch
    {
        ChecksumBad => "bad",
        ChecksumGood => "good",
        ChecksumUnverified => "unverified",
        ChecksumNotPresent => "not present",
        "" => "absent (no status)",
        _ => $"status {value}",
    };

    private static string? FindTshark() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "tshark"))
            .FirstOrDefault(File.Exists);

    private static Task<List<Dictionary<string, string>>> Reading(string tshark, string path, byte[] bytes) =>
        Readings.GetOrAdd(Convert.ToHexString(SHA256.HashData(bytes)), _ => new(() => Task.Run(async () =>
        {
            await Slots.WaitAsync();
            try { return RunTshark(tshark, path); }
            finally { Slots.Release(); }
        }))).Value;

    /// <summary>Runs tshark over one file: one row per frame, field name to value ("" when absent).</summary>
    private static List<Dictionary<string, string>> RunTshark(string tshark, string pcap)
    {
        // tshark writes its profile under $HOME/.config/wireshark: a throwaway home keeps it out of the repository
        // and keeps a developer's own preferences out of the check.
        var home = TempFolders.Create("udpconf-tshark-").FullName;
        try
        {
            var start = new ProcessStartInfo(tshark)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = home,
            };
            start.Environment["HOME"] = home;
            start.Environment["XDG_CONFIG_HOME"] = Path.Combine(home, ".config");
            // -2: a second pass, so that every fragment names the frame its datagram is reassembled in.
            // occurrence=f: a payload that some dissector reads as another protocol cannot add values.
            string[] arguments =
            [
                "-n", "-2", "-r", pcap,
                "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "ip.defragment:TRUE",
                "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f",
            ];
            foreach (var argument in arguments) start.ArgumentList.Add(argument);
            foreach (var field in Fields) { start.ArgumentList.Add("-e"); start.ArgumentList.Add(field); }

            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"tshark did not finish within {Timeout.TotalSeconds} s on {pcap}");
            }
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"tshark exited with {process.ExitCode} on {pcap}: {stderr.Result}");
            return stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.TrimEnd('\r').Split('\t'))
                .Select(values =>
                {
                    Assert.True(values.Length == Fields.Length, $"tshark printed {values.Length} fields, asked for {Fields.Length}");
                    return Fields.Zip(values).ToDictionary(p => p.First, p => p.Second);
                })
                .ToList();
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
