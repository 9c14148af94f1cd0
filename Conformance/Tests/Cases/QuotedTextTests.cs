using System.Text;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Reports;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Model;
using Xunit;

namespace Udpconf.Tests.Cases;

/// <summary>Quoted text wherever data is given (sendto, iov lists, <c>payload=</c>) with the escapes \" \\ \n \t
/// \xHH; ENOTSUP as EOPNOTSUPP; their diagnostics; and CaseWriter writing them back.</summary>
public class QuotedTextTests
{
    private const string Quoted = """
        # Quoted data, escapes, an iov of quoted words, ENOTSUP, csum=valid on fragments.
        title: "quoted \"title\"" here
        clauses: udp_sendmsg.dport_zero
        steps:
          socket s
          sendto s "hi there\n\x00\"q\" # not a comment" to 198.51.100.7:9   # a comment
            => 29
            wire: 1
            packet 1 payload="hi there\n\x00\"q\" # not a comment" csum=valid
          sendmsg s iov "a,b",3,"c d\t\\" to 198.51.100.7:9
            => 11
            packet 1 payload=hex:612c62000102632064095c
          sendto s 3000 to 198.51.100.7:9
            => 3000
            wire: 3
            packet 2 csum=valid
            packet 3 csum=valid
          getsockopt s 0/200
            => ENOPROTOOPT|ENOTSUP
        """;

    private static Case Parse(string text)
    {
        var result = CaseParser.Parse("q.case", "q", text);
        Assert.True(result.Case is not null, string.Join("\n", result.Diagnostics));
        return result.Case;
    }

    [Fact]
    public void Quoted_data_payloads_and_iov_words_read_with_their_escapes()
    {
        var @case = Parse(Quoted);
        Assert.Equal("quoted \"title\" here", @case.Title);
        var send = Assert.IsType<SendToOp>(@case.Steps[1].Operation);
        var text = "hi there\n\0\"q\" # not a comment"u8.ToArray();
        Assert.Equal(text, send.Data.Readable.ToArray());
        Assert.Equal("\"hi there\\n\\x00\\\"q\\\" # not a comment\"", @case.Steps[1].Expectation.Packets[0].Fields["payload"]);

        var msg = Assert.IsType<SendMsgOp>(@case.Steps[2].Operation);
        Assert.Equal(["a,b", "\0\u0001\u0002", "c d\t\\"], msg.Iov.Select(b => Encoding.ASCII.GetString(b.Readable.Span)));
        Assert.Equal([Errno.ENOPROTOOPT, Errno.EOPNOTSUPP], @case.Steps[4].Expectation.Result!.Errnos);
    }

    [Fact]
    public void The_quoted_case_passes_on_the_model_payloads_and_fragment_checksums_checked()
    {
        foreach (var profile in Profile.All)
        {
            var result = CaseRunner.Run(Parse(Quoted), profile, new ModelTarget(profile), TestContext.Current.CancellationToken);
            Assert.True(result.Kind == VerdictKind.Pass, ReportText.AllProblems(result));
            Assert.Equal(3, result.Steps[1].CaseChecks); // => 29, wire: 1, packet 1
        }
        // A payload that differs by one escaped byte fails.
        var wrong = Parse(Quoted.Replace("packet 1 payload=\"hi there\\n\\x00", "packet 1 payload=\"hi there\\n\\x01"));
        var failed = CaseRunner.Run(wrong, Profile.Linux, new ModelTarget(Profile.Linux), TestContext.Current.CancellationToken);
        Assert.Equal("packet 1 payload", Assert.Single(failed.Steps[1].Problems).What);
    }

    [Fact]
    public void ENOTSUP_is_read_as_EOPNOTSUPP_wherever_an_errno_is_read()
    {
        Assert.True(ErrnoNames.TryParse("ENOTSUP", out var errno));
        Assert.Equal((Errno.EOPNOTSUPP, 95), (errno, (int)errno));
        var @case = Parse("""
            clauses: udp_sendmsg.dport_zero
            host:
              link tun0 192.0.2.1/24
              veto ENOTSUP
            steps:
              socket s
                => ENOTSUP
                errqueue: ENOTSUP local info=0 to 1.2.3.4:9
            """);
        Assert.Equal(Errno.EOPNOTSUPP, @case.Host.SecurityVeto);
        Assert.Equal([Errno.EOPNOTSUPP], @case.Steps[0].Expectation.Result!.Errnos);
        Assert.Equal(Errno.EOPNOTSUPP, @case.Steps[0].Expectation.ErrorQueue![0].Errno);
        // Written back under its one name.
        Assert.Contains("veto EOPNOTSUPP", CaseWriter.Host(@case.Host));
    }

