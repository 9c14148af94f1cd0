using System.Text;
using Udpconf.Reference;

namespace Udpconf.Suite.Targets.Kernel;

/// <summary>
/// The SNMP counters of the calling thread's network namespace, from /proc/thread-self/net/snmp (/proc/self/net
/// would show the namespace of the process's main thread). Made and read on the namespace's thread.
/// </summary>
public sealed class SnmpCounters : IDisposable
{
    private const string SnmpPath = "/proc/thread-self/net/snmp";
    private FileStream? snmp;
    private readonly byte[] buffer = new byte[16384];

    /// <summary>The counters, read once by path.</summary>
    public static CounterDelta Read() => Parse(File.ReadAllText(SnmpPath));

    /// <summary>The counters, read through one descriptor opened on the first call and read again from offset 0 each
    /// time (a /proc seq file regenerates): twice per step, so it must be cheap.</summary>
    public CounterDelta Current()
    {
        snmp ??= new FileStream(SnmpPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
        snmp.Seek(0, SeekOrigin.Begin);
        int length = 0, read;
        while (length < buffer.Length && (read = snmp.Read(buffer, length, buffer.Length - length)) > 0) length += read;
        return Parse(Encoding.ASCII.GetString(buffer, 0, length));
    }

    private static CounterDelta Parse(string text)
    {
        var lines = text.Split('\n');
        long Get(string group, string name)
        {
            var prefix = group + ":";
            var header = Array.FindIndex(lines, l => l.StartsWith(prefix, StringComparison.Ordinal));
            var names = lines[header].Split(' ');
            return long.Parse(lines[header + 1].Split(' ')[Array.IndexOf(names, name)]);
        }
        return new((int)Get("Udp", "OutDatagrams"), (int)Get("Ip", "OutDiscards"), (int)Get("Udp", "SndbufErrors"), (int)Get("Ip", "OutNoRoutes"));
    }

    public void Dispose() => snmp?.Dispose();
}
