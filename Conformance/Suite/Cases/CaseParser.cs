using Udpconf.Suite.Reports;
using Udpconf.Reference;
using Udpconf.Reference.Host;

namespace Udpconf.Suite.Cases;

/// <summary>
/// Reads a case file (grammar in Conformance/CASES.md). Every malformed line gives a diagnostic with its file, line
/// and column; the parser never throws, and a case with any diagnostic is not run.
/// </summary>
public static class CaseParser
{

    public sealed record ParseResult(Case? Case, IReadOnlyList<Diagnostic> Diagnostics);

    /// <summary>Reads and parses one case file; a file that is not a regular one, is larger than
    /// <see cref="CaseLimits.FileBytes"/>, cannot be read or has a control character in its name gives a diagnostic
    /// instead (<see cref="CaseFiles.Read"/>).</summary>
    public static ParseResult ParseFile(string path, string casesRoot)
    {
        var id = CaseLibrary.IdOf(casesRoot, path);
        var name = Path.GetRelativePath(casesRoot, path);
        if (SafeText.FirstForbidden(name) is var bad and >= 0)
            return Failed(path, $"the file's name has a control character ({SafeText.Line(name[bad].ToString())}); rename it");
        var (text, problem) = CaseFiles.Read(path);
        return text is null ? Failed(path, problem!) : Parse(path, id, text);
    }

    private static ParseResult Failed(string path, string problem) =>
        new(null, [new Diagnostic(new SourcePosition(path, 0, 0), problem)]);

    public static ParseResult Parse(string file, string id, string text)
    {
        var diagnostics = new List<Diagnostic>();
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var title = new List<string>();
        string[]? clauses = null;
        string[] profiles = ["spec", "linux"];
        Feature[] features = [];
        var host = new HostLines();
        var hostGiven = false;
        var steps = new List<Step>();
        var section = "header";
        StepBuilder? current = null;
        var sawContent = false;
        var data = new DataBudget();
        var operationFailed = false; // the expectations under a malformed operation say nothing more

        var n = 0;
        for (; n < lines.Length && diagnostics.Count < CaseLimits.Diagnostics; n++)
        {
            var raw = lines[n];
            if (SafeText.FirstForbidden(raw) is var bad and >= 0)
            {
                // Never kept, so never echoed: a case that runs holds no control character in its title or steps.
                diagnostics.Add(new Diagnostic(new SourcePosition(file, n + 1, bad + 1),
                    $"control character {SafeText.Line(raw[bad].ToString())} in the line (write bytes as \\xHH inside quoted text)"));
                continue;
            }
            var line = StripComment(raw);
            var position = new SourcePosition(file, n + 1, 1);
            if (line.Trim().Length == 0)
            {
                if (!sawContent && raw.TrimStart().StartsWith('#')) title.Add(raw.TrimStart().TrimStart('#').Trim());
                continue;
            }
            sawContent = true;
            var indent = line.Length - line.TrimStart().Length;
            try
            {
                var reader = new LineReader(line);
                var first = reader.Peek!.Value;
                if (indent == 0 && first.Text.EndsWith(':'))
                {
                    var key = first.Text[..^1].ToLowerInvariant();
                    switch (key)
                    {
                        case "host" or "steps":
                            reader.Next("section");
                            reader.ExpectEnd();
                            if (key == "host") hostGiven = true;
                            section = key;
                            continue;
                        case "clauses" or "profiles" or "features" or "title" when section == "header":
                            reader.Next(key);
                            var words = new List<Token>();
                            while (!reader.AtEnd) words.Add(reader.Next("a word"));
                            switch (key)
                            {
                                case "clauses": clauses = CheckClauses(words, position, diagnostics); break;
                                case "profiles": profiles = CheckProfiles(words, position, diagnostics); break;
                                case "features": features = CheckFeatures(words, position, diagnostics); break;
                                case "title": title = [string.Join(' ', words.Select(QuotedText.Unquoted))]; break;
                            }
                            continue;
                        default:
                            throw new CaseSyntaxException(first.Column, $"unknown section or header '{first.Text}' (expected clauses:, profiles:, features:, title:, host: or steps:)");
                    }
                }
                switch (section)
                {
                    case "host":
                        host.AtLine(n + 1);
                        host.Add(reader);
                        break;
                    case "steps":
                        if (StepBuilder.IsExpectation(first.Text))
                        {
                            if (current is null && operationFailed) break;
                            if (current is null) throw new CaseSyntaxException(first.Column, "an expectation must follow an operation");
                            current.AddExpectation(reader, position);
                        }
                        else
                        {
                            if (current is not null) steps.Add(current.Build());
                            current = null;
                            if (steps.Count >= CaseLimits.Steps)
                            {
                                diagnostics.Add(new Diagnostic(position with { Column = indent + 1 },
                                    $"more than {CaseLimits.Steps} steps in one case (the limit); split the case"));
                                break;
                            }
                            operationFailed = true;
                            current = new StepBuilder(steps.Count, position with { Column = indent + 1 }, line.Trim(), OperationLines.Read(reader, data));
                            operationFailed = false;
                        }
                        break;
                    default:
                        throw new CaseSyntaxException(first.Column, "expected a header (clauses:, profiles:, features:) or a section (host:, steps:)");
                }
            }
            catch (CaseSyntaxException e)
            {
                diagnostics.Add(new Diagnostic(position with { Column = e.Column }, e.Message));
            }
            if (steps.Count >= CaseLimits.Steps && current is null) break;
        }
        if (diagnostics.Count >= CaseLimits.Diagnostics && n < lines.Length)
            diagnostics.Add(new Diagnostic(diagnostics[^1].Position, $"{CaseLimits.Diagnostics} problems (the limit); the rest of the file was not read"));
        if (current is not null) steps.Add(current.Build());

        var lastContent = Array.FindLastIndex(lines, l => StripComment(l).Trim().Length > 0);
        var end = new SourcePosition(file, Math.Max(lastContent + 1, 1), 1);
        if (clauses is null) diagnostics.Add(new Diagnostic(new SourcePosition(file, 1, 1), "missing 'clauses:' header"));
        if (steps.Count == 0) diagnostics.Add(new Diagnostic(end, "no steps"));
        var hostConfig = hostGiven ? host.Build(file, diagnostics) : HostConfig.Default;
        if (diagnostics.Count > 0) return new ParseResult(null, diagnostics);
        return new ParseResult(new Case
        {
            Id = id,
            File = file,
            Title = string.Join(' ', title).Trim(),
            Clauses = clauses!,
            Profiles = profiles,
            Features = features,
            Host = hostConfig,
            Steps = steps,
        }, diagnostics);
    }

