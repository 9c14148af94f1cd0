using Udpconf.Suite.Targets;
using Xunit;

namespace Udpconf.Tests.Targets;

/// <summary>The handoff between a target's thread and the judge's: every item in order, the taker woken by a batch or
/// by the end, null once complete and empty.</summary>
public class HandoffTests
{
    [Fact]
    public void Items_come_out_in_order_and_null_after_the_rest_once_complete()
    {
        var handoff = new Handoff<string>();
        handoff.Add("a");
        handoff.Add("b");
        handoff.Complete();
        Assert.Equal("a", handoff.Take());
        Assert.Equal("b", handoff.Take());
        Assert.Null(handoff.Take());
        Assert.Null(handoff.Take());
        Assert.Throws<InvalidOperationException>(() => handoff.Add("c"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(1000)]
    public void A_waiting_taker_gets_every_item_another_thread_adds_whatever_the_batch(int batch)
    {
        var handoff = new Handoff<string>(batch);
        var taken = new List<string?>();
        var taker = new Thread(() =>
        {
            string? item;
            do taken.Add(item = handoff.Take());
            while (item is not null);
        });
        taker.Start();
        // 999 items: not a whole number of batches of 16 or 1000, so the last ones come out only because of Complete.
        for (var i = 0; i < 999; i++)
        {
            handoff.Add(i.ToString());
            if (i % 100 == 0) Thread.Sleep(1); // now and then the taker has emptied the queue and waits
        }
        handoff.Complete();
        Assert.True(taker.Join(TimeSpan.FromSeconds(30)), "the taker was not woken");
        Assert.Equal(Enumerable.Range(0, 999).Select(i => (string?)i.ToString()).Append(null), taken);
    }
}
