using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Suite;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Exec;
using Udpconf.Suite.Targets.Model;
using Xunit;

namespace Udpconf.Tests.Targets.Exec;

/// <summary>
/// The exec: target and the process protocol: the model behind the protocol (udpconf serve-model) must give exactly
/// the in-process model's verdicts, and implementations that misbehave (crash, hang, garbage, another version,
/// out-of-order replies) must give clear per-case verdicts while the run goes on.
/// </summary>
public class ExecTargetTests
{
    /// <summary>The model answers on both sides of the protocol here, so no model mutant can change a verdict.</summary>
    public ExecTargetTests() => Capability.NotInMutationRun("the exec target through serve-model (the model on both sides of the protocol; the model is judged by the cases in process)");

    /// <summary>udpconf serve-model, as built beside the tests.</summary>
    private static string ServeModel(string profile) =>
        $"\"{Path.Combine(AppContext.BaseDirectory, "udpconf")}\" serve-model --profile {profile}";

    private static HostConfig Host => HostConfig.Default;

    private static Operation[] SendTen() =>
    [
        new SocketOp("s"),
        new SendToOp(Fd.Named("s"), UserBuffer.Pattern(10), MsgFlags.None, UserBuffer.Of(SockAddr.In(Ipv4Address.Parse("198.51.100.7"), 9)), 16),
    ];

