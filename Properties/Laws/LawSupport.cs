using FsCheck;
using FsCheck.Fluent;
using Udpconf.Reference;
using Outcome = Udpconf.Reference.Outcome;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;

namespace Udpconf.Properties.Laws;

// Shared by the law families. Nothing here is a test (no test attribute), so spec-map.md attributes no clause to it:
// every law names its clauses itself.

/// <summary>Collects the ways a case broke a law; a property holds when there are none.</summary>
public sealed class Verdict
{
    private readonly List<string> problems = [];

    public bool Ok => problems.Count == 0;

    /// <summary>Records <paramref name="problem"/> when <paramref name="holds"/> is false.</summary>
    public Verdict Require(bool holds, Func<string> problem)
    {
        if (!holds) problems.Add(problem());
        return this;
    }

    public void Fail(string problem) => problems.Add(problem);

    public Property ToProperty() => Ok.Label(string.Join(Environment.NewLine, problems));
}

/// <summary>Bytes that do not repeat with any short period (a pattern of period 256 would hide data moved by 256).</summary>
public static class Payload
{
    public static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Cuts <paramref name="data"/> at the given points (any order, repeats and out-of-range points allowed:
    /// they are clamped), giving pieces that may be empty.</summary>
    public static ReadOnlyMemory<byte>[] Split(byte[] data, IEnumerable<int> cuts)
    {
        var points = cuts.Select(c => Math.Clamp(c, 0, data.Length)).Order().ToList();
        var pieces = new List<ReadOnlyMemory<byte>>();
        var start = 0;
        foreach (var point in points)
        {
            pieces.Add(data.AsMemory(start, point - start));
            start = point;
        }
        pieces.Add(data.AsMemory(start));
        return pieces.ToArray();
    }
}

/// <summary>
/// IP options the model compiles (IpOptions.Compile), with what the wire must show: NOPs, router alert (148, the
/// "copied" bit set), and record route (7, not copied), padded to a multiple of 4 with END, sometimes with an explicit
/// END followed by junk that compiling must turn into END.
/// </summary>
/// <param name="Given">The bytes passed to setsockopt(IP_OPTIONS).</param>
/// <param name="FirstFragment">What the first fragment's header must carry: record route's first slot holds the
/// source address 192.0.2.1 and its pointer has moved from 4 to 8 (RFC 791 §3.1; ip_options_compile/_build).</param>
/// <param name="LaterFragments">What every later fragment must carry: options without the copied bit (record route)
/// replaced by NOPs, END padding kept, same length (RFC 791 §3.2 "copied flag"; ip_options_fragment).</param>
public sealed record OptionsCase(byte[] Given, byte[] FirstFragment, byte[] LaterFragments)
{
    public int Length => FirstFragment.Length;

    public static OptionsCase None { get; } = new([], [], []);

    public override string ToString() => Length == 0 ? "no options" : $"options {Convert.ToHexString(Given)} ({Length} bytes)";

    public static Gen<OptionsCase> Generate() =>
        Gen.Choose(0, 10).SelectMany(words =>
            Gen.Zip(
                Gen.Choose(0, words == 0 ? 0 : 3),
                Gen.Zip(
                    Gen.ArrayOf(Gen.Choose(0, 99), 80),
                    Gen.Zip(ArbMap.Default.GeneratorFor<bool>(), Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 3))))
            .Select(t => Build(words * 4, t.Item1, t.Item2.Item1, t.Item2.Item2.Item1, t.Item2.Item2.Item2)));

