using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using Udpconf.Reference.Host;

namespace Udpconf.Suite.Targets.Kernel;

/// <summary>
/// The thread a sandbox lives on: network namespaces belong to threads, so a dedicated thread unshares into a fresh
/// namespace, builds the <see cref="Sandbox"/> there and runs the work posted with <see cref="Invoke{T}"/> inside it
/// until disposed; then the sandbox is torn down on that thread.
/// </summary>
public sealed class NamespaceThread : IDisposable
{
    private readonly BlockingCollection<Action<Sandbox>> work = new();
    private readonly Thread thread;
    private Exception? setupFailure;

    /// <summary>Starts the thread and waits for its setup; throws what the setup threw.</summary>
    internal NamespaceThread(HostConfig host, bool ipv6)
    {
        using var ready = new ManualResetEventSlim();
        thread = new Thread(() =>
        {
            Sandbox? sandbox = null;
            try
            {
                if (Native.unshare(Native.CloneNewNet) != 0)
                    throw new InvalidOperationException($"unshare(CLONE_NEWNET) failed: {SystemError.Describe(Native.Errno)}");
                sandbox = new Sandbox(host, ipv6);
                sandbox.Configure();
            }
            catch (Exception e) { setupFailure = e; }
            ready.Set();
            if (setupFailure is not null) { sandbox?.Dispose(); return; }
            using (sandbox)
                foreach (var item in work.GetConsumingEnumerable()) item(sandbox!);
        }, 4 << 20) { IsBackground = true, Name = "udpconf-netns" };
        thread.Start();
        ready.Wait();
        if (setupFailure is not null)
        {
            thread.Join();
            ExceptionDispatchInfo.Capture(setupFailure).Throw();
        }
    }

    /// <summary>Runs <paramref name="body"/> on the sandbox's thread, inside its namespace, and returns its result
    /// (or rethrows what it threw).</summary>
    public T Invoke<T>(Func<Sandbox, T> body)
    {
        T result = default!;
        Exception? failure = null;
        using var done = new ManualResetEventSlim();
        work.Add(sandbox =>
        {
            try { result = body(sandbox); }
            catch (Exception e) { failure = e; }
            finally { done.Set(); }
        });
        done.Wait();
        if (failure is not null) ExceptionDispatchInfo.Capture(failure).Throw();
        return result;
    }

    public void Dispose()
    {
        if (work.IsAddingCompleted) return;
        work.CompleteAdding();
        thread.Join();
        work.Dispose();
    }
}
