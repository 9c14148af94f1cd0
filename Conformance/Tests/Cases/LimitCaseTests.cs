using System.Buffers.Binary;
using System.Globalization;
using System.Text.RegularExpressions;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Suite;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Mutation;
using Udpconf.Tests.Cli;
using Xunit;

namespace Udpconf.Tests.Cases;

/// <summary>
/// Boundary discipline: for every numeric limit of the model (Reference/Limits.cs, which the model's code compares
/// against), the case library holds a call at the limit and one just past it. Each limit is read from the cases' own
/// operations by a probe written here; a new limit without a probe, or without both values among the cases, fails.
/// </summary>
public sealed class LimitCaseTests
{
    private static readonly string Root = SpecMap.FindRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("no Conformance.sln above the test binaries");

    /// <summary>The values a case gives the quantity a limit bounds, step by step.</summary>
    // Keyed by the limits' names as written, not by Limits.X.Name: the name is what "// limit: NAME" comments in the
    // model and cases refer to, so a name that changed must show here.
    private static readonly Dictionary<string, Func<Case, IEnumerable<long>>> Probes = new()
    {
        ["iov count"] = c => Ops<SendMsgOp>(c).Select(op => (long)op.Iov.Count),
        ["sendmmsg vlen"] = c => Ops<SendMmsgOp>(c).Select(op => (long)op.Vlen),
        ["sockaddr_in length"] = c => Ops<BindOp>(c).Select(op => (long)op.AddressLength)
            .Concat(Ops<ConnectOp>(c).Select(op => (long)op.AddressLength)),
        ["sockaddr_storage length"] = c => Ops<BindOp>(c).Select(op => (long)op.AddressLength)
            .Concat(Ops<ConnectOp>(c).Select(op => (long)op.AddressLength))
            .Concat(Ops<SendToOp>(c).Select(op => (long)op.AddressLength)),
        ["IP options length"] = c => Option(c, SocketOption.SolIp, SocketOption.IpOptions).Select(op => (long)op.OptLen),
        ["IP_TTL lowest"] = c => IntValues(c, SocketOption.SolIp, SocketOption.IpTtl),
        ["IP_TTL highest"] = c => IntValues(c, SocketOption.SolIp, SocketOption.IpTtl),
        ["IP_MULTICAST_TTL highest"] = c => IntValues(c, SocketOption.SolIp, SocketOption.IpMulticastTtl),
        ["cmsg IP_TTL lowest"] = c => Cmsgs(c, SocketOption.SolIp, SocketOption.IpTtl),
        ["cmsg IP_TTL highest"] = c => Cmsgs(c, SocketOption.SolIp, SocketOption.IpTtl),
        ["cmsg IP_TOS lowest"] = c => Cmsgs(c, SocketOption.SolIp, SocketOption.IpTos),
        ["cmsg IP_TOS highest"] = c => Cmsgs(c, SocketOption.SolIp, SocketOption.IpTos),
        ["link MTU lowest"] = c => Ops<HostChangeOp>(c).Where(op => op.Mtu is not null).Select(op => (long)op.Mtu!.Value),
        ["link MTU highest"] = c => Ops<HostChangeOp>(c).Where(op => op.Mtu is not null).Select(op => (long)op.Mtu!.Value),
        // A datagram without IP options: the payload and 28 bytes of headers.
        ["IPv4 datagram length"] = c => Ops<SendToOp>(c).Select(op => op.Data.Length + 28)
            .Concat(Ops<SendMsgOp>(c).Select(op => Total(op.Iov) + 28)),
        // The number of groups a socket has asked to join so far.
        ["multicast memberships"] = c => Ops<SetSockOptOp>(c).Where(op => op.Level == SocketOption.SolIp && op.OptName == SocketOption.IpAddMembership)
            .GroupBy(op => op.Fd).SelectMany(joins => Enumerable.Range(1, joins.Count()).Select(n => (long)n)),
        ["SO_BINDTODEVICE read length"] = c => Ops<GetSockOptOp>(c).Where(op => op.Level == SocketOption.SolSocket && op.OptName == SocketOption.SoBindToDevice)
            .Select(op => (long)op.OptLen),
        // The segments a send with a UDP_SEGMENT control message asks for.
        ["GSO segments"] = c => Ops<SendMsgOp>(c).SelectMany(op => Messages(op, SocketOption.SolUdp, SocketOption.UdpSegment)
            .Where(m => m.Data.Length >= 2 && BinaryPrimitives.ReadUInt16LittleEndian(m.Data.Span) > 0)
            .Select(m => (Total(op.Iov) + BinaryPrimitives.ReadUInt16LittleEndian(m.Data.Span) - 1)
                         / BinaryPrimitives.ReadUInt16LittleEndian(m.Data.Span))),
        ["unprivileged port lowest"] = c => c.Host.Privileged ? [] : Ops<BindOp>(c)
            .Where(op => op.Address is { Readable.Length: >= 4 } && op.AddressLength >= Limits.AddressLength.At)
            .Select(op => (long)SockAddr.Port(op.Address!.Readable.Span)),
        ["IP_MULTICAST_IF ip_mreqn length"] = c => Option(c, SocketOption.SolIp, SocketOption.IpMulticastIf).Select(op => (long)op.OptLen),
        ["IP_MULTICAST_IF ip_mreq length"] = c => Option(c, SocketOption.SolIp, SocketOption.IpMulticastIf).Select(op => (long)op.OptLen),
        ["IP_MULTICAST_IF in_addr length"] = c => Option(c, SocketOption.SolIp, SocketOption.IpMulticastIf).Select(op => (long)op.OptLen),
        ["SO_SNDBUF cap (default wmem_max)"] = c => IntValues(c, SocketOption.SolSocket, SocketOption.SoSndbuf),
        // A NULL base's length in a gather list of two entries or more: its end is its length.
        ["user range end (NULL base)"] = c => Ops<SendMsgOp>(c).Where(op => op.Iov.Count > 1)
            .SelectMany(op => op.Iov.Where(b => b.NullBase).Select(b => b.Length)),
        // In cases where no socket joins a group, so that the option memory is 0.
        ["control buffer below optmem_max (linux)"] = c => Option(c, SocketOption.SolIp, SocketOption.IpAddMembership).Any() ? []
            : Ops<SendMsgOp>(c).Select(op => op.ControlLength),
        ["SOL_SOCKET int optlen"] = c => Ops<SetSockOptOp>(c).Where(op => op.Level == SocketOption.SolSocket).Select(op => (long)op.OptLen),
        ["IP_MINTTL highest"] = c => IntValues(c, SocketOption.SolIp, SocketOption.IpMinTtl),
        ["IP_MTU_DISCOVER highest (spec)"] = c => IntValues(c, SocketOption.SolIp, SocketOption.IpMtuDiscover),
        ["IP_MTU_DISCOVER highest (linux)"] = c => IntValues(c, SocketOption.SolIp, SocketOption.IpMtuDiscover),
        ["SO_SNDBUF floor (linux)"] = c => IntValues(c, SocketOption.SolSocket, SocketOption.SoSndbuf),
        ["UDP_SEGMENT highest"] = c => IntValues(c, SocketOption.SolUdp, SocketOption.UdpSegment),
        // tv_usec, the second half of a struct timeval of 16 bytes.
        ["timeout microseconds"] = c => Ops<SetSockOptOp>(c)
            .Where(op => op.Level == SocketOption.SolSocket && op.OptName is SocketOption.SoRcvTimeoOld or SocketOption.SoSndTimeoOld or SocketOption.SoRcvTimeoNew or SocketOption.SoSndTimeoNew && op.Value is { Readable.Length: >= 16 })
            .Select(op => BinaryPrimitives.ReadInt64LittleEndian(op.Value!.Readable.Span[8..])),
        ["SO_BUF_LOCK highest"] = c => IntValues(c, SocketOption.SolSocket, SocketOption.SoBufLock),
        ["udp_sendmsg length"] = c => Ops<SendToOp>(c).Select(op => (long)op.Data.Length).Concat(Ops<SendMsgOp>(c).Select(op => Total(op.Iov))),
        // A first part's UDP length: sendto a native IPv6 address (not v4-mapped), its payload and the header.
        ["IPv6 UDP length"] = c => Ops<SendToOp>(c)
            .Where(op => op.Address is { Readable.Length: >= 24 } a && SockAddr.Family(a.Readable.Span) == AddressFamily.Inet6
                         && SockAddr.MappedAddress(a.Readable.Span) is null)
            .Select(op => (long)op.Data.Length + 8),
        // A dual-stack socket's sends with a name: its length; with an AF_INET6 name alone for the second.
        ["IPv6 name length lowest"] = c => Ipv6Sends(c).Select(op => (long)op.AddressLength),
        ["sockaddr_in6 length lowest"] = c => Ipv6Sends(c)
            .Where(op => op.Address is { Readable.Length: >= 2 } a && SockAddr.Family(a.Readable.Span) == AddressFamily.Inet6)
            .Select(op => (long)op.AddressLength),
        ["connect addrlen lowest"] = c => Ops<ConnectOp>(c).Select(op => (long)op.AddressLength),
        // The first cmsg_len of a control buffer, and those of the well-formed messages.
        ["cmsg_len lowest"] = c => Ops<SendMsgOp>(c).Where(op => op.Control is { Readable.Length: >= 8 })
            .Select(op => BinaryPrimitives.ReadInt64LittleEndian(op.Control!.Readable.Span)),
    };

