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
}