    [Theory]
    [InlineData("spec")]
    [InlineData("linux")]
    public void The_suite_through_the_protocol_gives_the_model_targets_verdicts(string profileName)
    {
        var profile = Profile.Find(profileName)!;
        var exec = ExecTarget.Connect(ServeModel(profileName), out var why);
        Assert.True(exec is not null, why);
        Assert.Equal($"exec:udpconf model {profileName}", exec!.Name);
        var model = new ModelTarget(profile);
        var token = TestContext.Current.CancellationToken;
        var cases = CaseLibrary.Load(CaseLibrary.DefaultFolder(Root())).Select(f => f.Case).OfType<Case>().Where(c => c.AppliesTo(profileName)).ToArray();
        Assert.True(cases.Length > 100, $"only {cases.Length} cases");
        var differences = new List<string>();
        foreach (var @case in cases)
        {
            var viaProtocol = CaseRunner.Run(@case, profile, exec, token);
            var direct = CaseRunner.Run(@case, profile, model, token);
            var a = Summary(viaProtocol);
            var b = Summary(direct);
            if (a != b) differences.Add($"{@case.Id}: exec {a} / model {b}");
        }
        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    [Fact]
    public void The_differential_machine_runs_through_the_protocol_and_agrees_with_the_model()
    {
        var exec = ExecTarget.Connect(ServeModel("linux"), out var why);
        Assert.True(exec is not null, why);
        var result = Udpconf.Suite.Fuzz.Fuzzer.Run(exec!, Profile.Linux, 8, 3, 20);
        Assert.True(result.Failure is null, result.Failure?.CaseText);
        Assert.Equal(8, result.Sequences);
        Assert.Equal(160, result.Operations);
    }

    private static string Summary(CaseResult result) =>
        $"{result.Kind} {result.Reason} " + string.Join(";", result.Steps.Select(s => $"{s.Kind}:{string.Join(",", s.Problems.Select(p => p.What))}"));

    private static string Root() => SpecMap.FindRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("no Conformance.sln above the test binaries");

    /// <summary>A fake implementation: a shell script that reads requests and answers as told.</summary>
    private static string Script(string body)
    {
        var path = Path.Combine(TempFolders.Create("udpconf-exec-").FullName, "impl.sh");
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        return $"/bin/sh {path}";
    }

    private const string Hello = "read l; echo '{\"op\":\"hello\",\"version\":1,\"name\":\"fake\",\"features\":[]}'";
    private const string HostOk = "read l; echo '{\"ok\":true}'";

    public static TheoryData<string, string, string> Misbehaviours() => new()
    {
        { "crash", $"{Hello}; {HostOk}; read l; exit 3", "closed its output instead of answering operation 1 (socket) (exit code 3)" },
        { "hang", $"{Hello}; {HostOk}; read l; sleep 30", "no reply to operation 1 (socket) within 300 ms (killed)" },
        { "garbage", $"{Hello}; {HostOk}; read l; echo 'this is not json'", "the reply to operation 1 (socket) is not JSON" },
        { "wrong id", $"{Hello}; {HostOk}; read l; echo '{{\"id\":7,\"ret\":3}}'", "the reply to operation 1 carries id 7" },
        { "no result", $"{Hello}; {HostOk}; read l; echo '{{\"id\":1}}'", "a reply has neither ret, errno nor unsupported" },
        { "bad errno", $"{Hello}; {HostOk}; read l; echo '{{\"id\":1,\"errno\":\"EWHAT\"}}'", "unknown errno 'EWHAT'" },
        { "stderr", $"{Hello}; {HostOk}; read l; echo 'lwip_socket: out of memory' >&2; exit 1", "its stderr ended with: lwip_socket: out of memory" },
    };

    [Theory]
    [MemberData(nameof(Misbehaviours))]
    public void A_misbehaving_implementation_gets_an_error_verdict_naming_the_problem(string what, string script, string expected)
    {
        var target = ExecTarget.Connect(Script(script), out var why, TimeSpan.FromMilliseconds(300));
        Assert.True(target is not null, why);
        var @case = CaseParser.Parse("x.case", "exec/" + what.Replace(' ', '_'), "clauses: socket.create\nsteps:\n  socket s\n    => 3\n").Case!;
        var result = CaseRunner.Run(@case, Profile.Linux, target!, TestContext.Current.CancellationToken);
        Assert.Equal(VerdictKind.Error, result.Kind);
        Assert.Contains(expected, result.Reason);
    }

    [Theory]
    [InlineData("version 3", "read l; echo '{\"op\":\"hello\",\"version\":3,\"name\":\"future\",\"features\":[]}'", "speaks protocol version 3; udpconf speaks 1 and 2")]
    [InlineData("no hello", "read l; echo '{\"op\":\"nope\"}'", "the handshake reply is not a hello")]
    [InlineData("silent exit", "exit 0", "closed its output instead of answering the handshake")]
    [InlineData("not a program", "exec /nonexistent/adapter", "closed its output instead of answering the handshake (exit code 127)")]
    public void An_implementation_that_fails_the_handshake_is_refused_with_the_reason(string what, string script, string expected)
    {
        var target = ExecTarget.Connect(Script(script), out var why, TimeSpan.FromMilliseconds(300));
        Assert.True(target is null, $"{what}: the handshake was accepted");
        Assert.Contains(expected, why);
    }

    /// <summary>Protocol version 2: an implementation answering version 1 keeps working, and a case calling shutdown or
    /// sendmmsg is not applicable to it, even when it lists them; the requests never reach it (the fake answers one
    /// operation, socket, and would be an error verdict on a second).</summary>
    [Theory]
    [InlineData("shutdown s wr", "shutdown")]
    [InlineData("sendmmsg s msg iov 10 to 198.51.100.7:9", "sendmmsg")]
    public void A_case_calling_a_version_2_operation_is_not_applicable_to_a_version_1_implementation(string line, string feature)
    {
        var script = Script("read l; echo '{\"op\":\"hello\",\"version\":1,\"name\":\"old\",\"features\":[\"shutdown\",\"sendmmsg\"]}'; " +
                            $"{HostOk}; read l; echo '{{\"id\":1,\"ret\":5,\"packets\":[]}}'; read l");
        var target = ExecTarget.Connect(script, out var why, TimeSpan.FromMilliseconds(2000));
        Assert.True(target is not null, why);
        Assert.DoesNotContain(new Feature(feature), target!.Features);
        var token = TestContext.Current.CancellationToken;
        var plain = CaseParser.Parse("x.case", "exec/v1", "clauses: socket.create\nsteps:\n  socket s\n    => 3\n").Case!;
        Assert.Equal(VerdictKind.Pass, CaseRunner.Run(plain, Profile.Linux, target, token).Kind);
        var @case = CaseParser.Parse("x.case", "exec/v2op", $"clauses: socket.create\nsteps:\n  socket s\n    => 3\n  {line}\n").Case!;
        var result = CaseRunner.Run(@case, Profile.Linux, target, token);
        Assert.Equal(VerdictKind.NotApplicable, result.Kind);
        Assert.Contains($"lacks {feature}", result.Reason);
    }

    /// <summary>A version 2 implementation performs what it lists: serve-model lists both and answers them as the
    /// model does; offered only version 1 it answers 1, without them, and refuses their requests.</summary>
    [Fact]
    public void Serve_model_answers_version_2_with_both_operations_and_version_1_without()
    {
        var exec = ExecTarget.Connect(ServeModel("linux"), out var why);
        Assert.True(exec is not null, why);
        Assert.Contains(Feature.Shutdown, exec!.Features);
        Assert.Contains(Feature.Sendmmsg, exec.Features);
        var run = exec.Run(Host, [new SocketOp("s"), new ShutdownOp(Fd.Named("s"), 1), .. SendTen().Skip(1)], TestContext.Current.CancellationToken);
        Assert.Null(run.Failure);
        Assert.Equal([Errno.ENOTCONN, Errno.EPIPE], run.Observations.Skip(1).Select(o => o.Error!.Value));

        using var process = new ImplementationProcess(ServeModel("linux"));
        var hello = process.Ask(new System.Text.Json.Nodes.JsonObject { ["op"] = "hello", ["versions"] = new System.Text.Json.Nodes.JsonArray(1) }, TimeSpan.FromSeconds(10), "the handshake");
        Assert.Equal(1, hello["version"]!.GetValue<int>());
        var (_, features) = Protocol.ReadHelloReply(hello);
        Assert.DoesNotContain(Feature.Shutdown, features);
        process.Ask(Protocol.Host(Host), TimeSpan.FromSeconds(10), "the host");
        process.Ask(Protocol.Request(1, new SocketOp("s"), _ => 0), TimeSpan.FromSeconds(10), "socket");
        var refused = process.Ask(Protocol.Request(2, new ShutdownOp(Fd.Named("s"), 1), _ => 3), TimeSpan.FromSeconds(10), "shutdown");
        Assert.Contains("version 2", refused["unsupported"]!.GetValue<string>());
    }

    [Fact]
    public void After_a_crash_the_next_case_gets_a_fresh_process_and_the_run_completes()
    {
        // The first process crashes at its first operation; every later process behaves (a counter file tells them apart).
        var dir = TempFolders.Create("udpconf-exec-").FullName;
        var counter = Path.Combine(dir, "runs");
        var script = Script(
            $"n=$(cat {counter} 2>/dev/null || echo 0); echo $((n+1)) > {counter}\n" +
            $"{Hello}; {HostOk}\n" +
            "[ \"$n\" = 1 ] && { read l; exit 9; }\n" +
            "read l; echo '{\"id\":1,\"ret\":5,\"packets\":[]}'; read l");
        var target = ExecTarget.Connect(script, out var why, TimeSpan.FromMilliseconds(2000));
        Assert.True(target is not null, why);
        var @case = CaseParser.Parse("x.case", "exec/fresh", "clauses: socket.create\nsteps:\n  socket s\n    => 3\n").Case!;
        var token = TestContext.Current.CancellationToken;
        var first = CaseRunner.Run(@case, Profile.Linux, target!, token);
        var second = CaseRunner.Run(@case, Profile.Linux, target!, token);
        Assert.Equal(VerdictKind.Error, first.Kind);
        Assert.Contains("exit code 9", first.Reason);
        // The implementation's descriptor 5 is renumbered as the model numbers it: 3.
        Assert.Equal(VerdictKind.Pass, second.Kind);
    }

    [Fact]
    public void An_unsupported_host_makes_every_step_not_applicable_and_unsupported_operations_too()
    {
        var unsupportedHost = ExecTarget.Connect(Script($"{Hello}; read l; echo '{{\"unsupported\":\"one link only\"}}'; read l"), out var why);
        Assert.True(unsupportedHost is not null, why);
        var run = unsupportedHost!.Run(Host, SendTen(), TestContext.Current.CancellationToken);
        Assert.All(run.Observations, o => Assert.Equal(OutcomeKind.Unmodeled, o.Kind));
        Assert.Contains("one link only", run.Observations[0].Note);

        var unsupportedOp = ExecTarget.Connect(Script($"{Hello}; {HostOk}; read l; echo '{{\"id\":1,\"unsupported\":\"no sockets today\"}}'; read l"), out why);
        Assert.True(unsupportedOp is not null, why);
        var observed = Assert.Single(unsupportedOp!.Run(Host, [new SocketOp("s")], TestContext.Current.CancellationToken).Observations);
        Assert.Equal(OutcomeKind.Unmodeled, observed.Kind);
        Assert.Contains("no sockets today", observed.Note);
    }

    [Fact]
    public void Unreadable_memory_is_not_sent_to_an_implementation_that_does_not_take_it()
    {
        var target = ExecTarget.Connect(Script($"{Hello}; {HostOk}; read l; echo '{{\"id\":1,\"ret\":3,\"packets\":[]}}'; read l; echo '{{\"id\":2,\"errno\":\"EBADF\"}}'; read l"), out var why);
        Assert.True(target is not null, why);
        Operation[] operations =
        [
            new SocketOp("s"),
            new SendToOp(Fd.Named("s"), new UserBuffer(new byte[4], 10), MsgFlags.None, null, 0),
        ];
        var run = target!.Run(Host, operations, TestContext.Current.CancellationToken);
        Assert.Null(run.Failure);
        Assert.Equal(OutcomeKind.Unmodeled, run.Observations[1].Kind);
        Assert.Contains("unreadable memory", run.Observations[1].Note);
    }
}