    /// <summary>sendto with a name on a socket the case made AF_INET6.</summary>
    private static IEnumerable<SendToOp> Ipv6Sends(Case c)
    {
        var inet6 = Ops<SocketOp>(c).Where(op => op.Domain == AddressFamily.Inet6).Select(op => op.Name).ToHashSet();
        return Ops<SendToOp>(c).Where(op => op.Address is not null && op.Fd.Name is { } name && inet6.Contains(name));
    }

    /// <summary>A gather list's length, huge lengths (past 2^40) held there so that the sum cannot overflow.</summary>
    private static long Total(IReadOnlyList<UserBuffer> iov) => iov.Sum(b => Math.Clamp(b.Length, 0, 1L << 40));

    private static IEnumerable<T> Ops<T>(Case c) where T : Operation => c.Steps.Select(s => s.Operation).OfType<T>();

    private static IEnumerable<SetSockOptOp> Option(Case c, int level, int name) =>
        Ops<SetSockOptOp>(c).Where(op => op.Level == level && op.OptName == name);

    private static IEnumerable<long> IntValues(Case c, int level, int name) =>
        Option(c, level, name).Where(op => op.OptLen >= 4 && op.Value is { Readable.Length: >= 4 })
            .Select(op => (long)BinaryPrimitives.ReadInt32LittleEndian(op.Value!.Readable.Span));

