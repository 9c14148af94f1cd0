using System.Text.Json;

namespace Udpconf.Suite.Mutation;

/// <summary>One mutant of Stryker.NET's JSON report (the mutation-testing-elements schema), with the source text it
/// replaced and the line that text starts on, which identify it across runs better than its line number.</summary>
/// <param name="Static">Stryker's "static": the mutant sits where code runs once per process (a static initializer), so
/// switching it while tests run does nothing, and one switched on as a test host starts stays on for the mutants after
/// it in that host.</param>
/// <param name="Id">Stryker's id of the mutant: the number its MutantControl switches on (STRYKER_MUTANT_FILE).</param>
/// <param name="KilledBy">The names of the tests the run says failed against it.</param>
public sealed record Mutant(
    string File, int Line, int Column, string Mutator, string Original, string Replacement, string Status, string LineText,
    bool Static = false, string Id = "", IReadOnlyList<string>? KilledBy = null)
{
    /// <summary>Stryker counts killed and timed-out mutants as detected, survived and uncovered ones as not.</summary>
    public bool Detected => Status is "Killed" or "Timeout";
    public bool Undetected => Status is "Survived" or "NoCoverage";

    /// <summary>What names this mutant in the list of equivalent mutants: the file, the mutator, what it replaced
    /// by what, and the trimmed line it sits on (line numbers move as the file changes; the line's text rarely).</summary>
    public string Key => $"{File}|{Mutator}|{Original}|{Replacement}|{LineText}";
}

/// <summary>Reads the <c>mutation-report.json</c> that Stryker's Json reporter writes.</summary>
public static class StrykerReport
{
    /// <summary>The report's mutants whose file lies under <paramref name="projectFolder"/>, with paths relative to it
    /// (forward slashes). A report that is not the schema's shape is an error naming the report and the problem.</summary>
    public static IReadOnlyList<Mutant> Read(string reportPath, string projectFolder)
    {
        using var document = ParseOrThrow(reportPath);
        if (!document.RootElement.TryGetProperty("files", out var files) || files.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{reportPath}: no \"files\" object: not a Stryker mutation report");
        var mutants = new List<Mutant>();
        var root = Path.GetFullPath(projectFolder);
        var testNames = TestNames(document.RootElement);
        foreach (var file in files.EnumerateObject())
        {
            var full = Path.GetFullPath(file.Name, root);
            var relative = Path.GetRelativePath(root, full).Replace('\\', '/');
            if (relative.StartsWith("..", StringComparison.Ordinal))
            {
                // A report made in another checkout (a clone run beside this one): the path below its folder of the same name.
                var path = full.Replace('\\', '/');
                var folder = "/" + Path.GetFileName(root) + "/";
                var at = path.LastIndexOf(folder, StringComparison.Ordinal);
                if (at < 0) continue;
                relative = path[(at + folder.Length)..];
            }
            var source = file.Value.TryGetProperty("source", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "";
            var lines = source.Split('\n');
            if (!file.Value.TryGetProperty("mutants", out var list) || list.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"{reportPath}: {file.Name}: no \"mutants\" array");
            foreach (var mutant in list.EnumerateArray())
                mutants.Add(ReadMutant(reportPath, relative, lines, mutant, testNames));
        }
        return mutants;
    }

    private static JsonDocument ParseOrThrow(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: line {e.LineNumber + 1}: not JSON: {e.Message}");
        }
    }

    /// <summary>The names of the report's tests by id (testFiles.*.tests[]: id, name); none in a report without them.</summary>
    private static Dictionary<string, string> TestNames(JsonElement root)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!root.TryGetProperty("testFiles", out var files) || files.ValueKind != JsonValueKind.Object) return names;
        foreach (var file in files.EnumerateObject())
        {
            if (!file.Value.TryGetProperty("tests", out var tests) || tests.ValueKind != JsonValueKind.Array) continue;
            foreach (var test in tests.EnumerateArray())
                if (test.ValueKind == JsonValueKind.Object && test.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
                    && test.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
                    names[id.GetString()!] = name.GetString()!;
        }
        return names;
    }

    private static Mutant ReadMutant(string report, string file, string[] lines, JsonElement mutant, Dictionary<string, string> testNames)
    {
        string Text(string name) => mutant.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()! : throw new InvalidDataException($"{report}: {file}: a mutant without \"{name}\"");
        (int Line, int Column) Position(string which) =>
            mutant.TryGetProperty("location", out var location) && location.TryGetProperty(which, out var at)
            && at.TryGetProperty("line", out var line) && line.TryGetInt32(out var l)
            && at.TryGetProperty("column", out var column) && column.TryGetInt32(out var c)
                ? (l, c) : throw new InvalidDataException($"{report}: {file}: a mutant without location.{which}");
        var start = Position("start");
        var end = Position("end");
        return new Mutant(file, start.Line, start.Column, Text("mutatorName"), Span(lines, start, end),
            Text("replacement"), Text("status"), start.Line >= 1 && start.Line <= lines.Length ? lines[start.Line - 1].Trim() : "",
            mutant.TryGetProperty("static", out var isStatic) && isStatic.ValueKind == JsonValueKind.True,
            mutant.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString()! : "",
            mutant.TryGetProperty("killedBy", out var killers) && killers.ValueKind == JsonValueKind.Array
                ? killers.EnumerateArray().Where(k => k.ValueKind == JsonValueKind.String)
                    .Select(k => testNames.GetValueOrDefault(k.GetString()!, k.GetString()!)).ToArray()
                : []);
    }

    /// <summary>The source between two 1-based positions (end exclusive), whitespace runs folded to one space.</summary>
    private static string Span(string[] lines, (int Line, int Column) start, (int Line, int Column) end)
    {
        if (start.Line < 1 || end.Line > lines.Length || end.Line < start.Line) return "";
        var parts = new List<string>();
        for (var line = start.Line; line <= end.Line; line++)
        {
            var text = lines[line - 1].TrimEnd('\r');
            var from = line == start.Line ? Math.Clamp(start.Column - 1, 0, text.Length) : 0;
            var to = line == end.Line ? Math.Clamp(end.Column - 1, from, text.Length) : text.Length;
            parts.Add(text[from..to]);
        }
        return Fold(string.Join(" ", parts));
    }

    public static string Fold(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
