using System.Globalization;

namespace Udpconf.Suite;

/// <summary>One part of a run split across runners: part <see cref="Index"/> (from 1) of <see cref="Count"/>.</summary>
public readonly record struct Shard(int Index, int Count)
{
    /// <summary>"I/N", as <c>--shard</c> takes it and a part's report.json records it.</summary>
    public override string ToString() => $"{Index}/{Count}";
}

/// <summary>
/// The deterministic split of a run across CI runners (<c>--shard I/N</c>): the items in ordinal order of their keys
/// (case ids, seeds), item k (from 0) in part k mod N + 1. Every item lands in exactly one part whatever the order the
/// items came in, and parts differ in size by one at most.
/// </summary>
public static class Sharding
{
    /// <summary>More parts than this is a typing error rather than a CI matrix.</summary>
    public const int MostParts = 1000;

    /// <summary>"I/N" with 1 &lt;= I &lt;= N &lt;= <see cref="MostParts"/>, plain decimal; null for anything else.</summary>
    public static Shard? Parse(string text)
    {
        var slash = text.IndexOf('/');
        if (slash < 0) return null;
        if (!Number(text[..slash], out var index) || !Number(text[(slash + 1)..], out var count)) return null;
        return index >= 1 && index <= count && count <= MostParts ? new Shard(index, count) : null;

        static bool Number(string digits, out int value) =>
            int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>The items of part <paramref name="shard"/>, in the order they were given.</summary>
    public static IReadOnlyList<T> Part<T>(IReadOnlyList<T> items, Func<T, string> key, Shard shard)
    {
        var mine = items.Select((item, position) => (Key: key(item), Position: position))
            .OrderBy(x => x.Key, StringComparer.Ordinal).ThenBy(x => x.Position)
            .Where((_, rank) => rank % shard.Count == shard.Index - 1)
            .Select(x => x.Position).Order().ToArray();
        return mine.Select(position => items[position]).ToArray();
    }

    /// <summary>What keeps the inputs <paramref name="parts"/> (null: an input of a whole run) from being one whole
    /// sharded run, one line each; nothing when they are. Each part's output says which it is (I/N), so a runner whose
    /// output never arrived makes a merge incomplete rather than quietly smaller; splits into different numbers of
    /// parts are not one run.</summary>
    public static IEnumerable<string> Gaps(IReadOnlyList<Shard?> parts)
    {
        var shards = parts.OfType<Shard>().ToArray();
        if (shards.Length == 0) yield break;
        var counts = shards.Select(p => p.Count).Distinct().Order().ToArray();
        if (counts.Length > 1)
        {
            yield return $"the inputs are parts of runs split {string.Join(" and ", counts.Select(n => $"{n} ways"))}, not of one run";
            yield break;
        }
        var missing = Enumerable.Range(1, counts[0]).Except(shards.Select(p => p.Index)).ToArray();
        if (missing.Length > 0)
            yield return $"part{(missing.Length == 1 ? "" : "s")} {Ranges(missing)} of {counts[0]} missing";
        if (parts.Any(p => p is null))
            yield return "whole runs and parts of a sharded run given together";
    }

    /// <summary>1, 2, 3, 5 as "1-3, 5": a thousand missing parts stay one short line.</summary>
    private static string Ranges(IReadOnlyList<int> sorted)
    {
        var pieces = new List<string>();
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1) j++;
            pieces.Add(i == j ? $"{sorted[i]}" : $"{sorted[i]}-{sorted[j]}");
            i = j + 1;
        }
        return string.Join(", ", pieces);
    }
}
