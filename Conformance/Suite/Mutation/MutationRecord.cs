using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Udpconf.Suite.Mutation;

/// <summary>A mutant no test detected, as recorded: where, what was replaced by what, and, when it has been shown to
/// change nothing observable, the one-line reason (from <see cref="Equivalents"/>).</summary>
public sealed record Survivor(int Line, string Mutator, string Original, string Replacement, string Status, string LineText,
    string? Equivalent);

/// <summary>The mutants of one file of Reference/ at the content <see cref="Sha256"/> they were measured on, by the test
/// projects named in <see cref="Tests"/>.</summary>
/// <param name="Verified">The verdicts are those of a fresh test process per mutant (<see cref="FreshProcessVerifier"/>),
/// not those of Stryker's reused test hosts.</param>
public sealed record FileRecord(string Path, string Sha256, string Tests, int Killed, int Timeout, int Survived, int NoCoverage, int Other,
    IReadOnlyList<Survivor> Survivors, bool Verified = false)
{
    [JsonIgnore] public int Detected => Killed + Timeout;
    [JsonIgnore] public int Undetected => Survived + NoCoverage;
}

/// <summary>
/// The project's own measure of its power: the Stryker.NET result for every file of the model, kept in
/// reports/mutation.json (read by the tests) and rendered as reports/mutation.md. Each file carries the hash of the
/// text it was measured on, so that a change to the model without a new measurement is seen without running Stryker.
/// </summary>
public sealed record MutationRecord(string Tool, string Level, IReadOnlyList<FileRecord> Files)
{
    public const string JsonRelativePath = "reports/mutation.json";
    public const string MarkdownRelativePath = "reports/mutation.md";
    public const string ModelFolder = "Reference";

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, MaxDepth = 16,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public int Detected => Files.Sum(f => f.Detected);
    public int Undetected => Files.Sum(f => f.Undetected);
    public int Equivalent => Files.Sum(f => f.Survivors.Count(s => s.Equivalent is not null));

    /// <summary>Stryker's mutation score: detected over detected and undetected (compile errors and ignored mutants
    /// count in neither).</summary>
    public double Score => Detected + Undetected == 0 ? 1 : (double)Detected / (Detected + Undetected);

    /// <summary>The survivors nobody has explained: each is a test, law or case the suite lacks.</summary>
    public IEnumerable<(FileRecord File, Survivor Survivor)> Unexplained =>
        Files.SelectMany(f => f.Survivors.Where(s => s.Equivalent is null).Select(s => (f, s)));

    public static MutationRecord Empty => new("", "", []);

    public static MutationRecord Load(string root)
    {
        var path = Path.Combine(root, JsonRelativePath);
        if (!File.Exists(path)) return Empty;
        try
        {
            return JsonSerializer.Deserialize<MutationRecord>(File.ReadAllBytes(path), Options)
                   ?? throw new InvalidDataException($"{path}: empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: line {e.LineNumber + 1}: {e.Message}");
        }
    }

    public void Save(string root)
    {
        Directory.CreateDirectory(Path.Combine(root, "reports"));
        File.WriteAllText(Path.Combine(root, JsonRelativePath), JsonSerializer.Serialize(this, Options) + "\n");
        File.WriteAllText(Path.Combine(root, MarkdownRelativePath), ToMarkdown(ModelFiles(root).Count, Stale(root)));
    }

