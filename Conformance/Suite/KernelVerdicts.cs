using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Reports;

namespace Udpconf.Suite;

/// <summary>The first problem of a failing run: which step, what differed, and the clause it concerns.</summary>
public sealed record KernelProblem(int Step, string What, string Expected, string Observed, string? Clause);

/// <summary>A clause on one implementation: the cases it held in, those it differed (or erred) in, and the cases
/// naming it that did not judge it.</summary>
public sealed record ClauseJudgement(int Held, IReadOnlyList<string> Failed, int NotJudged)
{
    public bool Judged => Held > 0 || Failed.Count > 0;
}

/// <summary>A packet of a step that breaks an RFC rule (<see cref="RfcRules"/>).</summary>
public sealed record KernelRfcFinding(int Step, string Rule, int Packet, string What);

/// <summary>The verdict of one case under one profile on the live kernel: pass, fail, error or not-applicable
/// (with the reason), and for a failure its first problem.</summary>
/// <param name="Failed">For a failing run: every clause a failing step had a problem under, beyond the first
/// difference (<see cref="CaseResult.ClauseVerdicts"/>).</param>
/// <param name="Held">For a failing run: the clauses the case names that held in every step judged under them.</param>
/// <param name="Rfc">The packets that break an RFC, whatever the verdict.</param>
public sealed record KernelVerdict(string Case, string Profile, [property: JsonConverter(typeof(VerdictNameConverter))] VerdictKind Verdict,
    string? Reason = null, KernelProblem? Problem = null, IReadOnlyList<string>? Failed = null, IReadOnlyList<string>? Held = null,
    IReadOnlyList<KernelRfcFinding>? Rfc = null)
{
    [JsonIgnore] public bool IsFailure => Verdict is VerdictKind.Fail or VerdictKind.Error;
}

/// <summary>A verdict in JSON as its name (<see cref="VerdictNames"/>); another word is refused.</summary>
public sealed class VerdictNameConverter : JsonConverter<VerdictKind>
{
    public override VerdictKind Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        VerdictNames.Parse(reader.GetString()) ?? throw new JsonException($"'{reader.GetString()}' is not a verdict ({string.Join(", ", VerdictNames.All.Select(k => k.Name()))})");

    public override void Write(Utf8JsonWriter writer, VerdictKind value, JsonSerializerOptions options) => writer.WriteStringValue(value.Name());
}

