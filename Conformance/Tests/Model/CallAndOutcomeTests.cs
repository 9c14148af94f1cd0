using Udpconf.Reference;
using Udpconf.Reference.Host;
using Xunit;

namespace Udpconf.Tests.Model;

/// <summary>What a call gathers and how an outcome reads: MSG_ZEROCOPY completions merged as the kernel merges them,
/// error-queue entries as case files write them, and the text of outcomes and of steps misused.</summary>
public class CallAndOutcomeTests
{
    /// <summary>skb_zerocopy_notify_extend merges a completion into the entry before it while the merged range stays
    /// below 2^32 ids (read from the source: a live kernel would need 2^32 sends to show it).</summary>
    [Fact]
    [Trait("clause", "zerocopy.completion")]
    public void A_zerocopy_completion_extends_the_entry_before_it_while_the_range_stays_below_2_to_the_32()
    {
        var call = new Call();
        call.QueueZerocopy(0, 0, 0xFFFFFFFD, copied: false);
        call.QueueZerocopy(1, 0xFFFFFFFE, 0xFFFFFFFE, copied: false);   // 2^32 - 1 ids: merged
        call.QueueZerocopy(1, 0xFFFFFFFF, 0xFFFFFFFF, copied: false);   // 2^32 ids: a new entry
        Assert.Equal([ErrorQueueEntry.Zerocopy(0, 0xFFFFFFFE, false), ErrorQueueEntry.Zerocopy(0xFFFFFFFF, 0xFFFFFFFF, false)],
            call.Unmodeled(ClauseId.ZerocopyCompletion, "end").ErrorQueue);

        // From id 1 to 2^32 - 1, the next id wraps to 0: 2^32 - 1 + 1 ids, a new entry.
        var wrapped = new Call();
        wrapped.QueueZerocopy(0, 1, 0xFFFFFFFF, copied: true);
        wrapped.QueueZerocopy(1, 0, 0, copied: true);
        Assert.Equal(2, wrapped.Unmodeled(ClauseId.ZerocopyCompletion, "end").ErrorQueue.Count);
    }

    /// <summary>A trace lists each clause once, in the order first passed, whichever clauses (the numbering of every
    /// id, one bit each, issue 17), and ends with the clause a system call closes it with, once.</summary>
    [Fact]
    public void A_trace_lists_each_clause_once_in_the_order_first_passed()
    {
        var call = new Call();
        call.Pass(ClauseId.Route);
        call.Pass(ClauseId.NoAddr);
        call.Pass(ClauseId.Route);
        call.Pass(ClauseId.SysResult);
        call.CloseWith(ClauseId.SysResult);
        call.Pass(ClauseId.NoAddr);
        Assert.Equal([ClauseId.Route, ClauseId.NoAddr, ClauseId.SysResult, ClauseId.UdpResult],
            call.Return(1, ClauseId.UdpResult).Trace.Select(c => c.Id));

        // Every id, each passed twice (in reverse the second time): each once, in order.
        string[] every = [.. ClauseId.Catalog.Concat(ClauseId.Additions).Distinct()];
        var all = new Call();
        foreach (var id in every) all.Pass(id);
        foreach (var id in every.Reverse()) all.Pass(id);
        all.CloseWith(ClauseId.SysResult);
        var trace = all.Fail(Errno.EINVAL, ClauseId.Bind).Trace.Select(c => c.Id).ToArray();
        Assert.Equal(every, trace);

        var closed = new Call();
        closed.CloseWith(ClauseId.SysResult);
        Assert.Equal([ClauseId.UdpResult, ClauseId.SysResult], closed.Return(0, ClauseId.UdpResult).Trace.Select(c => c.Id));
    }

    /// <summary>A trace (kept by clause number, issue 17) reads the same by index as in order, from its first clause to
    /// its last, and refuses an index outside it.</summary>
    [Fact]
    public void A_trace_reads_the_same_by_index_and_in_order_and_refuses_an_index_outside_it()
    {
        var call = new Call();
        call.Pass(ClauseId.Route);
        call.Pass(ClauseId.NoAddr);
        var trace = call.Return(1, ClauseId.UdpResult).Trace;
        Assert.Equal(3, trace.Count);
        Assert.Equal([ClauseId.Route, ClauseId.NoAddr, ClauseId.UdpResult], Enumerable.Range(0, trace.Count).Select(i => trace[i].Id));
        Assert.Equal(trace.Select(c => c.Id), Enumerable.Range(0, trace.Count).Select(i => trace[i].Id));
        Assert.Throws<ArgumentOutOfRangeException>(() => trace[3]);
        Assert.Throws<ArgumentOutOfRangeException>(() => trace[-1]);
        Assert.Empty(new Call().Trace);
    }

