using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Model;
using Xunit;

namespace Udpconf.Tests.Cases;

public class CaseParserTests
{
    private const string Good = """
        # A title line
        clauses: udp_sendmsg.dport_zero
        profiles: spec

        host:
          link tun0 192.0.2.1/24 mtu 1006 offload also 192.0.2.2/24
          route 198.51.100.0/24 via 192.0.2.254 dev tun0 mtu 900 lock
          drop to 203.0.113.0/24 port 53
          ports 40000-40010

        steps:
          socket s nonblock
          setsockopt s IP_MTU_DISCOVER do
          sendto s 10 to 198.51.100.7:0 flags MORE|CONFIRM   # a comment
            => EINVAL|EAGAIN udp_sendmsg.dport_zero
            wire: none
          sendmsg s iov 3,hex:0a0b,4*ff,5! to mapped 198.51.100.7:9 addrlen 28 cmsg pktinfo 2 192.0.2.2 cmsg ttl 5
            => 14
            packet 1 dst=198.51.100.7 csum=valid
            counters: OutDatagrams=1
        """;

    [Fact]
    public void A_well_formed_case_gives_its_header_host_and_steps()
    {
        var result = CaseParser.Parse("x.case", "dir/x", Good);
        Assert.Empty(result.Diagnostics);
        var @case = result.Case!;
        Assert.Equal("A title line", @case.Title);
        Assert.Equal(["udp_sendmsg.dport_zero"], @case.Clauses);
        Assert.Equal(["spec"], @case.Profiles);
        var tun = @case.Host.InterfaceByName("tun0")!;
        Assert.Equal((1006, true, 2), (tun.Mtu, tun.ChecksumOffload, tun.Index));
        Assert.Equal(Ipv4Address.Parse("192.0.2.2"), Assert.Single(tun.SecondaryAddresses!).Address);
        var route = Assert.Single(@case.Host.Routes);
        Assert.Equal((RouteKind.Unicast, 900, true), (route.Kind, route.Mtu, route.MtuLocked));
        Assert.Equal((ushort)53, Assert.Single(@case.Host.OutputDrops).DestinationPort);
        Assert.Equal((40000, 40010), ((int)@case.Host.LocalPortLow, (int)@case.Host.LocalPortHigh));
        Assert.Equal(4, @case.Steps.Count);

        var socket = Assert.IsType<SocketOp>(@case.Steps[0].Operation);
        Assert.Equal(SocketType.Dgram | SocketType.NonblockFlag, socket.Type);
        var send = Assert.IsType<SendToOp>(@case.Steps[2].Operation);
        Assert.Equal(MsgFlags.More | MsgFlags.Confirm, send.Flags);
        Assert.Equal(0, SockAddr.Port(send.Address!.Readable.Span));
        var expectation = @case.Steps[2].Expectation;
        Assert.Equal([Errno.EINVAL, Errno.EAGAIN], expectation.Result!.Errnos);
        Assert.Equal(ClauseId.DportZero, expectation.Result.Clause);
        Assert.Equal(0, expectation.PacketCount);

        var msg = Assert.IsType<SendMsgOp>(@case.Steps[3].Operation);
        Assert.Equal([3L, 2, 4, 5], msg.Iov.Select(b => b.Length));
        Assert.False(msg.Iov[3].FullyReadable);
        Assert.Equal(28, msg.NameLength);
        Assert.Equal(2 * ControlMessages.SpaceFor(12) - ControlMessages.SpaceFor(12) + ControlMessages.SpaceFor(4), msg.ControlLength);
        Assert.Equal("valid", Assert.Single(@case.Steps[3].Expectation.Packets).Fields["csum"]);
        Assert.Equal(1, @case.Steps[3].Expectation.Counters[Counter.OutDatagrams]);
        Assert.Equal(17, @case.Steps[3].Position.Line);
    }

