using System.Text;
using Udpconf.Reference;
using Udpconf.Reference.Symbols;

namespace Udpconf.Suite;

public static partial class SpecMap
{
    /// <summary>What running the model measured: the sites each clause was recorded at, and the switches that change it.</summary>
    /// <param name="Sites">For each clause, the sites <see cref="Call"/> recorded it at (file relative to the root).</param>
    /// <param name="Switches">For each clause, the <see cref="Profile.Switches"/> that change it.</param>
    /// <param name="Reads">For each clause, every switch the model read under it in the runs (changing anything or not).</param>
    public sealed record Measurement(Dictionary<string, SortedSet<string>> Sites, Dictionary<string, SortedSet<string>> Switches,
        Dictionary<string, SortedSet<string>> Reads);

    /// <summary>One operation as run: what a target observes plus the trace (a fingerprint to compare), and the
    /// switches read under each clause while it ran.</summary>
    private sealed record StepRun(string Fingerprint, Dictionary<string, HashSet<string>> Reads);

    /// <summary>
    /// Runs every case of <c>Conformance/cases</c> and the differential machine's sampled sequences on the model under
    /// both profiles, recording the site of every clause. Then, for each switch of <see cref="Profile.Switches"/> and
    /// each profile, flips that switch alone to the other profile's value and runs every case under both: where a
    /// case's observations or trace first differ, the switch is listed under the clauses it was read under in that
    /// step, in either run (the next clause recorded after the read, see <see cref="ClauseRecorder"/>); when that step
    /// did not read it (the effect of an earlier step: a corked send's shows when the datagram is pushed), under the
    /// clauses it was read under in the steps before.
    /// A switch read that never changes a case is not listed. (A run that
    /// never reads the switch is not run flipped: it would take the same path.)
    /// </summary>
    public static Measurement Measure(string root, IReadOnlyList<Cases.Case> cases, IEnumerable<(Reference.Host.HostConfig Host, IReadOnlyList<Reference.Api.Operation> Operations)> sequences)
    {
        var switches = new Dictionary<string, SortedSet<string>>();
        var all = cases.Select(c => (c.Host, Operations: (IReadOnlyList<Reference.Api.Operation>)c.Steps.Select(s => s.Operation).ToArray()))
            .Concat(sequences).ToArray();
        var runs = new Dictionary<(string Profile, int Run), StepRun[]>();
        Dictionary<string, SortedSet<string>> sites;
        var reads = new Dictionary<string, SortedSet<string>>();
        using (var baseline = ClauseRecorder.Start())
        {
            foreach (var profile in Profile.All)
                for (var i = 0; i < all.Length; i++) runs[(profile.Name, i)] = Run(baseline, profile, all[i].Host, all[i].Operations);
            // A case written for an older kernel line runs under that line too: what only the line does has its sites.
            foreach (var line in Profile.KernelLines)
                foreach (var @case in cases.Where(c => c.Profiles.Contains(line.Name)))
                    Run(baseline, line, @case.Host, @case.Steps.Select(s => s.Operation).ToArray());
            foreach (var step in runs.Values.SelectMany(steps => steps))
                foreach (var (clause, names) in step.Reads)
                {
                    if (!reads.TryGetValue(clause, out var read)) reads[clause] = read = new(StringComparer.Ordinal);
                    read.UnionWith(names);
                }
            sites = baseline.Sites.ToDictionary(entry => entry.Key.Id,
                entry => new SortedSet<string>(entry.Value.Select(site => RelativeSite(root, site)), SiteOrder.Instance));
        }
        using var recorder = ClauseRecorder.Start();
        foreach (var @switch in Profile.Switches)
            foreach (var profile in Profile.All)
            {
                var other = Profile.All.First(p => p != profile);
                var value = @switch.GetValue(other);
                if (Equals(value, @switch.GetValue(profile))) continue;
                var flipped = profile.With(@switch, value);
                for (var run = 0; run < all.Length; run++)
                {
                    var before = runs[(profile.Name, run)];
                    // A switch the run never read cannot change it: the flipped run takes the same path.
                    if (!before.Any(step => step.Reads.Values.Any(reads => reads.Contains(@switch.Name)))) continue;
                    var after = Run(recorder, flipped, all[run].Host, all[run].Operations, before);
                    if (after.Length == before.Length && after[^1].Fingerprint == before[^1].Fingerprint) continue;
                    var first = after.Length - 1;
                    var changed = new HashSet<string>();
                    // Not read in the step that differs: the effect of an earlier step (a corked send's shows when the
                    // datagram is pushed), so the reads before it.
                    var readThen = ReadIn(before, after, first, @switch.Name);
                    foreach (var i in readThen ? [first] : Enumerable.Range(0, first))
                        foreach (var step in new[] { before[i], after[i] })
                            foreach (var (clause, read) in step.Reads)
                                if (read.Contains(@switch.Name)) changed.Add(clause);
                    foreach (var clause in changed)
                    {
                        if (!switches.TryGetValue(clause, out var names)) switches[clause] = names = new(StringComparer.Ordinal);
                        names.Add(@switch.Name);
                    }
                }
            }
        return new Measurement(sites, switches, reads);
    }