    private static IEnumerable<ControlMessage> Messages(SendMsgOp op, int level, int type) =>
        op.Control is null ? [] : ControlMessages.Walk(op.Control.Readable, op.ControlLength)
            .Where(m => m.Message is { } message && message.Level == level && message.Type == type).Select(m => m.Message!);

    /// <summary>Control messages of an int (or, for IP_TOS, a byte).</summary>
    private static IEnumerable<long> Cmsgs(Case c, int level, int type) => Ops<SendMsgOp>(c).SelectMany(op => Messages(op, level, type))
        .Where(m => m.Data.Length is 4 or 1)
        .Select(m => m.Data.Length == 4 ? (long)BinaryPrimitives.ReadInt32LittleEndian(m.Data.Span) : m.Data.Span[0]);

    /// <summary>A comparison with a number of 2 or more (decimal or hex), outside comments.</summary>
    private static readonly Regex Comparison =
        new(@"(?<![<>=!])(<=|>=|<(?![<=])|>(?![>=]))\s*-?(0x[0-9A-Fa-f_]+|[0-9][0-9_]*)\b", RegexOptions.CultureInvariant);

    private static readonly Regex Marker = new(@"^//\s*(limit:\s*(?<limit>.+)|not a limit:\s*(?<why>\S.*))$", RegexOptions.CultureInvariant);