    [Theory]
    [InlineData("clauses: udp_sendmsg.nope\nsteps:\n  socket s\n", 1, 10, "unknown clause id 'udp_sendmsg.nope'")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n  sendto s ten\n", 3, 12, "expected a length, found 'ten'")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n  sendto s 10 to 1.2.3.4:99999\n", 3, 26, "port out of range: 99999")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n  socket s\n    => EWHAT\n", 4, 8, "unknown errno 'EWHAT'")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n    => 3\n", 3, 5, "an expectation must follow an operation")]
    [InlineData("clauses: udp_sendmsg.oob\nhost:\n  link tun0 192.0.2.1/33\nsteps:\n  socket s\n", 3, 23, "prefix length must be 0 to 32 in '192.0.2.1/33'")]
    [InlineData("clauses: udp_sendmsg.oob\nhost:\n  route default via 192.0.2.254 dev eth7\nsteps:\n  socket s\n", 3, 9, "route to 0.0.0.0/0 names link 'eth7', which is not defined")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n  sendto s 10 flags MORE|SOON\n", 3, 26, "unknown flag 'SOON'")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n  socket s\n    packet 1 ttl\n", 4, 14, "expected field=value, found 'ttl'")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n  socket s\n    errqueue: EMSGSIZE remote info=1 to 1.2.3.4:9\n", 4, 24, "expected local or icmp, found 'remote'")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n  socket s\n    errqueue: EMSGSIZE local mtu=1 to 1.2.3.4:9\n", 4, 30, "expected info=N, found 'mtu=1'")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n  socket s\n    errqueue: EMSGSIZE local info=1 to 1.2.3.4\n", 4, 40, "expected A.B.C.D:PORT, found '1.2.3.4'")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n  socket s\n    errqueue: EMSGSIZE local info=1 to 1.2.3.4:9\n    errqueue: none\n", 5, 5, "'errqueue: none' contradicts an entry given before")]
    [InlineData("steps:\n  socket s\n", 1, 1, "missing 'clauses:' header")]
    [InlineData("clauses: udp_sendmsg.oob\n", 1, 1, "no steps")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n  sendto s \"open\n", 3, 12, "unterminated quoted text")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n  sendmmsg s msg\n", 3, 17, "expected 'iov' and the data blocks")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n  sendmmsg s vlen -1\n", 3, 19, "a vector length must be 0 to 4294967295")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n  sendmmsg s to 1.2.3.4:5\n", 3, 14, "unexpected 'to' (msg, vlen, flags)")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n  sendmmsg s msg iov 1 bogus\n", 3, 24, "unexpected 'bogus'")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n  sendmsg s iov 1 msg iov 2\n", 3, 19, "unexpected 'msg'")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n  sendmsg s iov len=5\n", 3, 22, "an entry 'len=N' needs its base")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n  sendmsg s iov len=x/base=null\n", 3, 21, "expected an iov length")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n  sendmsg s iov 1,len=18446744073709551616/base=null\n", 3, 23, "expected an iov length")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n  sendmsg s iov len=5/bass=null\n", 3, 23, "expected 'base=null', 'base=unreadable' or 'base=DATA'")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n  sendmsg s iov len=5/base=\n", 3, 28, "expected a base after 'base='")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n  sendmsg s iov len=2/base=4\n", 3, 21, "len=2 is shorter than the 4 bytes of its base")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n  sendmsg s iov len=9/base=4!\n", 3, 28, "a base of DATA is readable bytes")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n  shutdown s xx\n", 3, 14, "expected rd, wr, rdwr or a number, found 'xx'")]
    [InlineData("clauses: udp_sendmsg.oob\nsteps:\n  shutdown s 99999999999\n", 3, 14, "rd, wr, rdwr or a number out of range")]
    public void A_malformed_line_gives_file_line_column_and_the_problem(string text, int line, int column, string problem)
    {
        var result = CaseParser.Parse("bad.case", "bad", text);
        Assert.Null(result.Case);
        var diagnostic = Assert.Single(result.Diagnostics, d => d.Problem.StartsWith(problem));
        Assert.Equal(("bad.case", line, column), (diagnostic.Position.File, diagnostic.Position.Line, diagnostic.Position.Column));
        Assert.StartsWith($"bad.case:{line}:{column}: {problem}", diagnostic.ToString());
    }

    [Fact]
    public void Errqueue_lines_give_the_entries_in_order_and_none_gives_an_empty_queue()
    {
        var result = CaseParser.Parse("x.case", "dir/x", """
            clauses: ip_append_data.emsgsize_total
            steps:
              socket s
                errqueue: none
              sendto s 65508 to 198.51.100.7:9
                errqueue: EMSGSIZE local info=1500 to 198.51.100.7:0
                errqueue: EMSGSIZE icmp info=1400 to 198.51.100.9:4000
              sendto s 1 to 198.51.100.7:9
            """);
        Assert.Empty(result.Diagnostics);
        var steps = result.Case!.Steps;
        Assert.Empty(steps[0].Expectation.ErrorQueue!);
        Assert.Equal(
            [new ErrorQueueEntry(Errno.EMSGSIZE, ErrorOrigin.Local, 1500, Ipv4Address.Parse("198.51.100.7"), 0),
             new ErrorQueueEntry(Errno.EMSGSIZE, ErrorOrigin.Icmp, 1400, Ipv4Address.Parse("198.51.100.9"), 4000)],
            steps[1].Expectation.ErrorQueue!);
        Assert.Null(steps[2].Expectation.ErrorQueue);
    }

    [Fact]
    public void Every_bad_line_is_reported_not_just_the_first()
    {
        var result = CaseParser.Parse("bad.case", "bad", "clauses: udp_sendmsg.oob\nsteps:\n  sendto s x\n  frobnicate\n  socket s\n    => 1 nope.nope\n");
        Assert.Equal([3, 4, 6], result.Diagnostics.Select(d => d.Position.Line));
    }

    [Fact]
    public void Arbitrary_text_never_throws()
    {
        var random = new Random(11);
        var words = new[] { "clauses:", "steps:", "host:", "socket", "sendto", "=>", "packet", "1", "ttl=", "#", "\"", "to", "hex:0", "5!", "link", "route", "via", "dev", "udp_sendmsg.oob", "\n", "  ", "|", "EINVAL", "mapped", "cmsg", "raw" };
        for (var i = 0; i < 2000; i++)
        {
            var text = string.Join(" ", Enumerable.Range(0, random.Next(1, 30)).Select(_ => words[random.Next(words.Length)]));
            var result = CaseParser.Parse("fuzz.case", "fuzz", text);
            Assert.True(result.Case is not null || result.Diagnostics.Count > 0);
        }
    }

    [Fact]
    public void The_example_case_passes_on_the_model_in_both_profiles()
    {
        var path = Path.Combine(Udpconf.Suite.SpecMap.FindRoot(AppContext.BaseDirectory)!, "Conformance", "cases", "udp_sendmsg", "dport_zero.case");
        var parsed = CaseParser.ParseFile(path, Path.GetDirectoryName(Path.GetDirectoryName(path))!);
        Assert.Empty(parsed.Diagnostics);
        foreach (var profile in Profile.All)
        {
            var result = CaseRunner.Run(parsed.Case!, profile, new ModelTarget(profile), TestContext.Current.CancellationToken);
            Assert.True(result.Kind == VerdictKind.Pass, string.Join("\n", result.Steps.SelectMany(s => s.Problems)));
        }
    }

    private const string U32Case = """
        clauses: options.readonly
        profiles: linux

        host:
          link tun0 192.0.2.1/24

        steps:
          socket s
          getsockopt s 1/55 len 12
            => 12 value VALUE
        """;

    [Fact]
    public void A_u32_value_is_little_endian_words()
    {
        var parsed = CaseParser.Parse("u.case", "u", U32Case.Replace("VALUE", "u32:0,4608,4294967295"));
        Assert.Empty(parsed.Diagnostics);
        var value = parsed.Case!.Steps[1].Expectation.Result!.OptionValue;
        Assert.Equal("0000000000120000FFFFFFFF", Convert.ToHexString(value!.Value.Span));
    }

    [Theory]
    [InlineData("u32:", "found ''")]
    [InlineData("u32:1,,2", "found ''")]
    [InlineData("u32:-1", "found '-1'")]
    [InlineData("u32:4294967296", "0 to 4294967295")]
    [InlineData("u32:0x10", "found '0x10'")]
    public void A_malformed_u32_value_is_a_case_error(string value, string problem)
    {
        var parsed = CaseParser.Parse("u.case", "u", U32Case.Replace("VALUE", value));
        var diagnostic = Assert.Single(parsed.Diagnostics);
        Assert.Contains(problem, diagnostic.Problem);
        Assert.Equal(10, diagnostic.Position.Line);
    }

    [Fact]
    public void A_wmem_line_states_the_values_even_at_their_defaults_and_is_written_back()
    {
        var text = U32Case.Replace("  link tun0 192.0.2.1/24\n", "  link tun0 192.0.2.1/24\n  wmem 212992 212992\n").Replace("VALUE", "hex:00");
        var stated = CaseParser.Parse("w.case", "w", text).Case!;
        Assert.True(stated.Host.WmemStated);
        Assert.Contains("wmem 212992", CaseWriter.Write("w", stated.Clauses, stated.Profiles, [], stated.Host, stated.Steps.Select(x => x.Operation).ToArray()));
        var unstated = CaseParser.Parse("u.case", "u", U32Case.Replace("VALUE", "hex:00")).Case!;
        Assert.False(unstated.Host.WmemStated);
        Assert.DoesNotContain("wmem", CaseWriter.Write("u", unstated.Clauses, unstated.Profiles, [], unstated.Host, unstated.Steps.Select(x => x.Operation).ToArray()));
    }
}

public class CaseCommentTests
{
    [Fact]
    public void A_hash_before_a_number_is_a_raw_descriptor_and_a_hash_after_a_blank_is_a_comment()
    {
        var result = CaseParser.Parse("c.case", "c", "clauses: sys_sendto.bad_fd\nsteps:\n  # a comment line\n  sendto #99 10 to 198.51.100.7:9  # trailing comment\n    => EBADF\n");
        Assert.Empty(result.Diagnostics);
        var send = Assert.IsType<SendToOp>(Assert.Single(result.Case!.Steps).Operation);
        Assert.Equal(Fd.Raw(99), send.Fd);
    }
}
