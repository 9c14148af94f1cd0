using System.Collections;
using System.Reflection;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Suite.Cases;

namespace Udpconf.TestSupport;

/// <summary>Field-by-field equality of operations, hosts and expectations, with buffers compared by content.</summary>
public static class Structural
{
    public static string? OperationDifference(Operation expected, Operation actual)
    {
        if (expected.GetType() != actual.GetType()) return $"expected a {expected.GetType().Name}, read a {actual.GetType().Name}";
        foreach (var property in Properties(expected.GetType()))
        {
            var (e, a) = (property.GetValue(expected), property.GetValue(actual));
            if (!ValueEquals(e, a)) return $"{property.Name}: expected {Show(e)}, read {Show(a)}";
        }
        return null;
    }

    public static string? HostDifference(HostConfig expected, HostConfig actual)
    {
        if (expected.Interfaces.Count != actual.Interfaces.Count) return $"{expected.Interfaces.Count} interfaces, read {actual.Interfaces.Count}";
        foreach (var (e, a) in expected.Interfaces.Zip(actual.Interfaces))
            if ((e with { SecondaryAddresses = null }) != (a with { SecondaryAddresses = null }) ||
                !(e.SecondaryAddresses ?? []).SequenceEqual(a.SecondaryAddresses ?? []))
                return $"interface {e}, read {a}";
        if (!expected.Routes.SequenceEqual(actual.Routes)) return $"routes [{string.Join("; ", expected.Routes)}], read [{string.Join("; ", actual.Routes)}]";
        if (!expected.OutputDrops.SequenceEqual(actual.OutputDrops)) return $"drops [{string.Join("; ", expected.OutputDrops)}], read [{string.Join("; ", actual.OutputDrops)}]";
        var settings = (expected.DefaultTtl, expected.LocalPortLow, expected.LocalPortHigh, expected.DefaultPmtuMode, expected.WmemDefault, expected.WmemMax, expected.Privileged, expected.SecurityVeto);
        var read = (actual.DefaultTtl, actual.LocalPortLow, actual.LocalPortHigh, actual.DefaultPmtuMode, actual.WmemDefault, actual.WmemMax, actual.Privileged, actual.SecurityVeto);
        return settings == read ? null : $"settings {settings}, read {read}";
    }

    public static string? ExpectationDifference(StepExpectation expected, StepExpectation actual)
    {
        if (expected.Result is null != actual.Result is null) return $"result {expected.Result}, read {actual.Result}";
        if (expected.Result is { } e && actual.Result is { } a &&
            (e.Value != a.Value || !e.Errnos.SequenceEqual(a.Errnos) || e.Kind != a.Kind || e.Clause != a.Clause ||
             e.OptionValue is null != a.OptionValue is null || e.SymbolicOption != a.SymbolicOption ||
             (e.OptionValue is { } ev && a.OptionValue is { } av && !ev.Span.SequenceEqual(av.Span))))
            return $"result {e}, read {a}";
        if (expected.PacketCount != actual.PacketCount) return $"packet count {expected.PacketCount}, read {actual.PacketCount}";
        if (expected.Packets.Count != actual.Packets.Count) return $"{expected.Packets.Count} packet lines, read {actual.Packets.Count}";
        foreach (var (ep, ap) in expected.Packets.Zip(actual.Packets))
            if (ep.Index != ap.Index || ep.Fields.Count != ap.Fields.Count || ep.Fields.Any(f => !ap.Fields.TryGetValue(f.Key, out var v) || v != f.Value))
                return $"packet {ep.Index + 1}: {string.Join(' ', ep.Fields)}, read {string.Join(' ', ap.Fields)}";
        if (expected.Counters.Count != actual.Counters.Count || expected.Counters.Any(c => !actual.Counters.TryGetValue(c.Key, out var v) || v != c.Value))
            return $"counters {string.Join(' ', expected.Counters)}, read {string.Join(' ', actual.Counters)}";
        if (expected.ErrorQueue is null != actual.ErrorQueue is null ||
            (expected.ErrorQueue is { } eq && actual.ErrorQueue is { } aq && !eq.SequenceEqual(aq)))
            return "error queue differs";
        return null;
    }

    public static string Describe(Operation op) =>
        $"{op.GetType().Name}({string.Join(", ", Properties(op.GetType()).Select(p => $"{p.Name}: {Show(p.GetValue(op))}"))})";

    private static IEnumerable<PropertyInfo> Properties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0);

    private static bool ValueEquals(object? expected, object? actual) => (expected, actual) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        (UserBuffer e, UserBuffer a) => e.Length == a.Length && e.NullBase == a.NullBase && e.Readable.Span.SequenceEqual(a.Readable.Span),
        (IReadOnlyList<UserBuffer> e, IReadOnlyList<UserBuffer> a) => e.Count == a.Count && e.Zip(a).All(t => ValueEquals(t.First, t.Second)),
        (IReadOnlyList<MmsgEntry> e, IReadOnlyList<MmsgEntry> a) => e.Count == a.Count && e.Zip(a).All(t =>
            Properties(typeof(MmsgEntry)).All(p => ValueEquals(p.GetValue(t.First), p.GetValue(t.Second)))),
        _ => Equals(expected, actual),
    };

    private static string Show(object? value) => value switch
    {
        null => "null",
        UserBuffer b => $"[{(b.NullBase ? "NULL, " : "")}{b.Length} bytes, {b.Readable.Length} readable: {Hex(b.Readable.Span)}]",
        IEnumerable<UserBuffer> list => "[" + string.Join(", ", list.Select(Show)) + "]",
        string s => s,
        IEnumerable e => "[" + string.Join(", ", e.Cast<object?>().Select(Show)) + "]",
        _ => value.ToString() ?? "",
    };

    private static string Hex(ReadOnlySpan<byte> bytes) =>
        bytes.Length <= 64 ? Convert.ToHexString(bytes) : $"{Convert.ToHexString(bytes[..64])}…";
}