    private static string StripComment(string line)
    {
        var inQuote = false;
        for (var i = 0; i < line.Length; i++)
        {
            if (inQuote && line[i] == '\\') i++; // an escape: \" does not end the quoted text
            else if (line[i] == '"') inQuote = !inQuote;
            else if (line[i] == '#' && !inQuote && StartsComment(line, i)) return line[..i];
        }
        return line;
    }

    /// <summary>A '#' is a comment at the start of a line, or after a blank when a blank or the end follows; so
    /// "#99" stays a raw descriptor.</summary>
    private static bool StartsComment(string line, int i) =>
        line[..i].Trim().Length == 0 ||
        (char.IsWhiteSpace(line[i - 1]) && (i + 1 == line.Length || char.IsWhiteSpace(line[i + 1])));

    private static string[] CheckClauses(List<Token> words, SourcePosition position, List<Diagnostic> diagnostics)
    {
        var known = ClauseId.Catalog.Concat(ClauseId.Additions).ToHashSet();
        foreach (var word in words.Where(w => !known.Contains(w.Text)))
            diagnostics.Add(new Diagnostic(position with { Column = word.Column }, $"unknown clause id '{word.Text}'"));
        if (words.Count == 0) diagnostics.Add(new Diagnostic(position, "'clauses:' names no clause"));
        return words.Select(w => w.Text).ToArray();
    }

    private static string[] CheckProfiles(List<Token> words, SourcePosition position, List<Diagnostic> diagnostics)
    {
        foreach (var word in words.Where(w => Profile.Find(w.Text) is null))
            diagnostics.Add(new Diagnostic(position with { Column = word.Column }, $"unknown profile '{word.Text}' ({string.Join(", ", Profile.All.Concat(Profile.KernelLines).Select(p => p.Name))})"));
        if (words.Count == 0) diagnostics.Add(new Diagnostic(position, "'profiles:' names no profile"));
        return words.Select(w => w.Text).ToArray();
    }

    private static Feature[] CheckFeatures(List<Token> words, SourcePosition position, List<Diagnostic> diagnostics)
    {
        var features = new List<Feature>();
        foreach (var word in words)
            if (Feature.Parse(word.Text) is { } feature) features.Add(feature);
            else diagnostics.Add(new Diagnostic(position with { Column = word.Column }, $"unknown feature '{word.Text}' ({string.Join(", ", Feature.Known)})"));
        return features.ToArray();
    }

}
