namespace Udpconf.Suite.Targets;

/// <summary>
/// Observations (or any items) handed from the thread that makes them to the one thread that takes them, in order.
/// A taker that finds none sleeps until a batch of them is there (or the end), so that a target running steps faster
/// than they are judged is not made to wake the judge at every step: each wake costs the target's thread a system
/// call and the judge a trip through the scheduler.
/// </summary>
public sealed class Handoff<T>(int batch = 16) where T : class
{
    private readonly Queue<T> items = new();
    private bool completed, waiting;

    public void Add(T item)
    {
        lock (items)
        {
            if (completed) throw new InvalidOperationException("the handoff is complete");
            items.Enqueue(item);
            if (waiting && items.Count >= batch) Monitor.Pulse(items);
        }
    }

    /// <summary>No more items: a waiting taker gets the rest, then null.</summary>
    public void Complete()
    {
        lock (items)
        {
            completed = true;
            Monitor.PulseAll(items);
        }
    }

    /// <summary>The next item, waiting for it (for a batch, or the end); null when the handoff is complete and empty.</summary>
    public T? Take()
    {
        lock (items)
        {
            if (items.Count == 0)
            {
                waiting = true;
                while (items.Count < batch && !completed) Monitor.Wait(items);
                waiting = false;
            }
            return items.Count > 0 ? items.Dequeue() : null;
        }
    }
}
