using Udpconf.Suite.Reports;
using System.Text;
using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Udpconf.Reference;
using Udpconf.Suite;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Model;
using Xunit;

namespace Udpconf.Properties;

/// <summary>One change to a case text: what to do (<paramref name="Kind"/>), where (a line, a place in it) and
/// with what (an index into a pool).</summary>
public sealed record Mutation(int Kind, int Line, int Place, int Pick);

/// <summary>A case file of Conformance/cases with mutations applied; printed as its text, so that a failure shows the
/// file to replay with <c>udpconf check</c>.</summary>
public sealed record MutatedCase(string Name, IReadOnlyList<Mutation> Mutations)
{
    public string Text => CaseFileFuzz.Apply(CaseFileFuzz.Corpus.Value[Name], Mutations);
    public override string ToString() => $"{Name} with {string.Join(", ", Mutations)}:\n{Text}";
}

/// <summary>
/// Hostile case files never crash udpconf (issue 11): every case file of the suite, mutated with huge and negative
/// numbers, control characters, long lines, deleted, duplicated and swapped lines and random words, parses to a
/// case or diagnostics without throwing; its diagnostics carry no control character; and a case that parses runs
/// on the model in both profiles without throwing.
/// </summary>
public class CaseFileFuzz
{
    public static readonly Lazy<IReadOnlyDictionary<string, string>> Corpus = new(() =>
    {
        var folder = CaseLibrary.DefaultFolder(SpecMap.FindRoot(AppContext.BaseDirectory)!);
        return Directory.EnumerateFiles(folder, "*.case", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .ToDictionary(path => Path.GetRelativePath(folder, path), File.ReadAllText);
    });

    private static readonly Lazy<string[]> Words = new(() =>
        Corpus.Value.Values.SelectMany(t => t.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).Distinct().Order(StringComparer.Ordinal).ToArray());

    private static readonly string[] Numbers =
    [
        "99999999999", "2147483648", "2147483647", "-2147483648", "-2147483649", "4294967295", "4294967296",
        "9223372036854775807", "9223372036854775808", "-9223372036854775809", "0x7fffffffffffffff", "0xffffffffffffffff",
        "0x", "-0", "-1", "1048576", "1048577", "65535", "65536", "0", "1024", "1025", "99999999999999999999999999",
    ];

    private static readonly string[] Controls = ["\u001b[31m", "\0", "\r", "\a", "\u202e", "\u0085", "\u2028", "\ud800", "\t", "\v", "\u007f"];

    private static readonly string[] Specials =
    [
        "\"", "\\", "#", ",", "*", "!", "=>", "hex:", "hex:0", "steps:", "host:", "clauses:", "\"\\x", "\"\\q\"", "iov", "cmsg", "1048576*ff",
        "1048576!", "1048576", "none", "to", "flags", "=", "packet", "wire:", "counters:", "errqueue:", "#-1", "#99999999999",
        "family", "addrlen", "readable", "len", "cmsglen", "controllen", "raw", "byte", "a/b", "1/2147483648",
    ];

    private const int Kinds = 10;

    public static string Apply(string text, IReadOnlyList<Mutation> mutations)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n').ToList();
        foreach (var m in mutations)
        {
            if (lines.Count == 0) lines.Add("");
            var n = m.Line % lines.Count;
            var line = lines[n];
            var at = line.Length == 0 ? 0 : m.Place % (line.Length + 1);
            string Insert(string word) => line[..at] + word + line[at..];
            switch (m.Kind % Kinds)
            {
                case 0: // a number replaced by a huge, negative or boundary one
                    var numbers = Regex.Matches(line, @"-?\d+");
                    if (numbers.Count == 0) lines[n] = Insert(" " + Numbers[m.Pick % Numbers.Length] + " ");
                    else
                    {
                        var number = numbers[m.Place % numbers.Count];
                        lines[n] = line[..number.Index] + Numbers[m.Pick % Numbers.Length] + line[(number.Index + number.Length)..];
                    }
                    break;
                case 1: lines[n] = Insert(" " + Numbers[m.Pick % Numbers.Length]); break;
                case 2: lines[n] = Insert(Controls[m.Pick % Controls.Length]); break;
                case 3: lines.RemoveAt(n); break;
                case 4: lines.InsertRange(n, Enumerable.Repeat(line, m.Pick % 7 == 0 ? m.Pick % 3000 : 1)); break;
                case 5:
                    var words = line.Split(' ');
                    words[m.Place % words.Length] = Words.Value[m.Pick % Words.Value.Length];
                    lines[n] = string.Join(' ', words);
                    break;
                case 6: lines[n] = Insert(Specials[m.Pick % Specials.Length]); break;
                case 7: lines[n] = line.Length == 0 ? line : line[..Math.Min(at, line.Length - 1)] + (char)(m.Pick % 0x3000) + line[(Math.Min(at, line.Length - 1) + 1)..]; break;
                case 8: // a long line: a huge gather list, a long data word, or one word many times
                    lines.Insert(n, (m.Pick % 3) switch
                    {
                        0 => "  sendmsg s iov " + string.Join(',', Enumerable.Repeat(Numbers[m.Place % Numbers.Length], 900 + m.Pick % 300)),
                        1 => "  sendto s hex:" + new string('a', 2 * (m.Place % 40000)),
                        _ => line + string.Concat(Enumerable.Repeat(" " + Words.Value[m.Pick % Words.Value.Length], m.Place % 2000)),
                    });
                    break;
                default:
                    var other = m.Pick % lines.Count;
                    (lines[n], lines[other]) = (lines[other], lines[n]);
                    break;
            }
        }
        return string.Join('\n', lines);
    }