/// <summary>
/// Conformance/kernel-verdicts.json: every case run on the live kernel under both profiles by
/// <c>./udpconf kernel-record</c>, with the kernel release of the run. spec-map.md's live-kernel column is read
/// from it; the linux profile is verified against its release when no linux case failed.
/// </summary>
/// <param name="Shard">For a part of a sharded record (<c>kernel-record --shard I/N</c>): which part, "I/N"; null for a whole record.</param>
public sealed record KernelVerdicts(string Implementation, string Date, IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> Counts,
    IReadOnlyList<KernelVerdict> Cases, string? Shard = null)
{
    public const string RelativePath = "Conformance/kernel-verdicts.json";
    /// <summary>A record (or a part of one) larger than this is not read: the whole record of 300 cases is about 100 KB.</summary>
    public const long MostBytes = 64L << 20;

    public static string PathIn(string root) => Path.Combine(root, "Conformance", "kernel-verdicts.json");

    /// <summary>Where the recorded run of a profile's kernel is: the host's kernel for linux (and spec, recorded with
    /// it), Conformance/kernel-verdicts-&lt;line&gt;.json for an older kernel line run in a VM.</summary>
    public static string RelativePathFor(string profile) =>
        Reference.Profile.Find(profile)?.Family is null ? RelativePath : $"Conformance/kernel-verdicts-{profile}.json";

    public static string PathFor(string root, string profile) => Path.Combine(root, RelativePathFor(profile));

    /// <summary>The recorded run of a kernel line's VM, or null when none was recorded.</summary>
    public static KernelVerdicts? ReadLine(string root, string profile)
    {
        var path = PathFor(root, profile);
        return File.Exists(path) ? Parse(File.ReadAllText(path)) : null;
    }

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The record of a run: entries sorted by case id then profile, counts per profile and verdict.</summary>
    public static KernelVerdicts From(string release, DateOnly date, IEnumerable<CaseResult> results, Shard? shard = null) =>
        FromEntries(release, date.ToString("yyyy-MM-dd"), results.Select(Entry), shard);

    private static KernelVerdicts FromEntries(string release, string date, IEnumerable<KernelVerdict> entries, Shard? shard = null)
    {
        var cases = entries.OrderBy(v => v.Case, StringComparer.Ordinal).ThenBy(v => v.Profile, StringComparer.Ordinal).ToArray();
        var counts = new SortedDictionary<string, IReadOnlyDictionary<string, int>>(StringComparer.Ordinal);
        foreach (var profile in cases.Select(v => v.Profile).Distinct())
            counts[profile] = VerdictNames.All.ToDictionary(k => k.Name(), k => cases.Count(v => v.Profile == profile && v.Verdict == k));
        return new KernelVerdicts(release, date, counts, cases, shard?.ToString());
    }

    /// <summary>
    /// The record of the whole run from the records of its parts (<c>kernel-record --shard I/N</c> on N runners): the
    /// entries of every part, sorted and counted again, the latest date of the parts. Null, with every reason one line
    /// each, unless the parts are the N parts of one split of <paramref name="cases"/> under <paramref name="profiles"/>
    /// on one kernel: each part holds exactly the runs <see cref="Sharding.Part"/> gives it (a part run on another
    /// checkout's cases, or with a filter, is refused), no part is missing or given twice.
    /// </summary>
    /// <param name="parts">Each part with the name (its file) a problem shows.</param>
    public static (KernelVerdicts? Record, IReadOnlyList<string> Problems) Merge(IReadOnlyList<(string Name, KernelVerdicts Part)> parts,
        IReadOnlyList<Cases.CaseFile> cases, IReadOnlyList<Reference.Profile> profiles)
    {
        var problems = new List<string>();
        if (parts.Count == 0) return (null, ["no parts to merge"]);
        var shards = new List<Shard?>();
        foreach (var (name, part) in parts)
        {
            var shard = part.Shard is null ? null : Sharding.Parse(part.Shard);
            if (shard is null) problems.Add($"{name} is not a part of a sharded record (it has no \"shard\": I/N)");
            shards.Add(shard);
        }
        problems.AddRange(Sharding.Gaps(shards));
        foreach (var twice in shards.OfType<Shard>().GroupBy(s => s).Where(g => g.Count() > 1))
            problems.Add($"part {twice.Key} is given {twice.Count()} times");
        var releases = parts.Select(p => p.Part.Implementation).Distinct().ToArray();
        if (releases.Length > 1) problems.Add($"the parts ran on different kernels ({string.Join(", ", releases.Select(r => SafeText.Line(r)))}), not one");
        if (problems.Count > 0) return (null, problems);

        // Every run an unsharded record of these cases holds, and which part it belongs to.
        var runs = CaseRunner.Runs(cases, profiles).Select(r => (Case: r.File.Id, Profile: r.Profile.Name)).ToHashSet();
        var count = shards[0]!.Value.Count;
        var partOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 1; i <= count; i++)
            foreach (var file in Sharding.Part(cases, c => c.Id, new Shard(i, count))) partOf[file.Id] = i;
        var seen = new HashSet<(string, string)>();
        foreach (var ((name, part), shard) in parts.Zip(shards))
            foreach (var entry in part.Cases)
            {
                if (!runs.Contains((entry.Case, entry.Profile)))
                    problems.Add($"{name}: {SafeText.Line(entry.Case)} ({SafeText.Line(entry.Profile)}) is not a run of this checkout's cases");
                else if (partOf[entry.Case] != shard!.Value.Index)
                    problems.Add($"{name}: {SafeText.Line(entry.Case)} belongs to part {partOf[entry.Case]}/{count}, not {shard}");
                else if (!seen.Add((entry.Case, entry.Profile)))
                    problems.Add($"{name}: {SafeText.Line(entry.Case)} ({SafeText.Line(entry.Profile)}) is recorded twice");
            }
        var absent = runs.Where(r => !seen.Contains(r)).OrderBy(r => r.Case, StringComparer.Ordinal).ThenBy(r => r.Profile, StringComparer.Ordinal).ToArray();
        if (absent.Length > 0)
            problems.Add($"{absent.Length} run{(absent.Length == 1 ? " is" : "s are")} in no part: " +
                         string.Join(", ", absent.Take(5).Select(r => $"{r.Case} ({r.Profile})")) + (absent.Length > 5 ? ", ..." : ""));
        if (problems.Count > 0) return (null, problems.Take(ReportMerge.ProblemsListed).Append(problems.Count > ReportMerge.ProblemsListed ? $"and {problems.Count - ReportMerge.ProblemsListed} more" : null).OfType<string>().ToArray());
        var date = parts.Select(p => p.Part.Date).Max(StringComparer.Ordinal)!;
        return (FromEntries(releases[0], date, parts.SelectMany(p => p.Part.Cases)), []);
    }

    private static KernelVerdict Entry(CaseResult result)
    {
        var entry = FirstDifference(result);
        var rfc = result.RfcFindings.Select(f => new KernelRfcFinding(f.Step, f.Finding.Rule, f.Finding.Packet, f.Finding.What)).ToArray();
        if (rfc.Length > 0) entry = entry with { Rfc = rfc };
        if (result.Kind != VerdictKind.Fail) return entry;
        var clauses = result.ClauseVerdicts;
        return entry with
        {
            Failed = clauses.Where(c => c.Value == VerdictKind.Fail).Select(c => c.Key).ToArray(),
            Held = result.Clauses.Where(c => clauses.GetValueOrDefault(c, VerdictKind.NotApplicable) == VerdictKind.Pass).Order(StringComparer.Ordinal).ToArray(),
        };
    }

    private static KernelVerdict FirstDifference(CaseResult result)
    {
        var verdict = result.Kind;
        switch (result.Kind)
        {
            case VerdictKind.Pass:
                return new KernelVerdict(result.CaseId, result.Profile, verdict);
            case VerdictKind.NotApplicable:
                return new KernelVerdict(result.CaseId, result.Profile, verdict, ReportText.FirstLine(ReportText.Reason(result) ?? "not applicable"));
            default:
                foreach (var step in result.Steps.Where(ReportText.IsFailure))
                    if (step.Problems.Count > 0)
                    {
                        var p = step.Problems[0];
                        return new KernelVerdict(result.CaseId, result.Profile, verdict,
                            Problem: new KernelProblem(step.Step.Index + 1, p.What, p.Expected, p.Observed, p.Clause?.Id));
                    }
                return new KernelVerdict(result.CaseId, result.Profile, verdict, ReportText.FirstProblem(result));
        }
    }

    public int Failures(string profile) => Cases.Count(v => v.Profile == profile && v.IsFailure);

    /// <summary>What the record says of one clause under <paramref name="profile"/>, past each case's first difference:
    /// the cases it held in (a passing case naming it, or a failing one where it held), the cases a step differed under
    /// it (named or not), and the cases naming it that did not judge it (not applicable, or no step judged under it).</summary>
    public ClauseJudgement Judge(string clause, IEnumerable<string> naming, string profile = "linux")
    {
        var ids = naming.ToHashSet(StringComparer.Ordinal);
        var mine = Cases.Where(v => v.Profile == profile).ToArray();
        var named = mine.Where(v => ids.Contains(v.Case)).ToArray();
        return new ClauseJudgement(
            named.Count(v => v.Verdict == VerdictKind.Pass || v.Held?.Contains(clause) == true),
            mine.Where(v => v.Verdict == VerdictKind.Error && ids.Contains(v.Case) || v.Failed?.Contains(clause) == true).Select(v => v.Case).ToArray(),
            named.Count(v => v.Verdict is VerdictKind.NotApplicable or VerdictKind.Fail && v.Held?.Contains(clause) != true && v.Failed?.Contains(clause) != true));
    }

    public string ToJson() => JsonSerializer.Serialize(this, Options) + "\n";

    public static KernelVerdicts Parse(string json) =>
        JsonSerializer.Deserialize<KernelVerdicts>(json, Options) ?? throw new JsonException("kernel-verdicts.json is empty");

    /// <summary>The recorded run under <paramref name="root"/>, or null when none was recorded.</summary>
    public static KernelVerdicts? Read(string root)
    {
        var path = PathIn(root);
        return File.Exists(path) ? Parse(File.ReadAllText(path)) : null;
    }
}
