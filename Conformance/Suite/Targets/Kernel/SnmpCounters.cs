using Udpconf.Reference;

namespace Udpconf.Suite.Targets.Kernel;

/// <summary>
/// The SNMP counters of the calling thread's network namespace, from /proc/thread-self/net/snmp (/proc/self/net
/// would show the namespace of the process's main thread). Made and read on the namespace's thread. Read once per
/// step: procfs writes the whole file on each read (about 8 µs from C here), so the read is one pread at offset 0
/// into a buffer kept for the sandbox, parsed in place, no string made.
/// </summary>
public sealed class SnmpCounters : IDisposable
{
    private const string SnmpPath = "/proc/thread-self/net/snmp";
    private int fd = -1;
    private readonly byte[] buffer = new byte[16384];

    /// <summary>The counters, read through one descriptor opened on the first call (a /proc seq file regenerates on
    /// each read from offset 0).</summary>
    public CounterDelta Current() => Parse(Read());

    /// <summary>How many ICMP destination unreachables and redirects the namespace received: the only way a route
    /// exception (a learned path MTU or gateway) is made in a sandbox, which has no tunnel.</summary>
    public long IcmpErrorsIn()
    {
        var text = Read();
        return Get(text, "Icmp"u8, "InDestUnreachs"u8) + Get(text, "Icmp"u8, "InRedirects"u8);
    }

    private unsafe ReadOnlySpan<byte> Read()
    {
        if (fd < 0 && (fd = Native.open(SnmpPath, Native.ORdonly | Native.OCloexec)) < 0)
            throw new InvalidOperationException($"open {SnmpPath}: {SystemError.Describe(Native.Errno)}");
        int length = 0;
        fixed (byte* b = buffer)
            while (length < buffer.Length)
            {
                var n = Native.pread(fd, b + length, (nuint)(buffer.Length - length), length);
                if (n < 0) throw new InvalidOperationException($"read {SnmpPath}: {SystemError.Describe(Native.Errno)}");
                length += (int)n;
                // A single_open seq file: its show writes the whole text, and a read copies as much as asked, so a
                // read shorter than asked is the end (saving the pread that returns 0). A text cut short would fail
                // the parse (the Udp group comes last), not give wrong counters.
                if (n == 0 || length < buffer.Length) break;
            }
        return buffer.AsSpan(0, length);
    }

    /// <summary>The four counters from the text of /proc/net/snmp: for each group a line of names ("Udp: InDatagrams
    /// ...") then a line of values in the same order. A counter missing from the text is an error, not a zero.</summary>
    public static CounterDelta Parse(ReadOnlySpan<byte> text) =>
        new((int)Get(text, "Udp"u8, "OutDatagrams"u8), (int)Get(text, "Ip"u8, "OutDiscards"u8),
            (int)Get(text, "Udp"u8, "SndbufErrors"u8), (int)Get(text, "Ip"u8, "OutNoRoutes"u8));

    private static long Get(ReadOnlySpan<byte> text, ReadOnlySpan<byte> group, ReadOnlySpan<byte> name)
    {
        // The first line starting "Group:" names the columns, the next line holds the values.
        var rest = text;
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 1)..];
            if (line.Length <= group.Length || !line.StartsWith(group) || line[group.Length] != (byte)':') continue;
            var column = Column(line[(group.Length + 1)..], name);
            var valuesEnd = rest.IndexOf((byte)'\n');
            var values = (valuesEnd < 0 ? rest : rest[..valuesEnd]);
            if (column < 0 || !values.StartsWith(group)) break;
            var field = Field(values[(group.Length + 1)..], column);
            if (!System.Buffers.Text.Utf8Parser.TryParse(field, out long value, out var used) || used != field.Length) break;
            return value;
        }
        throw new InvalidOperationException($"{SnmpPath} has no {System.Text.Encoding.ASCII.GetString(group)} {System.Text.Encoding.ASCII.GetString(name)}");
    }

    /// <summary>The index of <paramref name="name"/> among the space-separated words of <paramref name="names"/>, or -1.</summary>
    private static int Column(ReadOnlySpan<byte> names, ReadOnlySpan<byte> name)
    {
        var index = 0;
        foreach (var range in names.Split((byte)' '))
        {
            if (names[range].IsEmpty) continue;
            if (names[range].SequenceEqual(name)) return index;
            index++;
        }
        return -1;
    }

    private static ReadOnlySpan<byte> Field(ReadOnlySpan<byte> values, int column)
    {
        var index = 0;
        foreach (var range in values.Split((byte)' '))
        {
            if (values[range].IsEmpty) continue;
            if (index++ == column) return values[range];
        }
        return [];
    }

    public void Dispose()
    {
        if (fd >= 0) Native.close(fd);
        fd = -1;
    }
}