    private static bool ReadIn(StepRun[] before, StepRun[] after, int step, string name) =>
        before[step].Reads.Values.Concat(after[step].Reads.Values).Any(reads => reads.Contains(name));

    /// <summary>Runs the operations; with <paramref name="until"/>, only up to the first step whose fingerprint differs
    /// from it (the steps run then end with it).</summary>
    private static StepRun[] Run(ClauseRecorder recorder, Profile profile, Reference.Host.HostConfig host, IReadOnlyList<Reference.Api.Operation> operations,
        StepRun[]? until = null)
    {
        var model = new Model(host, profile);
        var steps = new List<StepRun>(operations.Count);
        for (var i = 0; i < operations.Count; i++)
        {
            recorder.ClearReads();
            var outcome = model.Run(operations[i]);
            recorder.EndOperation(outcome.Clause);
            steps.Add(new StepRun(Fingerprint(outcome, model), recorder.ReadsUnder.ToDictionary(e => e.Key.Id, e => e.Value.ToHashSet())));
            if (until is not null && steps[i].Fingerprint != until[i].Fingerprint) return steps.ToArray();
        }
        return steps.ToArray();
    }

    /// <summary>Everything a target observes of an outcome (bytes bound from a fixed seed), with its trace.</summary>
    private static string Fingerprint(Outcome outcome, Model model)
    {
        var text = new StringBuilder();
        text.Append(outcome.Kind).Append(' ').Append(outcome.Value).Append(' ').Append(outcome.Error).Append(' ').Append(outcome.Counters).Append(' ').Append(outcome.Note);
        if (outcome.Datagrams.Count > 0)
        {
            var bindings = Bindings.FromSeed(1, model.Symbols);
            foreach (var datagram in outcome.Datagrams)
                foreach (var bytes in datagram.Render(bindings)) text.Append(" p").Append(datagram.Interface).Append(':').Append(Convert.ToHexString(bytes));
        }
        if (outcome.DescribeOption() is { } option) text.Append(" o:").Append(option);
        foreach (var entry in outcome.ErrorQueue) text.Append(" e:").Append(entry);
        foreach (var neighbour in outcome.ConfirmedNeighbours) text.Append(" c:").Append(neighbour);
        foreach (var alternative in outcome.Alternatives) text.Append(" a:").Append(alternative);
        text.Append(" t:").AppendJoin(',', outcome.Trace);
        return text.ToString();
    }

    /// <summary>A site as spec-map prints it: <c>`Reference/…/File.cs:line` File.Member</c>, the file relative to the
    /// repository (the compiler's path under <paramref name="root"/>, or from its Reference/ folder on).</summary>
    private static string RelativeSite(string root, ClauseSite site)
    {
        var file = site.File.Replace('\\', '/');
        var prefix = root.Replace('\\', '/').TrimEnd('/') + "/";
        var relative = file.StartsWith(prefix, StringComparison.Ordinal) ? file[prefix.Length..]
            : file.LastIndexOf("/Reference/", StringComparison.Ordinal) is var at and >= 0 ? file[(at + 1)..] : file;
        return $"`{relative}:{site.Line}` {Path.GetFileNameWithoutExtension(relative)}.{site.Member}";
    }

    /// <summary>Sites by file, then by line as a number.</summary>
    private sealed class SiteOrder : IComparer<string>
    {
        public static readonly SiteOrder Instance = new();
        public int Compare(string? x, string? y)
        {
            var (fileX, lineX) = Split(x!);
            var (fileY, lineY) = Split(y!);
            var byFile = string.CompareOrdinal(fileX, fileY);
            return byFile != 0 ? byFile : lineX.CompareTo(lineY) is var byLine and not 0 ? byLine : string.CompareOrdinal(x, y);
        }

        private static (string File, int Line) Split(string site)
        {
            var end = site.IndexOf('`', 1);
            var colon = site.LastIndexOf(':', end);
            return (site[1..colon], int.Parse(site[(colon + 1)..end]));
        }
    }
}
