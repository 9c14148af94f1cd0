using Udpconf.Reference;
using Xunit;

namespace Udpconf.Tests.Model;

/// <summary>
/// The recorder spec-map listens to the model with (its column of switches read under each clause): a switch read is
/// credited to the next clause recorded on the thread, once; clearing forgets reads, credited or not.
/// </summary>
public class ClauseRecorderTests
{
    [Fact]
    public void A_switch_read_is_credited_once_to_the_next_clause_recorded()
    {
        using var recorder = ClauseRecorder.Start();
        _ = Profile.Linux.CountsOutNoRoutes;
        _ = Profile.Linux.SingleIovAsUbuf;
        ClauseSite.Decided(ClauseId.Route);
        ClauseSite.Decided(ClauseId.UdpResult);

        Assert.Equal(["CountsOutNoRoutes", "SingleIovAsUbuf"], recorder.ReadsUnder[ClauseId.Route].Order());
        // Nothing was read after the first clause: the second gets no entry at all, not an empty one.
        Assert.False(recorder.ReadsUnder.ContainsKey(ClauseId.UdpResult));
        Assert.Equal(2, recorder.Sites.Count);
    }

    [Fact]
    public void The_reads_after_an_operations_last_clause_go_to_the_clause_that_decided_it()
    {
        using var recorder = ClauseRecorder.Start();
        ClauseSite.Decided(ClauseId.Route);
        _ = Profile.Linux.CountsOutNoRoutes;
        recorder.EndOperation(ClauseId.UdpResult);
        Assert.Equal(["CountsOutNoRoutes"], recorder.ReadsUnder[ClauseId.UdpResult]);
        Assert.False(recorder.ReadsUnder.ContainsKey(ClauseId.Route));
        // Ending with nothing read credits nothing.
        recorder.EndOperation(ClauseId.Route);
        Assert.False(recorder.ReadsUnder.ContainsKey(ClauseId.Route));
    }

    [Fact]
    public void Clearing_forgets_credited_reads_and_reads_not_yet_credited_and_keeps_the_sites()
    {
        using var recorder = ClauseRecorder.Start();
        _ = Profile.Linux.CountsOutNoRoutes;
        ClauseSite.Decided(ClauseId.Route);
        _ = Profile.Linux.SingleIovAsUbuf;
        recorder.ClearReads();
        Assert.Empty(recorder.ReadsUnder);

        ClauseSite.Decided(ClauseId.UdpResult);
        Assert.Empty(recorder.ReadsUnder);
        Assert.Equal(new[] { ClauseId.Route, ClauseId.UdpResult }.Order(), recorder.Sites.Keys.Select(c => c.Id).Order());
    }

    [Fact]
    public void Outside_a_recorder_nothing_is_listening_and_a_disposed_one_hears_nothing_more()
    {
        var recorder = ClauseRecorder.Start();
        recorder.Dispose();
        _ = Profile.Linux.CountsOutNoRoutes;
        ClauseSite.Decided(ClauseId.Route);
        Assert.Empty(recorder.Sites);
        Assert.Empty(recorder.ReadsUnder);
    }
}
