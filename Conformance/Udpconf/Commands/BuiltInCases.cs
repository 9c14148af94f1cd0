using System.Text;
using Udpconf.Suite.Cases;

namespace Udpconf.Cli.Commands;

/// <summary>
/// The case library built into udpconf: every Conformance/cases/**/*.case of the tree it was built from, embedded as a
/// resource (Udpconf.csproj), so that udpconf with no checkout (the single file a C, Go or Rust stack's CI downloads)
/// still runs the suite. Read from memory, never written to disk: nothing to clean up, nothing another process can
/// change between the listing and the reading, and the ids and order are those of the folder
/// (<see cref="CaseLibrary.FromTexts"/>). Used only when no case folder is found (<see cref="CaseSelection.Library"/>).
/// </summary>
public static class BuiltInCases
{
    /// <summary>The resources' names are this and the case's path under Conformance/cases.</summary>
    public const string ResourcePrefix = "cases/";

    /// <summary>How messages name the library ("333 cases from …"). Its files are named as in udpconf's repository,
    /// Conformance/cases/&lt;id&gt;.case, so that a report says where to read a case.</summary>
    public static string Name => $"Conformance/cases built into udpconf {UdpconfApp.Version}";

    private static IEnumerable<string> Names() => typeof(BuiltInCases).Assembly.GetManifestResourceNames()
        .Where(name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal) && name.EndsWith(CaseLibrary.Extension, StringComparison.Ordinal));

    /// <summary>True when udpconf was built with its cases (it always is: Udpconf.csproj embeds them).</summary>
    public static bool Present => Names().Any();

    /// <summary>Each built-in case file: its path under Conformance/cases ('/'-separated) and its text.</summary>
    public static IReadOnlyList<(string Path, string Text)> Texts()
    {
        var assembly = typeof(BuiltInCases).Assembly;
        var texts = new List<(string, string)>();
        foreach (var name in Names())
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            // As CaseFiles.Read reads a file: UTF-8, a byte order mark honoured.
            using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            texts.Add((name[ResourcePrefix.Length..].Replace('\\', '/'), reader.ReadToEnd()));
        }
        return texts;
    }

    /// <summary>The built-in cases, parsed (none when udpconf was built without them).</summary>
    public static IReadOnlyList<CaseFile> Load() => CaseLibrary.FromTexts(Texts(), "Conformance/cases");
}
