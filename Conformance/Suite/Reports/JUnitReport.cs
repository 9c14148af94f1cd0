using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Udpconf.Suite.Compare;

namespace Udpconf.Suite.Reports;

/// <summary>
/// JUnit XML as CI systems read it (Jenkins, GitLab, GitHub test reporters): one testsuite per profile and target,
/// one testcase per case (classname = its folder, name = its id). A failure's message is the first problem and its
/// body every problem with clause ids; Error verdicts (malformed cases, targets that broke) are errors; cases that
/// do not apply are skipped with the reason. Steps that did not apply in a case that did (the model does not say
/// them) are never silent: each testsuite and testcase has a notApplicableSteps property, and such a testcase lists
/// them with their reasons in its system-out (which Jenkins, GitLab and GitHub reporters show).
/// </summary>
public static class JUnitReport
{
    /// <param name="partial">Why the run stopped early (an interruption), or null for a whole run: a property of
    /// every suite.</param>
    public static string Write(IReadOnlyList<CaseResult> results, string? partial = null)
    {
        var suites = results
            .GroupBy(r => (r.Profile, r.Target))
            .Select(group => Suite(group.Key.Profile, group.Key.Target, group.ToArray()))
            .ToArray();
        if (partial is not null)
            foreach (var suite in suites)
            {
                var properties = suite.Element("properties");
                if (properties is null) suite.AddFirst(properties = new XElement("properties"));
                properties.Add(new XElement("property", new XAttribute("name", "partial"), new XAttribute("value", Clean(partial))));
            }
        var all = ReportText.Tally.Of(results);
        var root = new XElement("testsuites",
            new XAttribute("name", "udpconf"),
            new XAttribute("tests", all.Total),
            new XAttribute("failures", all.Fail),
            new XAttribute("errors", all.Error),
            new XAttribute("skipped", all.NotApplicable),
            new XAttribute("time", Seconds(results.Aggregate(TimeSpan.Zero, (sum, r) => sum + r.Duration))),
            suites);
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false), OmitXmlDeclaration = false };
        using var buffer = new Utf8StringWriter();
        using (var writer = XmlWriter.Create(buffer, settings)) new XDocument(root).Save(writer);
        return buffer.ToString() + "\n";
    }

    private static XElement Suite(string profile, string target, IReadOnlyList<CaseResult> results)
    {
        var tally = ReportText.Tally.Of(results);
        return new XElement("testsuite",
            // Targets that are per profile (model:linux) already say it.
            new XAttribute("name", Clean(target.EndsWith(":" + profile, StringComparison.Ordinal) ? target : $"{target} ({profile})")),
            new XAttribute("tests", tally.Total),
            new XAttribute("failures", tally.Fail),
            new XAttribute("errors", tally.Error),
            new XAttribute("skipped", tally.NotApplicable),
            new XAttribute("time", Seconds(results.Aggregate(TimeSpan.Zero, (sum, r) => sum + r.Duration))),
            new XElement("properties",
                new XElement("property", new XAttribute("name", "profile"), new XAttribute("value", Clean(profile))),
                new XElement("property", new XAttribute("name", "target"), new XAttribute("value", Clean(target))),
                new XElement("property", new XAttribute("name", "notApplicableSteps"), new XAttribute("value", tally.NotApplicableSteps))),
            results.Select(TestCase));
    }

    private static XElement TestCase(CaseResult result)
    {
        var element = new XElement("testcase",
            new XAttribute("classname", Clean(ReportText.Folder(result.CaseId))),
            new XAttribute("name", Clean(result.CaseId)),
            new XAttribute("file", Clean(result.File)),
            new XAttribute("time", Seconds(result.Duration)));
        switch (result.Kind)
        {
            case VerdictKind.Fail:
                element.Add(new XElement("failure",
                    new XAttribute("message", Clean(ReportText.FirstProblem(result))),
                    new XAttribute("type", "conformance"),
                    Clean(Body(result))));
                break;
            case VerdictKind.Error:
                element.Add(new XElement("error",
                    new XAttribute("message", Clean(ReportText.FirstProblem(result))),
                    new XAttribute("type", result.Case is null ? "malformed-case" : "error"),
                    Clean(Body(result))));
                break;
            case VerdictKind.NotApplicable:
                element.Add(new XElement("skipped", new XAttribute("message", Clean(ReportText.Reason(result) ?? "not applicable"))));
                break;
        }
        var notApplicable = ReportText.NotApplicableSteps(result);
        if (notApplicable.Count > 0)
            element.Add(new XElement("system-out", Clean(string.Join("\n", notApplicable.Select(s =>
                $"{ReportText.StepTitle(s)}: not applicable: {s.Reason}")) + "\n")));
        var properties = result.Clauses.Select(c => new XElement("property", new XAttribute("name", "clause"), new XAttribute("value", Clean(c)))).ToList();
        if (notApplicable.Count > 0)
            properties.Add(new XElement("property", new XAttribute("name", "notApplicableSteps"), new XAttribute("value", notApplicable.Count)));
        if (properties.Count > 0) element.AddFirst(new XElement("properties", properties));
        return element;
    }

    private static string Body(CaseResult result)
    {
        var text = new StringBuilder();
        text.AppendLine($"{result.CaseId} ({result.Profile}) on {result.Target}: {result.Kind}");
        if (result.Clauses.Count > 0) text.AppendLine("clauses: " + string.Join(" ", result.Clauses));
        text.AppendLine(ReportText.AllProblems(result));
        return text.ToString();
    }

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>XML 1.0 cannot carry most control characters, even escaped: every text and attribute goes through
    /// <see cref="SafeText"/>, so that no name, note or problem quoting raw bytes can make the writer throw.</summary>
    private static string Clean(string text) => SafeText.Text(text);

    /// <summary>A StringWriter that declares UTF-8, so that the XML declaration says what the file is written in.</summary>
    private sealed class Utf8StringWriter : StringWriter
    {
        public override Encoding Encoding => new UTF8Encoding(false);
    }
}