    /// <summary>A call keeps every datagram, error-queue entry and confirmed neighbour it is given, in order, however
    /// many: the first of each is held apart until a second comes (issue 17), and no later one replaces it.</summary>
    [Fact]
    public void A_call_keeps_every_datagram_error_and_confirmation_in_order()
    {
        var sim = Sim.WithSocket(Profile.Linux);
        var first = Assert.Single(sim.SendTo("s", 10, Hosts.Remote).Datagrams);
        var second = Assert.Single(sim.SendTo("s", 20, Hosts.Remote).Datagrams);
        var third = Assert.Single(sim.SendTo("s", 30, Hosts.Remote).Datagrams);

        var call = new Call();
        Assert.Empty(call.Datagrams);
        call.Emit(first);
        Assert.Equal([first], call.Datagrams);
        call.Emit(second);
        call.Emit(third);
        Assert.Equal([first, second, third], call.Datagrams);
        var local = new ErrorQueueEntry(Errno.EMSGSIZE, ErrorOrigin.Local, 1500, Hosts.Remote, 0);
        var icmp = new ErrorQueueEntry(Errno.EMSGSIZE, ErrorOrigin.Icmp, 1400, Hosts.Remote, 9);
        call.QueueError(local);
        call.QueueError(icmp);
        Assert.Equal(2, call.ErrorCount);
        call.Confirm(Hosts.Gateway);
        call.Confirm(Hosts.Remote);
        var outcome = call.Return(3, ClauseId.SendmmsgCount);
        Assert.Equal([first, second, third], outcome.Datagrams);
        Assert.Equal([local, icmp], outcome.ErrorQueue);
        Assert.Equal([Hosts.Gateway, Hosts.Remote], outcome.ConfirmedNeighbours);

        // One datagram: the outcome holds it alone; a call that goes on keeps the outcome's as it was.
        var one = new Call();
        one.Emit(first);
        var sent = one.Return(1, ClauseId.UdpResult);
        one.Emit(second);
        Assert.Equal([first], sent.Datagrams);
        Assert.Equal([first, second], one.Return(2, ClauseId.UdpResult).Datagrams);
    }

    /// <summary>An outcome holds the trace its call made; a call that goes on (sendmmsg's next entry) does not change
    /// the trace of an outcome it gave before.</summary>
    [Fact]
    public void An_outcome_keeps_its_trace_when_its_call_goes_on()
    {
        var call = new Call();
        call.Pass(ClauseId.Route);
        var first = call.Return(1, ClauseId.UdpResult);
        call.Pass(ClauseId.NoAddr);
        var second = call.Fail(Errno.EINVAL, ClauseId.Bind);
        Assert.Equal([ClauseId.Route, ClauseId.UdpResult], first.Trace.Select(c => c.Id));
        Assert.Equal([ClauseId.Route, ClauseId.UdpResult, ClauseId.NoAddr, ClauseId.Bind], second.Trace.Select(c => c.Id));
        Assert.Equal(1, first.Value);
        Assert.Equal(Errno.EINVAL, second.Error);
    }

    [Fact]
    public void Error_queue_entries_read_as_case_files_write_them()
    {
        Assert.Equal("zerocopy 3-5 copied", ErrorQueueEntry.Zerocopy(3, 5, copied: true).Describe());
        // Not copied (pages pinned): code 0, as a case file's "errqueue: zerocopy 3-5" reads.
        Assert.Equal("zerocopy 3-5", ErrorQueueEntry.Zerocopy(3, 5, copied: false).Describe());
        Assert.Equal("zerocopy 3-5 to 0.0.0.0:9", (ErrorQueueEntry.Zerocopy(3, 5, copied: false) with { Port = 9 }).Describe());
        Assert.Equal("zerocopy 3-5 to 192.0.2.1:0", (ErrorQueueEntry.Zerocopy(3, 5, copied: false) with { Address = Ipv4Address.Parse("192.0.2.1") }).Describe());
        Assert.Equal("zerocopy 3-5 code=7 errno=EIO to 192.0.2.1:9",
            (ErrorQueueEntry.Zerocopy(3, 5, copied: false) with { Code = 7, Errno = Errno.EIO, Address = Ipv4Address.Parse("192.0.2.1"), Port = 9 }).Describe());
        var icmp = new ErrorQueueEntry(Errno.EMSGSIZE, ErrorOrigin.Icmp, 1400, Ipv4Address.Parse("198.51.100.9"), 4000);
        Assert.Equal("EMSGSIZE icmp info=1400 to 198.51.100.9:4000", icmp.Describe());
        Assert.Equal("EMSGSIZE icmp info=1400 to 198.51.100.9:4000 code=4 data=2", (icmp with { Code = 4, Data = 2 }).Describe());
    }

    [Fact]
    public void An_outcome_reads_as_its_kind_clause_and_note()
    {
        Assert.Equal($"Unmodeled [{ClauseId.SocketUnsupported}]: why", new Call().Unmodeled(ClauseId.SocketUnsupported, "why").ToString());
        Assert.Equal($"Unmodeled [{ClauseId.SocketUnsupported}]", (new Call().Unmodeled(ClauseId.SocketUnsupported, "why") with { Note = null }).ToString());
    }

    [Fact]
    public void Reading_the_value_of_a_stopped_step_or_a_failed_result_says_what_stopped_it()
    {
        Step<int> stopped = Stop.Fail(Errno.EINVAL, ClauseId.Bind);
        Assert.Equal($"the step stopped: Error [{ClauseId.Bind}]", Assert.Throws<InvalidOperationException>(() => stopped.Value).Message);
        Result<int> failed = Errno.ENETUNREACH;
        Assert.Equal("result is an error: ENETUNREACH", Assert.Throws<InvalidOperationException>(() => failed.Value).Message);
    }
}
