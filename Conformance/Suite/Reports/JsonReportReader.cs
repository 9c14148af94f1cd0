using System.Globalization;
using System.Text.Json;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets;

namespace Udpconf.Suite.Reports;

/// <summary>One result of a JSON report read back: its JSON as the report holds it (a merged report copies it
/// untouched, so that it stays byte for byte what the run wrote) and the result rebuilt from it (for the JUnit,
/// Markdown, pcap and matrix reports, which are written from results).</summary>
/// <param name="Index">Its place in its report's results (from 0).</param>
/// <param name="Cut">The packets and RFC findings of its steps the report counted but did not write (beyond
/// <see cref="ReportText.PacketsShown"/> per step): the rebuilt result lacks them.</param>
public sealed record ReportedResult(JsonElement Json, CaseResult Result, int Index, int Cut = 0);

/// <summary>A JSON report read back: where it was, why its run stopped early (null for a whole run), its results.</summary>
/// <param name="Shard">The part of a sharded run the report holds, or null for a whole run.</param>
public sealed record ReportFile(string Path, string? Partial, IReadOnlyList<ReportedResult> Results, Shard? Shard = null);

/// <summary>A report read back, or why it cannot be (one line, naming the JSON path of the problem: <c>$.results[3].steps[1].predicted.clause: missing</c>).</summary>
public sealed record ReportRead(ReportFile? Report, string? Problem);

/// <summary>
/// Reads the JSON report <see cref="JsonReport"/> writes (format 1) back into results, for <c>udpconf merge</c>. A
/// report is data from elsewhere (a CI artifact, perhaps truncated or edited): it is read no further than
/// <see cref="MaxFileBytes"/>, every field is checked for presence and type, a field format 1 does not have is
/// refused (a merged report copies results as they are, and must hold nothing an unsharded run would not), and
/// every text the reports print is rebuilt and checked to print exactly as the report says, so that a merged
/// JUnit or Markdown report cannot quietly say something else than the run did. Problems are answers, not
/// exceptions.
/// <para>What a result cannot get back from format 1: a prediction's alternative errnos (another build's answer,
/// <see cref="Outcome.Alternatives"/>; one setsockopt of multicast-routing numbers has them), which Markdown and JUnit
/// print after a failing prediction; the counters and error queue of an observation, which no report prints; and a
/// step's packets and RFC findings beyond the first <see cref="ReportText.PacketsShown"/>, which the result counts in
/// <see cref="ReportedResult.Cut"/>.</para>
/// </summary>
public static class JsonReportReader
{
    /// <summary>A report larger than this (256 MiB) is refused unread: a run of every case on the model writes about
    /// 12 MB, and a report is held in memory while it is merged (about three times its size).</summary>
    public const long MaxFileBytes = 256L << 20;

    /// <summary>All the reports one merge reads together (1 GiB): a few hundred runs of every case.</summary>
    public const long MaxTotalBytes = 1L << 30;

    /// <summary>Format 1 nests 8 levels deep (a packet of an observation of a step of a result); more is not a report.</summary>
    public const int MaxDepth = 16;

