using System.Text.Json;
using Udpconf.Reference.Host;

namespace Udpconf.Suite.Targets.Kernel;

/// <summary>
/// Namespaces of finished case runs, reset (<see cref="Sandbox.Reset"/>: sockets closed, links and routes as the host
/// describes them, learned path MTUs forgotten), kept by the host they were configured as, so that the next case on the
/// same host skips the namespace's creation, configuration and teardown (most of a case's time). Hosts are told apart
/// by their whole description (every field, as JSON), the IPv6 setup too. At most <see cref="MostIdle"/> are kept; the
/// oldest goes first. Thread-safe: runs on several cores take from and give back to one pool.
/// </summary>
internal sealed class NamespacePool : IDisposable
{
    public const int MostIdle = 8;
    private static readonly JsonSerializerOptions KeyOptions = new() { IncludeFields = true };
    private readonly LinkedList<(string Key, NamespaceThread Thread)> idle = new();
    private bool disposed;

    private static string Key(HostConfig host, bool ipv6) => (ipv6 ? "6 " : "4 ") + JsonSerializer.Serialize(host, KeyOptions);

    /// <summary>A reset namespace configured as <paramref name="host"/>, or null when none is idle.</summary>
    public NamespaceThread? Take(HostConfig host, bool ipv6)
    {
        var key = Key(host, ipv6);
        lock (idle)
            for (var node = idle.Last; node is not null; node = node.Previous)
                if (node.Value.Key == key)
                {
                    idle.Remove(node);
                    return node.Value.Thread;
                }
        return null;
    }

    /// <summary>Keeps a reset namespace for the next run on <paramref name="host"/>.</summary>
    public void Put(HostConfig host, bool ipv6, NamespaceThread thread)
    {
        NamespaceThread? evicted = null;
        lock (idle)
        {
            if (disposed) evicted = thread;
            else
            {
                idle.AddLast((Key(host, ipv6), thread));
                if (idle.Count > MostIdle)
                {
                    evicted = idle.First!.Value.Thread;
                    idle.RemoveFirst();
                }
            }
        }
        evicted?.Dispose();
    }

    public void Dispose()
    {
        List<NamespaceThread> threads;
        lock (idle)
        {
            disposed = true;
            threads = idle.Select(n => n.Thread).ToList();
            idle.Clear();
        }
        foreach (var thread in threads) thread.Dispose();
    }
}