    /// <summary>Options of exactly <paramref name="length"/> bytes on the wire, the last <paramref name="padding"/>
    /// of them END.</summary>
    public static OptionsCase Build(int length, int padding, int[] choices, bool explicitEnd, byte[] junk)
    {
        var given = new List<byte>();
        var first = new List<byte>();
        var later = new List<byte>();
        var remaining = length - padding;
        var recordRoute = false;
        var next = 0;
        while (remaining > 0)
        {
            var choice = choices[next++ % choices.Length];
            if (!recordRoute && remaining >= 7 && choice < 25)
            {
                var slots = 1 + choices[next++ % choices.Length] % ((remaining - 3) / 4);
                var optlen = 3 + 4 * slots;
                given.AddRange([7, (byte)optlen, 4, .. new byte[4 * slots]]);
                first.AddRange([7, (byte)optlen, 8, 192, 0, 2, 1, .. new byte[4 * slots - 4]]);
                later.AddRange(Enumerable.Repeat((byte)1, optlen));
                remaining -= optlen;
                recordRoute = true;
            }
            else if (remaining >= 4 && choice < 60)
            {
                byte[] alert = [148, 4, 0, 0];
                given.AddRange(alert);
                first.AddRange(alert);
                later.AddRange(alert);
                remaining -= 4;
            }
            else
            {
                given.Add(1);
                first.Add(1);
                later.Add(1);
                remaining--;
            }
        }
        if (padding > 0 && explicitEnd)
        {
            given.Add(0);
            given.AddRange(junk.Take(padding - 1));
        }
        first.AddRange(new byte[padding]);
        later.AddRange(new byte[padding]);
        return new OptionsCase(given.ToArray(), first.ToArray(), later.ToArray());
    }
}

/// <summary>An IPv4 packet read field by field from its bytes (RFC 791 §3.1), without Reference/Wire, so that laws
/// about what the model emitted do not lean on the model's own parser.</summary>
public sealed record RawPacket(
    int Version, int HeaderLength, int Tos, int TotalLength, ushort Identification, bool Reserved, bool DontFragment,
    bool MoreFragments, int FragmentOffset, int Ttl, int Protocol, ushort HeaderChecksum, Ipv4Address Source,
    Ipv4Address Destination, byte[] Options, byte[] Payload, bool HeaderSumsToFfff)
{
    public static RawPacket Read(byte[] p)
    {
        var headerLength = (p[0] & 0x0F) * 4;
        var flags = (p[6] << 8) | p[7];
        return new RawPacket(
            Version: p[0] >> 4,
            HeaderLength: headerLength,
            Tos: p[1],
            TotalLength: (p[2] << 8) | p[3],
            Identification: (ushort)((p[4] << 8) | p[5]),
            Reserved: (flags & 0x8000) != 0,
            DontFragment: (flags & 0x4000) != 0,
            MoreFragments: (flags & 0x2000) != 0,
            FragmentOffset: (flags & 0x1FFF) * 8,
            Ttl: p[8],
            Protocol: p[9],
            HeaderChecksum: (ushort)((p[10] << 8) | p[11]),
            Source: new Ipv4Address((uint)(p[12] << 24 | p[13] << 16 | p[14] << 8 | p[15])),
            Destination: new Ipv4Address((uint)(p[16] << 24 | p[17] << 16 | p[18] << 8 | p[19])),
            Options: p[20..headerLength],
            Payload: p[headerLength..],
            HeaderSumsToFfff: Rfc1071.Sum(p.AsSpan(0, headerLength)) == 0xFFFF);
    }

    /// <summary>Puts the fragments' payloads together at their offsets. Null when they do not tile one run of bytes
    /// from offset 0 with MF on all but the last (then <paramref name="problem"/> says why).</summary>
    public static byte[]? Reassemble(IReadOnlyList<RawPacket> fragments, out string? problem)
    {
        var expectedOffset = 0;
        for (var i = 0; i < fragments.Count; i++)
        {
            var f = fragments[i];
            if (f.FragmentOffset != expectedOffset)
            {
                problem = $"fragment {i} starts at {f.FragmentOffset}, the previous ones end at {expectedOffset}";
                return null;
            }
            if (f.MoreFragments != (i < fragments.Count - 1))
            {
                problem = $"fragment {i} of {fragments.Count} has MF={f.MoreFragments}";
                return null;
            }
            expectedOffset += f.Payload.Length;
        }
        var whole = new byte[expectedOffset];
        foreach (var f in fragments) f.Payload.CopyTo(whole, f.FragmentOffset);
        problem = null;
        return whole;
    }
}