    /// <summary>The model's source files, relative to Reference/ with forward slashes, in ordinal order.</summary>
    public static IReadOnlyList<string> ModelFiles(string root)
    {
        var folder = Path.Combine(root, ModelFolder);
        return Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith("bin/", StringComparison.Ordinal) && !f.StartsWith("obj/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The hash of the file's code: its lines without the blank ones and those that are only a comment, so that
    /// a comment's change (which no mutant can see) does not ask for a new measurement.</summary>
    public static string Hash(string root, string file)
    {
        var code = File.ReadLines(Path.Combine(root, ModelFolder, file)).Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith("//", StringComparison.Ordinal));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", code))))[..16];
    }

    /// <summary>The model's files whose record is missing or was measured on other code.</summary>
    public IReadOnlyList<StaleFile> Stale(string root)
    {
        var recorded = Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        return ModelFiles(root).Where(file => !recorded.TryGetValue(file, out var entry) || entry.Sha256 != Hash(root, file))
            .Select(file => new StaleFile(file, Measured: recorded.ContainsKey(file))).ToArray();
    }

    /// <summary>This record with the files of a new Stryker run put in place of their old entries, and entries of files
    /// that no longer exist dropped. <paramref name="measured"/> are all the files the run mutated, those without a
    /// single mutant included.</summary>
    public MutationRecord Merge(string root, IReadOnlyCollection<string> measured, IReadOnlyList<Mutant> mutants,
        Equivalents equivalents, string tool, string level, string tests, bool verified = false)
    {
        var existing = ModelFiles(root).ToHashSet(StringComparer.Ordinal);
        var byFile = mutants.ToLookup(m => m.File, StringComparer.Ordinal);
        var fresh = measured.Select(file =>
        {
            var of = byFile[file].ToArray();
            var survivors = of.Where(m => m.Undetected).OrderBy(m => m.Line).ThenBy(m => m.Column)
                .Select(m => new Survivor(m.Line, m.Mutator, m.Original, m.Replacement, m.Status, m.LineText, equivalents.Reason(m)))
                .ToArray();
            return new FileRecord(file, Hash(root, file), tests, of.Count(m => m.Status == "Killed"), of.Count(m => m.Status == "Timeout"),
                of.Count(m => m.Status == "Survived"), of.Count(m => m.Status == "NoCoverage"),
                of.Count(m => !m.Detected && !m.Undetected), survivors, verified);
        }).ToDictionary(f => f.Path, StringComparer.Ordinal);
        var files = Files.Where(f => existing.Contains(f.Path) && !fresh.ContainsKey(f.Path)).Concat(fresh.Values)
            .OrderBy(f => f.Path, StringComparer.Ordinal).ToArray();
        return new MutationRecord(tool, level, files);
    }

    /// <summary>The record with each survivor's reason taken anew from <paramref name="equivalents"/> (after the list
    /// of equivalent mutants was edited, without a new Stryker run).</summary>
    public MutationRecord Explain(Equivalents equivalents) => this with
    {
        Files = Files.Select(f => f with
        {
            Survivors = f.Survivors.Select(s => s with { Equivalent = equivalents.Reason(f.Path, s) }).ToArray(),
        }).ToArray(),
    };

    /// <summary>The record as Markdown; <paramref name="stale"/> (of <paramref name="modelFiles"/> files of the model)
    /// are listed as what the score does not cover yet.</summary>
    public string ToMarkdown(int modelFiles, IReadOnlyList<StaleFile> stale)
    {
        var text = new StringBuilder();
        string Percent(double value) => value.ToString("0.00", CultureInfo.InvariantCulture) + " %";
        text.AppendLine("# Mutation testing of the model");
        text.AppendLine();
        text.AppendLine($"Generated by `./udpconf mutate` from `{JsonRelativePath}` ({Tool}, mutation level {Level}).");
        text.AppendLine("Each file was measured on the text whose hash it carries; a test fails when the model changes without a new measurement.");
        text.AppendLine("Survivors explained in `Reference/equivalent-mutants.json` change nothing observable; the others are what the suite still lacks.");
        text.AppendLine();
        text.AppendLine($"**Score {Percent(100 * Score)}** over {Files.Count} of the model's {modelFiles} files: {Detected} detected (killed or timed out), {Undetected} not, of which {Equivalent} are equivalent with a reason and {Undetected - Equivalent} unexplained.");
        text.AppendLine();
        if (stale.Count > 0)
        {
            text.AppendLine($"Not covered by the score yet ({stale.Count} files): " +
                            string.Join(", ", stale.Select(s => $"`{s.File}`{(s.Measured ? " (changed since it was measured)" : "")}")) + ".");
            text.AppendLine();
        }
        var verified = Files.Count(f => f.Verified);
        text.AppendLine($"Verdicts from a fresh test process per mutant (column \"fresh\"): {verified} of {Files.Count} files. The others " +
                        "keep the verdicts of Stryker's reused test hosts, which can be wrong both ways (stryker-net issue 3742; README).");
        text.AppendLine();
        text.AppendLine("| file | tests | fresh | killed | timeout | survived | no coverage | score | unexplained |");
        text.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var f in Files)
        {
            var score = f.Detected + f.Undetected == 0 ? "–" : Percent(100.0 * f.Detected / (f.Detected + f.Undetected));
            text.AppendLine($"| `{f.Path}` | {f.Tests} | {(f.Verified ? "yes" : "no")} | {f.Killed} | {f.Timeout} | {f.Survived} | {f.NoCoverage} | {score} | {f.Survivors.Count(s => s.Equivalent is null)} |");
        }
        text.AppendLine();
        text.AppendLine("## Survivors");
        text.AppendLine();
        foreach (var f in Files.Where(f => f.Survivors.Count > 0))
        {
            text.AppendLine($"### `{f.Path}`");
            text.AppendLine();
            foreach (var s in f.Survivors)
            {
                var what = $"line {s.Line}, {s.Mutator} ({s.Status}): `{Code(s.Original)}` → `{Code(s.Replacement)}`";
                text.AppendLine(s.Equivalent is null ? $"- {what}: **unexplained**" : $"- {what}: equivalent: {s.Equivalent}");
            }
            text.AppendLine();
        }
        return text.ToString();
    }