    [Theory]
    [InlineData("  sendto s \"a\\qb\"\n", 3, 14, "unknown escape '\\q' in quoted text (\\\" \\\\ \\n \\t \\xHH)")]
    [InlineData("  sendto s \"a\\x4\"\n", 3, 14, "\\x takes two hex digits (\\xHH)")]
    [InlineData("  sendto s \"a\\xzz\"\n", 3, 14, "\\x takes two hex digits (\\xHH)")]
    [InlineData("  sendto s \"ab\"c\n", 3, 16, "unexpected 'c' after the quoted text")]
    [InlineData("  sendto s \"ab\\\"\n", 3, 12, "unterminated quoted text")]
    [InlineData("  sendmsg s iov 1,\"a\"x,2\n", 3, 22, "unexpected 'x' after the quoted text")]
    [InlineData("  sendmsg s iov \"a,b\",\n", 3, 23, "expected a length, found ''")]
    [InlineData("  socket s\n    packet 1 payload=\"ab\n", 4, 22, "unterminated quoted text")]
    [InlineData("  socket s\n    packet 1 payload=\"a\\yb\"\n", 4, 24, "unknown escape '\\y' in quoted text (\\\" \\\\ \\n \\t \\xHH)")]
    [InlineData("  socket s\n    packet 1 payload=\"ab\"cd\n", 4, 26, "unexpected 'cd' after the quoted text")]
    [InlineData("  socket s\n    => ENOTSUPP\n", 4, 8, "unknown errno 'ENOTSUPP'")]
    public void A_malformed_quoted_word_gives_file_line_column_and_the_problem(string steps, int line, int column, string problem)
    {
        var result = CaseParser.Parse("bad.case", "bad", "clauses: udp_sendmsg.oob\nsteps:\n" + steps);
        Assert.Null(result.Case);
        // (A bad operation line leaves the case without steps: "no steps" is reported too.)
        var diagnostic = Assert.Single(result.Diagnostics, d => d.Problem != "no steps");
        Assert.Equal($"bad.case:{line}:{column}: {problem}", diagnostic.ToString());
    }

    [Fact]
    public void CaseWriter_writes_text_data_quoted_with_escapes_in_sendto_and_iov_lists_and_it_reads_back()
    {
        byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);
        var address = UserBuffer.Of(SockAddr.In(Udpconf.Reference.Host.Ipv4Address.Parse("198.51.100.7"), 9));
        var send = new SendToOp(Fd.Named("s"), UserBuffer.Of(Ascii("say \"hi\"\\ # now\n\tok")), MsgFlags.None, address, SockAddr.InLength);
        var msg = new SendMsgOp(Fd.Named("s"), null, 0, [UserBuffer.Of(Ascii("a,b")), UserBuffer.Pattern(3), UserBuffer.Of(Ascii("none"))], null, 0, MsgFlags.None);
        Assert.Equal("sendto s \"say \\\"hi\\\"\\\\ # now\\n\\tok\" to 198.51.100.7:9", CaseWriter.Operation(send));
        Assert.Equal("sendmsg s iov \"a,b\",3,\"none\"", CaseWriter.Operation(msg));

        var text = CaseWriter.Write("quoted", ["udp_sendmsg.dport_zero"], [], [], Udpconf.Reference.Host.HostConfig.Default, [send, msg],
            [["=> 19", "packet 1 payload=\"say \\\"hi\\\"\\\\ # now\\n\\tok\" csum=valid"], []]);
        var again = Parse(text);
        Assert.Equal(send.Data.Readable.ToArray(), Assert.IsType<SendToOp>(again.Steps[0].Operation).Data.Readable.ToArray());
        Assert.Equal(msg.Iov.Select(b => b.Readable.ToArray()), Assert.IsType<SendMsgOp>(again.Steps[1].Operation).Iov.Select(b => b.Readable.ToArray()));
        Assert.Equal("\"say \\\"hi\\\"\\\\ # now\\n\\tok\"", again.Steps[0].Expectation.Packets[0].Fields["payload"]);
    }
}