    /// <summary>Whether the file begins as a udpconf JSON report does (<c>{"format":</c>, whitespace allowed): a folder
    /// searched for reports holds other JSON files too. Reads at most 256 bytes; false when it cannot be read.</summary>
    public static bool LooksLikeReport(string path)
    {
        var status = CaseFiles.Stat(path);
        if (status.Kind != CaseFiles.Kind.Regular) return false;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            var buffer = new byte[256];
            var length = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            var text = System.Text.Encoding.UTF8.GetString(buffer, 0, length).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
            if (!text.StartsWith('{')) return false;
            return text[1..].TrimStart(' ', '\t', '\r', '\n').StartsWith("\"format\"", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The report in the file at <paramref name="path"/>, or why it cannot be read.</summary>
    public static ReportRead Read(string path)
    {
        var status = CaseFiles.Stat(path);
        if (status.Error is { } error) return Refuse($"cannot read the file: {error}");
        if (status.Kind != CaseFiles.Kind.Regular) return Refuse("not a regular file; only regular files are read as reports");
        if (status.Size > MaxFileBytes) return Refuse(TooLarge(status.Size));
        byte[] bytes;
        try
        {
            // Read no further than the limit, whatever the size said (a file may grow while it is read).
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            bytes = new byte[Math.Min(MaxFileBytes + 1, status.Size + 1)];
            var length = 0;
            while (true)
            {
                if (length == bytes.Length)
                {
                    if (bytes.Length > MaxFileBytes) return Refuse(TooLarge(length));
                    Array.Resize(ref bytes, (int)Math.Min(MaxFileBytes + 1, bytes.Length * 2L));
                }
                var read = stream.Read(bytes, length, bytes.Length - length);
                if (read == 0) break;
                length += read;
            }
            if (length > MaxFileBytes) return Refuse(TooLarge(length));
            Array.Resize(ref bytes, length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Refuse($"cannot read the file: {SafeText.Line(e.Message)}");
        }
        return Parse(path, bytes);
    }

    /// <summary>The report in <paramref name="utf8"/> (the text of the file at <paramref name="path"/>), or why it
    /// cannot be read.</summary>
    public static ReportRead Parse(string path, ReadOnlyMemory<byte> utf8)
    {
        if (utf8.Span.StartsWith("\uFEFF"u8)) utf8 = utf8[3..];
        JsonDocument document;
        try
        {
            // The document is the merged report's source: it lives as long as the results read from it.
            document = JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException e)
        {
            return Refuse(utf8.Length == 0 ? "empty: not a JSON report" : $"not valid JSON (a truncated file?): {SafeText.Line(e.Message)}");
        }
        var fields = new Fields();
        var report = ReadReport(fields, path, document.RootElement);
        return fields.Problem is { } problem ? Refuse(problem) : new ReportRead(report, null);
    }

    private static ReportRead Refuse(string problem) => new(null, problem);

    private static string TooLarge(long size) =>
        $"{size} bytes, larger than the {MaxFileBytes >> 20} MiB a report may have (a run of every case writes about 12 MB); not read";

    private static readonly string[] RootFields = ["format", "partial", "shard", "summary", "results"];
    private static readonly string[] SummaryFields = ["total", "pass", "fail", "error", "notApplicable", "notApplicableSteps"];
    private static readonly string[] ResultFields =
        ["case", "file", "folder", "title", "profile", "target", "verdict", "reason", "notApplicableSteps", "durationMs", "clauses", "profiles", "features", "steps"];
    private static readonly string[] StepFields =
        ["index", "position", "line", "operation", "verdict", "reason", "caseChecks", "clauses", "caseExpects", "predicted", "expectedPackets",
         "expectedPacketsOmitted", "observed", "problems", "rfc", "rfcOmitted"];
    private static readonly string[] ExpectsFields = ["result", "packets"];
    private static readonly string[] PredictedFields = ["kind", "result", "clause", "note", "trace"];
    private static readonly string[] ObservedFields = ["kind", "result", "note", "optionValue", "packets", "packetsOmitted"];
    private static readonly string[] PacketFields = ["interface", "length", "hex"];
    private static readonly string[] ProblemFields = ["source", "what", "expected", "observed", "clause"];
    private static readonly string[] RfcFields = ["rule", "packet", "what"];

    private static ReportFile? ReadReport(Fields fields, string path, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format))
            return fields.Fail<ReportFile>("$", "no \"format\": not a udpconf JSON report");
        if (format.ValueKind != JsonValueKind.Number || !format.TryGetInt32(out var version) || version != JsonReport.FormatVersion)
            return fields.Fail<ReportFile>("$.format", $"{SafeText.Line(format.GetRawText(), 40)}, not {JsonReport.FormatVersion}: this udpconf reads reports of format {JsonReport.FormatVersion}");
        if (!fields.Object(root, "$", RootFields)) return null;
        var partial = fields.OptionalString(root, "$", "partial");
        var shardText = fields.OptionalString(root, "$", "shard");
        if (fields.Problem is not null) return null;
        Shard? shard = null;
        if (shardText is not null && (shard = Sharding.Parse(shardText)) is null)
            return fields.Fail<ReportFile>("$.shard", $"'{SafeText.Line(shardText, 40)}' is not a part I/N");
        var summary = fields.Child(root, "$", "summary", SummaryFields, nullable: false);
        var results = new List<ReportedResult>();
        var index = 0;
        foreach (var element in fields.Array(root, "$", "results"))
        {
            var at = $"$.results[{index}]";
            var (result, cut) = ReadResult(fields, at, element);
            if (fields.Problem is not null) return null;
            results.Add(new ReportedResult(element, result!, index++, cut));
        }
        if (fields.Problem is not null || summary is not { } counts) return null;
        // The summary is recomputed for a merged report; one that disagrees with the results is not the run's.
        var tally = ReportText.Tally.Of(results.Select(r => r.Result));
        int[] said = [.. SummaryFields.Select(name => fields.Int(counts, "$.summary", name))];
        if (fields.Problem is not null) return null;
        int[] counted = [tally.Total, tally.Pass, tally.Fail, tally.Error, tally.NotApplicable, tally.NotApplicableSteps];
        for (var i = 0; i < said.Length; i++)
            if (said[i] != counted[i])
                return fields.Fail<ReportFile>($"$.summary.{SummaryFields[i]}", $"{said[i]}, but the results count {counted[i]} (a report edited or cut short?)");
        return new ReportFile(path, partial, results, shard);
    }

    private static (CaseResult? Result, int Cut) ReadResult(Fields fields, string at, JsonElement element)
    {
        if (!fields.Object(element, at, ResultFields)) return (null, 0);
        var id = fields.String(element, at, "case");
        var file = fields.String(element, at, "file");
        var folder = fields.String(element, at, "folder");
        var title = fields.OptionalString(element, at, "title");
        var profile = fields.String(element, at, "profile");
        var target = fields.String(element, at, "target");
        var verdict = fields.Verdict(element, at, "verdict");
        var reason = fields.StringOrNull(element, at, "reason");
        var notApplicable = fields.Int(element, at, "notApplicableSteps");
        var milliseconds = fields.Number(element, at, "durationMs");
        var clauses = fields.Strings(element, at, "clauses");
        // A result of a case that parsed names its title, profiles and features; a malformed file's names none.
        var parsed = title is not null;
        var profiles = parsed ? fields.Strings(element, at, "profiles") : fields.Absent(element, at, "profiles");
        var features = parsed ? fields.Strings(element, at, "features") : fields.Absent(element, at, "features");
        var steps = new List<StepVerdict>();
        var cut = 0;
        var index = 0;
        foreach (var step in fields.Array(element, at, "steps"))
        {
            var (verdictOfStep, cutOfStep) = ReadStep(fields, $"{at}.steps[{index++}]", step);
            if (fields.Problem is not null) return (null, 0);
            steps.Add(verdictOfStep!);
            cut += cutOfStep;
        }
        if (fields.Problem is not null) return (null, 0);
        if (folder != ReportText.Folder(id)) return fields.Fail<(CaseResult?, int)>($"{at}.folder", $"'{SafeText.Line(folder, 80)}', but the folder of case '{SafeText.Line(id, 80)}' is '{ReportText.Folder(id)}'");
        if (!parsed && clauses.Count > 0)
            return fields.Fail<(CaseResult?, int)>($"{at}.clauses", "a result with no title (a malformed case file) names no clause");

        var @case = parsed
            ? new Case
            {
                Id = id,
                File = file,
                Title = title!,
                Clauses = clauses,
                Profiles = profiles,
                Features = [.. features.Select(name => new Feature(name))],
                Steps = [.. steps.Select(s => s.Step)],
            }
            : null;
        var duration = TimeSpan.FromTicks((long)Math.Round(milliseconds * TimeSpan.TicksPerMillisecond));
        var result = new CaseResult(id, file, @case, profile, target, verdict, steps, reason, duration);
        if (ReportText.NotApplicableSteps(result).Count != notApplicable)
            return fields.Fail<(CaseResult?, int)>($"{at}.notApplicableSteps", $"{notApplicable}, but {ReportText.NotApplicableSteps(result).Count} of its steps are not applicable");
        return (result, cut);
    }

    private static (StepVerdict? Step, int Cut) ReadStep(Fields fields, string at, JsonElement element)
    {
        if (!fields.Object(element, at, StepFields)) return (null, 0);
        var number = fields.Int(element, at, "index");
        var positionText = fields.String(element, at, "position");
        var line = fields.Int(element, at, "line");
        var text = fields.String(element, at, "operation");
        var kind = fields.Verdict(element, at, "verdict");
        var reason = fields.StringOrNull(element, at, "reason");
        var caseChecks = fields.Int(element, at, "caseChecks");
        var clauses = fields.Strings(element, at, "clauses");
        var expects = fields.Child(element, at, "caseExpects", ExpectsFields, nullable: false);
        var predicted = fields.Child(element, at, "predicted", PredictedFields, nullable: true) is { } p ? Predicted(fields, $"{at}.predicted", p) : null;
        var expectedPackets = Packets(fields, element, at, "expectedPackets", withInterface: false).Select(x => x.Bytes).ToArray();
        var cut = fields.OptionalInt(element, at, "expectedPacketsOmitted");
        var observed = fields.Child(element, at, "observed", ObservedFields, nullable: true) is { } o ? Observed(fields, $"{at}.observed", o, ref cut) : null;
        var problems = new List<Problem>();
        var index = 0;
        foreach (var problem in fields.Array(element, at, "problems"))
            if (ProblemOf(fields, $"{at}.problems[{index++}]", problem) is { } read) problems.Add(read);
        var findings = new List<RfcFinding>();
        index = 0;
        foreach (var finding in fields.Array(element, at, "rfc"))
        {
            var where = $"{at}.rfc[{index++}]";
            if (fields.Object(finding, where, RfcFields))
                findings.Add(new RfcFinding(fields.String(finding, where, "rule"), fields.Int(finding, where, "packet"), fields.String(finding, where, "what")));
        }
        cut += fields.OptionalInt(element, at, "rfcOmitted");
        if (fields.Problem is not null || expects is not { } expectsElement) return (null, 0);

        if (number < 1) return fields.Fail<(StepVerdict?, int)>($"{at}.index", $"{number}: steps are numbered from 1");
        if (Position(positionText) is not { } position || position.Line != line)
            return fields.Fail<(StepVerdict?, int)>($"{at}.position", $"'{SafeText.Line(positionText, 80)}' is not file:{line}:column");
        var expectedResult = fields.StringOrNull(expectsElement, $"{at}.caseExpects", "result");
        var packetCount = fields.IntOrNull(expectsElement, $"{at}.caseExpects", "packets");
        if (fields.Problem is not null) return (null, 0);
        ResultExpectation? expectation = null;
        if (expectedResult is not null && (expectation = Expectation(expectedResult)) is null)
            return fields.Fail<(StepVerdict?, int)>($"{at}.caseExpects.result", $"'{SafeText.Line(expectedResult, 80)}' is not a result a case expects");

        var step = new Step(number - 1, position, text, new ReportedOperation(text), new StepExpectation { Result = expectation, PacketCount = packetCount });
        var verdict = new StepVerdict(step, kind, problems, predicted, expectedPackets, observed, reason, caseChecks) { Rfc = findings };
        // The clauses the report names are those of the prediction and the problems: rebuilt, they must be the same.
        if (!verdict.Clauses.Select(c => c.Id).SequenceEqual(clauses))
            return fields.Fail<(StepVerdict?, int)>($"{at}.clauses", $"[{string.Join(", ", clauses)}], but its prediction and problems name [{string.Join(", ", verdict.Clauses)}]");
        return (verdict, cut);
    }

    private static Outcome? Predicted(Fields fields, string at, JsonElement element)
    {
        var kind = fields.Enum<OutcomeKind>(element, at, "kind");
        var result = fields.String(element, at, "result");
        var clause = fields.Clause(element, at, "clause", nullable: false);
        var note = fields.StringOrNull(element, at, "note");
        var trace = fields.Strings(element, at, "trace");
        if (fields.Problem is not null) return null;
        var steps = new List<Clause>();
        foreach (var (id, i) in trace.Select((id, i) => (id, i)))
        {
            if (Reference.Clause.Find(id) is not { } found) return fields.Fail<Outcome>($"{at}.trace[{i}]", Unknown(id));
            steps.Add(found);
        }
        var (value, errno) = ValueOrErrno(kind, result);
        var outcome = new Outcome { Kind = kind, Value = value, Error = errno, Clause = clause!.Value, Trace = steps, Note = note };
        var again = kind switch
        {
            OutcomeKind.Value => outcome.Value.ToString(),
            OutcomeKind.Error => outcome.Error.ToString(),
            OutcomeKind.KernelFault => "fault",
            OutcomeKind.Blocks => "blocks",
            _ => kind.ToString(),
        };
        return again == result ? outcome : fields.Fail<Outcome>($"{at}.result", $"'{SafeText.Line(result, 80)}' is not a result of kind {kind}");
    }

    private static Observation? Observed(Fields fields, string at, JsonElement element, ref int cut)
    {
        var kind = fields.Enum<OutcomeKind>(element, at, "kind");
        var result = fields.String(element, at, "result");
        var note = fields.StringOrNull(element, at, "note");
        var option = fields.OptionalString(element, at, "optionValue");
        var packets = Packets(fields, element, at, "packets", withInterface: true);
        cut += fields.OptionalInt(element, at, "packetsOmitted");
        if (fields.Problem is not null) return null;
        byte[]? optionBytes = null;
        if (option is not null && (optionBytes = Hex(option)) is null)
            return fields.Fail<Observation>($"{at}.optionValue", "not lowercase hex");
        var (value, errno) = ValueOrErrno(kind, result);
        var observation = new Observation(kind, value, errno, [.. packets.Select(p => new ObservedPacket(p.Interface!, p.Bytes))],
            // Typed: a bare null would become an empty option value through byte[]'s conversion to ReadOnlyMemory.
            optionBytes is null ? (ReadOnlyMemory<byte>?)null : new ReadOnlyMemory<byte>(optionBytes), Note: note);
        return observation.Describe() == result
            ? observation
            : fields.Fail<Observation>($"{at}.result", $"'{SafeText.Line(result, 80)}' is not a result of kind {kind}{(note is null ? "" : " with its note")}");
    }

    private static Problem? ProblemOf(Fields fields, string at, JsonElement element)
    {
        if (!fields.Object(element, at, ProblemFields)) return null;
        var source = fields.String(element, at, "source");
        var what = fields.String(element, at, "what");
        var expected = fields.String(element, at, "expected");
        var observed = fields.String(element, at, "observed");
        var clause = fields.Clause(element, at, "clause", nullable: true);
        if (fields.Problem is not null) return null;
        var kind = System.Enum.GetValues<ProblemSource>().Cast<ProblemSource?>().FirstOrDefault(s => s!.Value.ToString().ToLowerInvariant() == source);
        return kind is { } found
            ? new Problem(found, what, expected, observed, clause)
            : fields.Fail<Problem>($"{at}.source", $"'{SafeText.Line(source, 40)}' is not model, case or target");
    }

    private static List<(string? Interface, byte[] Bytes)> Packets(Fields fields, JsonElement element, string at, string name, bool withInterface)
    {
        var packets = new List<(string?, byte[])>();
        var index = 0;
        foreach (var packet in fields.Array(element, at, name))
        {
            var where = $"{at}.{name}[{index++}]";
            if (!fields.Object(packet, where, withInterface ? PacketFields : PacketFields[1..])) continue;
            var link = withInterface ? fields.String(packet, where, "interface") : null;
            var length = fields.Int(packet, where, "length");
            var hex = fields.String(packet, where, "hex");
            if (fields.Problem is not null) return packets;
            if (Hex(hex) is not { } bytes) fields.Fail($"{where}.hex", "not lowercase hex");
            else if (bytes.Length != length) fields.Fail($"{where}.length", $"{length}, but its hex holds {bytes.Length} bytes");
            else packets.Add((link, bytes));
        }
        return packets;
    }

    /// <summary>The bytes of lowercase hex as <see cref="ReportText.Hex"/> writes it, or null.</summary>
    private static byte[]? Hex(string hex)
    {
        if (hex.Length % 2 != 0 || hex.Any(c => c is not (>= '0' and <= '9' or >= 'a' and <= 'f'))) return null;
        return Convert.FromHexString(hex);
    }

    private static (long Value, Errno? Error) ValueOrErrno(OutcomeKind kind, string result) => kind switch
    {
        OutcomeKind.Value when long.TryParse(result, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) => (value, null),
        OutcomeKind.Error when System.Enum.TryParse<Errno>(result, out var errno) => (0, errno),
        _ => (0, null),
    };

    /// <summary>A step's position as <see cref="SourcePosition"/> writes it, <c>file:line:column</c> (the file may hold ':').</summary>
    private static SourcePosition? Position(string text)
    {
        var column = text.LastIndexOf(':');
        var line = column <= 0 ? -1 : text.LastIndexOf(':', column - 1);
        if (line < 0) return null;
        if (!int.TryParse(text.AsSpan(line + 1, column - line - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var lineNumber) ||
            !int.TryParse(text.AsSpan(column + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var columnNumber))
            return null;
        var position = new SourcePosition(text[..line], lineNumber, columnNumber);
        return position.ToString() == text ? position : null;
    }

    /// <summary>A case's own expected result as <see cref="ResultExpectation.ToString"/> writes it (<c>EINVAL|EPERM
    /// [clause]</c>, <c>10</c>, <c>a value</c>, <c>fault</c>, <c>blocks</c>), or null when it reads otherwise.</summary>
    private static ResultExpectation? Expectation(string text)
    {
        var body = text;
        Clause? clause = null;
        var open = text.LastIndexOf(" [", StringComparison.Ordinal);
        if (open >= 0 && text.EndsWith(']'))
        {
            if (Reference.Clause.Find(text[(open + 2)..^1]) is not { } found) return null;
            clause = found;
            body = text[..open];
        }
        ResultExpectation? expectation = body switch
        {
            "a value" => new(null, [], OutcomeKind.Value, clause),
            "fault" => new(null, [], OutcomeKind.KernelFault, clause),
            "blocks" => new(null, [], OutcomeKind.Blocks, clause),
            _ when long.TryParse(body, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) => new(value, [], OutcomeKind.Value, clause),
            _ when System.Enum.TryParse<OutcomeKind>(body, out var kind) && kind.ToString() == body => new(null, [], kind, clause),
            _ => Errnos(body) is { } errnos ? new(null, errnos, OutcomeKind.Error, clause) : null,
        };
        return expectation?.ToString() == text ? expectation : null;

        static Errno[]? Errnos(string body)
        {
            var names = body.Split('|');
            var errnos = new Errno[names.Length];
            for (var i = 0; i < names.Length; i++)
                if (!System.Enum.TryParse(names[i], out errnos[i]) || errnos[i].ToString() != names[i]) return null;
            return errnos;
        }
    }

    private static string Unknown(string id) => $"'{SafeText.Line(id, 80)}' is not a clause id of this udpconf (a report of another version?)";

    /// <summary>A step's operation as a report names it: format 1 keeps its text (<see cref="Step.Text"/>), not its
    /// arguments, and no report reads more of it than the text.</summary>
    public sealed record ReportedOperation(string Text) : Operation;

    /// <summary>
    /// Reads the fields of a report's objects, keeping the first problem with its JSON path: each reader answers a
    /// default when the field is missing or of the wrong type, so a whole object is read in one go and judged once
    /// (<see cref="Problem"/>), without exceptions.
    /// </summary>
    private sealed class Fields
    {
        public string? Problem { get; private set; }

        public void Fail(string path, string what) => Problem ??= $"{path}: {what}";

        /// <summary>Records the problem and answers nothing, for a caller to return.</summary>
        public T? Fail<T>(string path, string what)
        {
            Fail(path, what);
            return default;
        }

        /// <summary>True when <paramref name="element"/> is an object of <paramref name="allowed"/> fields, each once.</summary>
        public bool Object(JsonElement element, string at, IReadOnlyCollection<string> allowed)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                Fail(at, $"{Describe(element.ValueKind)}, not an object");
                return false;
            }
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in element.EnumerateObject())
            {
                string name;
                try { name = property.Name; }
                catch (InvalidOperationException) { Fail(at, "a field name that is not valid UTF-8"); return false; }
                if (!allowed.Contains(name))
                {
                    Fail($"{at}.{SafeText.Line(name, 40)}", $"not a field of a format-{JsonReport.FormatVersion} report");
                    return false;
                }
                if (!seen.Add(name))
                {
                    Fail($"{at}.{name}", "given twice");
                    return false;
                }
            }
            return true;
        }

        private JsonElement? Get(JsonElement element, string at, string name, JsonValueKind kind, bool nullable, bool optional = false)
        {
            if (element.ValueKind != JsonValueKind.Object) return null;
            if (!element.TryGetProperty(name, out var value))
            {
                if (!optional) Fail($"{at}.{name}", "missing");
                return null;
            }
            if (value.ValueKind == kind) return value;
            if (nullable && value.ValueKind == JsonValueKind.Null) return null;
            Fail($"{at}.{name}", $"{Describe(value.ValueKind)}, not {Describe(kind)}{(nullable ? " or null" : "")}");
            return null;
        }

        private string? Text(JsonElement? value, string at, string name)
        {
            if (value is not { } element) return null;
            try { return element.GetString(); }
            catch (InvalidOperationException) { Fail($"{at}.{name}", "not valid UTF-8"); return null; }
        }

        public string String(JsonElement element, string at, string name) => Text(Get(element, at, name, JsonValueKind.String, false), at, name) ?? "";

        public string? StringOrNull(JsonElement element, string at, string name) => Text(Get(element, at, name, JsonValueKind.String, true), at, name);

        /// <summary>A string that may be left out (not null).</summary>
        public string? OptionalString(JsonElement element, string at, string name) => Text(Get(element, at, name, JsonValueKind.String, false, optional: true), at, name);

        /// <summary>Nothing: the field must be left out.</summary>
        public IReadOnlyList<string> Absent(JsonElement element, string at, string name)
        {
            if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out _))
                Fail($"{at}.{name}", "given for a result with no title (a malformed case file)");
            return [];
        }

        public int Int(JsonElement element, string at, string name) => IntOrNull(element, at, name, nullable: false) ?? 0;

        public int? IntOrNull(JsonElement element, string at, string name) => IntOrNull(element, at, name, nullable: true);

        /// <summary>A count that is left out when it is 0 (the <c>…Omitted</c> counts).</summary>
        public int OptionalInt(JsonElement element, string at, string name)
        {
            var value = Get(element, at, name, JsonValueKind.Number, false, optional: true);
            if (value is null) return 0;
            if (value.Value.TryGetInt32(out var count) && count > 0) return count;
            Fail($"{at}.{name}", $"{SafeText.Line(value.Value.GetRawText(), 40)}, not a count above 0");
            return 0;
        }

        private int? IntOrNull(JsonElement element, string at, string name, bool nullable)
        {
            if (Get(element, at, name, JsonValueKind.Number, nullable) is not { } value) return null;
            if (value.TryGetInt32(out var number) && number >= 0) return number;
            Fail($"{at}.{name}", $"{SafeText.Line(value.GetRawText(), 40)}, not a whole number from 0 to {int.MaxValue}");
            return null;
        }

        public double Number(JsonElement element, string at, string name)
        {
            if (Get(element, at, name, JsonValueKind.Number, false) is not { } value) return 0;
            if (value.TryGetDouble(out var number) && number >= 0 && number <= TimeSpan.MaxValue.TotalMilliseconds / 2) return number;
            Fail($"{at}.{name}", $"{SafeText.Line(value.GetRawText(), 40)}, not a duration in milliseconds");
            return 0;
        }

        public IReadOnlyList<string> Strings(JsonElement element, string at, string name)
        {
            var values = new List<string>();
            var index = 0;
            foreach (var item in Array(element, at, name))
            {
                var where = $"{name}[{index++}]";
                if (item.ValueKind != JsonValueKind.String) Fail($"{at}.{where}", $"{Describe(item.ValueKind)}, not a string");
                else if (Text(item, at, where) is { } text) values.Add(text);
            }
            return values;
        }

        public IEnumerable<JsonElement> Array(JsonElement element, string at, string name) =>
            Get(element, at, name, JsonValueKind.Array, false) is { } array ? array.EnumerateArray() : [];

        /// <summary>An object field (or null, where <paramref name="nullable"/>) of the fields <paramref name="allowed"/>.</summary>
        public JsonElement? Child(JsonElement element, string at, string name, IReadOnlyCollection<string> allowed, bool nullable) =>
            Get(element, at, name, JsonValueKind.Object, nullable) is { } child && Object(child, $"{at}.{name}", allowed) ? child : null;

        public VerdictKind Verdict(JsonElement element, string at, string name)
        {
            var text = String(element, at, name);
            if (Problem is not null) return default;
            if (VerdictNames.Parse(text) is { } kind) return kind;
            Fail($"{at}.{name}", $"'{SafeText.Line(text, 40)}' is not {string.Join(", ", VerdictNames.All.Select(k => k.Name()))}");
            return default;
        }

        public T Enum<T>(JsonElement element, string at, string name) where T : struct, System.Enum
        {
            var text = String(element, at, name);
            if (Problem is not null) return default;
            if (System.Enum.TryParse<T>(text, out var value) && System.Enum.IsDefined(value) && value.ToString() == text) return value;
            Fail($"{at}.{name}", $"'{SafeText.Line(text, 40)}' is not one of {string.Join(", ", System.Enum.GetNames<T>())}");
            return default;
        }

        public Clause? Clause(JsonElement element, string at, string name, bool nullable)
        {
            var id = nullable ? StringOrNull(element, at, name) : String(element, at, name);
            if (id is null || Problem is not null) return null;
            if (Reference.Clause.Find(id) is { } clause) return clause;
            Fail($"{at}.{name}", Unknown(id));
            return null;
        }

        private static string Describe(JsonValueKind kind) => kind switch
        {
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            JsonValueKind.Null => "null",
            _ => "nothing",
        };
    }
}