    private static string Code(string text)
    {
        var folded = StrykerReport.Fold(text).Replace("`", "'");
        return folded.Length <= 80 ? folded : folded[..77] + "...";
    }
}

/// <summary>A file of the model the record does not hold for its current code: never measured, or changed since.</summary>
public sealed record StaleFile(string File, bool Measured)
{
    public override string ToString() => $"{File}: {(Measured ? "changed since it was measured" : "never measured")}";
}

/// <summary>One equivalent mutant: the mutant's key parts and why no behaviour can tell it from the model.</summary>
public sealed record EquivalentMutant(string File, string Mutator, string Original, string Replacement, string Line, string Reason);

/// <summary>The hand-written list of mutants shown equivalent, Reference/equivalent-mutants.json.</summary>
public sealed class Equivalents
{
    public const string RelativePath = "Reference/equivalent-mutants.json";
    private readonly Dictionary<string, string> reasons;

    public IReadOnlyList<EquivalentMutant> Entries { get; }

    public Equivalents(IReadOnlyList<EquivalentMutant> entries)
    {
        Entries = entries;
        reasons = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in entries) reasons.TryAdd(Key(e.File, e.Mutator, e.Original, e.Replacement, e.Line), e.Reason);
    }

    private static string Key(string file, string mutator, string original, string replacement, string line) =>
        $"{file}|{mutator}|{StrykerReport.Fold(original)}|{StrykerReport.Fold(replacement)}|{StrykerReport.Fold(line)}";

    public string? Reason(Mutant m) => reasons.GetValueOrDefault(Key(m.File, m.Mutator, m.Original, m.Replacement, m.LineText));

    public string? Reason(string file, Survivor s) => reasons.GetValueOrDefault(Key(file, s.Mutator, s.Original, s.Replacement, s.LineText));

    public static Equivalents Load(string root)
    {
        var path = Path.Combine(root, RelativePath);
        if (!File.Exists(path)) return new Equivalents([]);
        try
        {
            var entries = JsonSerializer.Deserialize<EquivalentMutant[]>(File.ReadAllBytes(path),
                new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, MaxDepth = 8 }) ?? [];
            foreach (var (entry, index) in entries.Select((e, i) => (e, i)))
                if (string.IsNullOrWhiteSpace(entry.Reason) || entry.File is null || entry.Mutator is null)
                    throw new InvalidDataException($"{path}: entry {index + 1}: file, mutator and a reason are required");
            return new Equivalents(entries);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: line {e.LineNumber + 1}: {e.Message}");
        }
    }
}
