using System.Reflection;
using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Targets.Exec;
using Udpconf.Suite.Targets.Kernel;
using Udpconf.Suite.Targets;
using Xunit;
using static Udpconf.Reference.Api.SocketOption;

namespace Udpconf.Tests.Cases;

/// <summary>
/// Every kind of operation goes everywhere an operation must go (CASES.md, "Adding an operation"): the case grammar
/// writes and reads it back, the process protocol carries it both ways, the model answers it, and the live kernel
/// target performs it. An operation added to Reference/Api without an example here fails the first test; one
/// added without its grammar, protocol message, model function or system call fails the others.
/// </summary>
public class EveryOperationTests
{
    private static UserBuffer Remote => UserBuffer.Of(SockAddr.In(Ipv4Address.Parse("198.51.100.7"), 9));
    private static Fd S => Fd.Named("s");

    /// <summary>One example of each operation, as a case after <c>socket s</c> would use it.</summary>
    private static readonly Operation[] Examples =
    [
        new SocketOp("s2"),
        new OpenFileOp("f"),
        new BindOp(S, UserBuffer.Of(SockAddr.In(Ipv4Address.Parse("192.0.2.1"), 4000)), SockAddr.InLength),
        new ConnectOp(S, Remote, SockAddr.InLength),
        new SetSockOptOp(S, SolIp, IpTtl, UserBuffer.Of(BitConverter.GetBytes(7)), 4),
        new GetSockOptOp(S, SolIp, IpTtl, 4),
        new SetNonblockOp(S, true),
        new SendToOp(S, UserBuffer.Pattern(12), MsgFlags.DontWait, Remote, SockAddr.InLength),
        new SendMsgOp(S, Remote, SockAddr.InLength, [UserBuffer.Pattern(3), UserBuffer.Pattern(5)],
            UserBuffer.Of(ControlMessages.Encode((SolIp, IpTtl, BitConverter.GetBytes(9)))), ControlMessages.SpaceFor(4), MsgFlags.None),
        new SendMmsgOp(S, [new MmsgEntry(Remote, SockAddr.InLength, [UserBuffer.Pattern(3), UserBuffer.Pattern(5)], null, 0),
            new MmsgEntry(Remote, SockAddr.InLength, [UserBuffer.Pattern(7)],
                UserBuffer.Of(ControlMessages.Encode((SolIp, IpTtl, BitConverter.GetBytes(9)))), ControlMessages.SpaceFor(4))], 2, MsgFlags.None),
        // On an unconnected socket shutdown answers ENOTCONN: its example runs after a connect (Before).
        new ShutdownOp(S, 0),
        new CloseOp(S),
        new HostChangeOp("tun0", Mtu: 1400),
    ];

    /// <summary>What an example needs after <c>socket s</c> to be an ordinary call that succeeds.</summary>
    private static Operation[] Before(string kind) => kind == nameof(ShutdownOp) ? [new ConnectOp(S, Remote, SockAddr.InLength)] : [];

    public static TheoryData<string> Kinds() => new(Examples.Select(e => e.GetType().Name));

    private static Operation Example(string kind) => Examples.Single(e => e.GetType().Name == kind);

    [Fact]
    public void Every_operation_of_the_API_has_an_example_here()
    {
        var kinds = typeof(Operation).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(Operation)) && !t.IsAbstract).Select(t => t.Name).Order().ToArray();
        Assert.Equal(kinds, Examples.Select(e => e.GetType().Name).Order().ToArray());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_case_grammar_writes_it_and_reads_it_back(string kind)
    {
        var operation = Example(kind);
        var line = CaseWriter.Operation(operation);
        var parsed = CaseParser.Parse("every.case", "every", $"clauses: {ClauseId.DportZero}\nsteps:\n  socket s\n  {line}\n");
        Assert.True(parsed.Case is not null, string.Join(Environment.NewLine, parsed.Diagnostics));
        Assert.Null(Structural.OperationDifference(operation, parsed.Case.Steps[1].Operation));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_process_protocol_carries_it_both_ways(string kind)
    {
        // The implementation's side reads the request with its own descriptor numbers (here 5 for s), and asking
        // for what it read gives the same message again.
        var request = Protocol.Request(1, Example(kind), _ => 5);
        var read = Protocol.ReadRequest(Protocol.Parse(Protocol.Line(request), "the request"));
        Assert.IsType(Example(kind).GetType(), read);
        var again = Protocol.Request(1, read, fd => fd.Number);
        Assert.Equal(Protocol.Line(request), Protocol.Line(again));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_model_answers_it(string kind)
    {
        var model = new Reference.Model(HostConfig.Default, Profile.Linux);
        Assert.Equal(OutcomeKind.Value, model.Run(new SocketOp("s")).Kind);
        Assert.All(Before(kind), op => Assert.Equal(OutcomeKind.Value, model.Run(op).Kind));
        var outcome = model.Run(Example(kind));
        Assert.NotEqual(ClauseId.SocketUnsupported, outcome.Clause);
        Assert.NotEqual(OutcomeKind.Unmodeled, outcome.Kind);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_kernel_target_performs_it(string kind)
    {
        Capability.RequireLive(KernelTarget.CanRun(out var why), why);
        var run = new KernelTarget().Run(HostConfig.Default, [new SocketOp("s"), .. Before(kind), Example(kind)], TestContext.Current.CancellationToken);
        Assert.Null(run.Failure);
        var observed = run.Observations[^1];
        Assert.True(observed.Kind != OutcomeKind.Unmodeled, $"{kind}: the kernel target did not perform it ({observed.Note})");
        // The same answer as the model's linux profile: each example is an ordinary call that succeeds.
        Assert.Equal(OutcomeKind.Value, observed.Kind);
    }
}
