using Udpconf.Reference;

namespace Udpconf.Suite.Cases;

/// <summary>The SNMP counters (/proc/net/snmp) a case may expect changes of, as <see cref="CounterDelta"/> holds
/// them; case files and reports write them by these names.</summary>
public enum Counter { OutDatagrams, OutDiscards, SndbufErrors, OutNoRoutes }

public static class Counters
{
    public static readonly IReadOnlyList<Counter> All = Enum.GetValues<Counter>();

    /// <summary>The counter a case file's name stands for, or null for another word (numbers included).</summary>
    public static Counter? Parse(string name) => All.Cast<Counter?>().FirstOrDefault(c => c.ToString() == name);

    public static int Of(this CounterDelta delta, Counter counter) => counter switch
    {
        Counter.OutDatagrams => delta.OutDatagrams,
        Counter.OutDiscards => delta.OutDiscards,
        Counter.SndbufErrors => delta.SndbufErrors,
        Counter.OutNoRoutes => delta.OutNoRoutes,
        _ => throw new ArgumentOutOfRangeException(nameof(counter), counter, "not a counter"),
    };

    /// <summary>Every counter as <c>Name=N</c>, space-separated, in the order of <see cref="All"/>.</summary>
    public static string Describe(CounterDelta delta) => string.Join(" ", All.Select(c => $"{c}={delta.Of(c)}"));
}