    /// <summary>The lines of the model's code (Limits.cs aside) that compare with a number of 2 or more, and did not
    /// say what it is: a comment line <c>// limit: &lt;a name of Limits.All&gt;</c> or <c>// not a limit: &lt;why&gt;</c>
    /// covers the code below it up to the next blank line. Comment lines change no mutation record (their hash leaves
    /// them out), so saying so never asks for a new Stryker run.</summary>
    internal static IReadOnlyList<string> UnsaidNumbers(string root)
    {
        var names = Limits.All.ToDictionary(l => l.Name, StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var file in MutationRecord.ModelFiles(root).Where(f => f != "Limits.cs"))
        {
            // Whether a marker covers this line, and the limit it names (null for "not a limit" or an unknown name).
            var said = false;
            Limit? named = null;
            var lines = File.ReadAllLines(Path.Combine(root, "Reference", file));
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i].Trim();
                if (line.Length == 0) { (said, named) = (false, null); continue; }
                if (line.StartsWith("//", StringComparison.Ordinal))
                {
                    if (Marker.Match(line) is { Success: true } marker)
                    {
                        said = true;
                        named = null;
                        if (marker.Groups["limit"].Success && names.TryGetValue(marker.Groups["limit"].Value.Trim(), out var found))
                            named = found;
                        else if (marker.Groups["limit"].Success)
                            problems.Add($"Reference/{file}:{i + 1}: \"{marker.Groups["limit"].Value.Trim()}\" is not a limit of Limits.All");
                    }
                    continue;
                }
                foreach (Match m in Comparison.Matches(line.Split("//")[0]))
                {
                    var text = m.Groups[2].Value.Replace("_", "");
                    var value = text.StartsWith("0x", StringComparison.Ordinal) ? Convert.ToInt64(text[2..], 16) : long.Parse(text, CultureInfo.InvariantCulture);
                    if (value < 2) continue;
                    if (!said)
                        problems.Add($"Reference/{file}:{i + 1}: compares with {m.Groups[2].Value} without saying whether it is a limit: {line}");
                    else if (named is { } limit && value != limit.At && value != limit.Beyond)
                        problems.Add($"Reference/{file}:{i + 1}: {m.Groups[2].Value} is neither {limit.Name}'s {limit.At} nor {limit.Beyond}: {line}");
                }
            }
        }
        return problems;
    }

    [Fact]
    public void Every_number_the_model_compares_with_is_a_gathered_limit_or_says_why_not()
    {
        var problems = UnsaidNumbers(Root);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void The_number_check_finds_an_unsaid_number_and_a_misnamed_limit()
    {
        using var checkout = new TempCases().AsRepository();
        var folder = checkout.PathOf("Reference");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "A.cs"), """
            class A
            {
                bool F(int n) => n > 1;                   // 0 and 1 are no limits
                bool G(int n) => n >= 0x40;

                // not a limit: a layout
                bool H(int n) => n < 12;

                // limit: IP options length
                bool I(int n) => n > 40;
                // limit: no such limit
                bool J(int n) => n < 7;

                // limit: IP options length
                bool K(int n) => n > 39;
            }
            """);
        var problems = UnsaidNumbers(checkout.Root);
        Assert.Equal(3, problems.Count);
        Assert.Contains("Reference/A.cs:4: compares with 0x40 without saying whether it is a limit", problems[0]);
        Assert.Contains("Reference/A.cs:11: \"no such limit\" is not a limit of Limits.All", problems[1]);
        Assert.Contains("Reference/A.cs:15: 39 is neither IP options length's 40 nor 41", problems[2]);
    }

    [Fact]
    public void Every_limit_of_the_model_has_a_probe()
    {
        var unprobed = Limits.All.Select(l => l.Name).Where(name => !Probes.ContainsKey(name)).ToArray();
        Assert.True(unprobed.Length == 0, "limits without a probe: " + string.Join(", ", unprobed));
        Assert.Equal(Limits.All.Count, Limits.All.Select(l => l.Name).Distinct().Count());
    }

    /// <summary>A limit's meaning is what a missing case is reported with: each says, in its own words, what the
    /// value past it does.</summary>
    [Fact]
    public void Every_limit_says_what_happens_past_it_in_its_own_words()
    {
        var silent = Limits.All.Where(l => string.IsNullOrWhiteSpace(l.Meaning)).Select(l => l.Name).ToArray();
        Assert.True(silent.Length == 0, "limits that do not say what happens past them: " + string.Join(", ", silent));
        var shared = Limits.All.GroupBy(l => l.Meaning).Where(g => g.Count() > 1).Select(g => string.Join(" and ", g.Select(l => l.Name))).ToArray();
        Assert.True(shared.Length == 0, "limits with the same meaning: " + string.Join("; ", shared));
    }

    [Fact]
    public void Every_limit_of_the_model_has_a_case_at_it_and_one_past_it()
    {
        var all = CaseLibrary.Load(CaseLibrary.DefaultFolder(Root)).Where(f => f.Case is not null).Select(f => f.Case!).ToArray();
        var missing = new List<string>();
        foreach (var limit in Limits.All)
        {
            if (!Probes.TryGetValue(limit.Name, out var probe)) continue;
            var cases = limit.Profile is { } profile ? all.Where(c => c.Profiles.Contains(profile)).ToArray() : all;
            var at = cases.Where(c => probe(c).Contains(limit.At)).Select(c => c.Id).ToArray();
            var beyond = cases.Where(c => probe(c).Contains(limit.Beyond)).Select(c => c.Id).ToArray();
            if (at.Length == 0) missing.Add($"{limit.Name}: no case at {limit.At} ({limit.Meaning})");
            if (beyond.Length == 0) missing.Add($"{limit.Name}: no case at {limit.Beyond}, past the limit ({limit.Meaning})");
        }
        Assert.True(missing.Count == 0, string.Join("\n", missing));
    }
}
