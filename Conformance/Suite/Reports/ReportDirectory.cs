using Udpconf.Suite.Compare;

namespace Udpconf.Suite.Reports;

/// <summary>Everything a CI job keeps from a run, in one folder: junit.xml, report.json, report.md, and for every
/// failing result a pcap with the expected and observed packets plus its labelled dissection under failures/.</summary>
public static class ReportDirectory
{
    public const string JUnit = "junit.xml";
    public const string Json = "report.json";
    public const string Markdown = "report.md";
    public const string FailuresFolder = "failures";

    /// <summary>Writes the reports and returns the paths written, reports first.</summary>
    /// <param name="partial">Why the run stopped early (an interruption), or null: each report says so.</param>
    /// <param name="shard">The part of a sharded run ("I/N"), written into report.json; null for a whole run.</param>
    public static IReadOnlyList<string> Write(string folder, IReadOnlyList<CaseResult> results, string? partial = null, string? shard = null)
    {
        Directory.CreateDirectory(folder);
        var written = new List<string>
        {
            Save(Path.Combine(folder, JUnit), JUnitReport.Write(results, partial)),
            SaveJson(Path.Combine(folder, Json), results, partial, shard),
            Save(Path.Combine(folder, Markdown), MarkdownReport.Write(results, partial)),
        };
        var failures = Path.Combine(folder, FailuresFolder);
        // Files of an earlier run would read as failures of this one.
        if (Directory.Exists(failures)) Directory.Delete(failures, recursive: true);
        foreach (var result in results.Where(r => ReportText.IsFailure(r) && r.Case is not null))
        {
            Directory.CreateDirectory(failures);
            var stem = Path.Combine(failures, ReportText.FileStem(result));
            File.WriteAllBytes(stem + ".pcap", FailurePcap.Write(result));
            written.Add(stem + ".pcap");
            written.Add(Save(stem + ".txt", FailurePcap.Describe(result)));
        }
        return written;
    }

    /// <summary>report.json, written as it is produced (it is the largest report), its folder made as the other
    /// reports' are.</summary>
    public static string SaveJson(string path, IReadOnlyList<CaseResult> results, string? partial, string? shard = null)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder) Directory.CreateDirectory(folder);
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            JsonReport.Write(file, results, partial, shard);
        return path;
    }

    private static string Save(string path, string text)
    {
        File.WriteAllText(path, text);
        return path;
    }
}