    public static Arbitrary<MutatedCase> Cases()
    {
        var mutation = Gen.Zip(Gen.Zip(Gen.Choose(0, Kinds - 1), Gen.Choose(0, 10_000)), Gen.Zip(Gen.Choose(0, 100_000), Gen.Choose(0, 100_000)))
            .Select(t => new Mutation(t.Item1.Item1, t.Item1.Item2, t.Item2.Item1, t.Item2.Item2));
        var gen = Gen.Elements(Corpus.Value.Keys.ToArray())
            .SelectMany(name => Gen.Choose(1, 3).SelectMany(count => Gen.ArrayOf(mutation, count))
                .Select(list => new MutatedCase(name, list)));
        return Arb.From(gen, c => c.Mutations.Count <= 1 ? [] :
            Enumerable.Range(0, c.Mutations.Count).Select(i => c with { Mutations = c.Mutations.Where((_, j) => j != i).ToArray() }));
    }

    // 2,000 mutated files (about one in seven parses and runs) take about a second; 20,000 were run once, all passing.
    [PropertyNotInMutationRun(MaxTest = 2000, Arbitrary = [typeof(CaseFileFuzz)])]
    public bool A_mutated_case_file_parses_to_a_case_or_diagnostics_and_runs_on_the_model_without_throwing(MutatedCase mutated)
    {
        var parsed = CaseParser.Parse(mutated.Name, mutated.Name.Replace(".case", ""), mutated.Text);
        if (parsed.Diagnostics.Any(d => SafeText.FirstForbidden(d.ToString()) >= 0)) return false;
        if (parsed.Case is not { } @case) return parsed.Diagnostics.Count > 0;
        if (SafeText.FirstForbidden(@case.Title) >= 0 || @case.Steps.Any(s => SafeText.FirstForbidden(s.Text) >= 0)) return false;
        foreach (var profile in new[] { Profile.Spec, Profile.Linux })
            CaseRunner.Run(@case, profile, new ModelTarget(profile));
        return true;
    }

    [Fact]
    public void Every_case_file_of_the_suite_parses_unchanged()
    {
        foreach (var (name, text) in Corpus.Value)
            Assert.Empty(CaseParser.Parse(name, name, text).Diagnostics);
    }
}
