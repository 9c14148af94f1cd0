using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Suite.Cases;
using Udpconf.Suite.Compare;
using Udpconf.Suite.Targets;
using Udpconf.Suite.Targets.Model;
using Udpconf.Tests.Cli;
using Xunit;

namespace Udpconf.Tests.Reports;

/// <summary>
/// A run with one result of every kind under the linux profile: a pass, a failure of the case's own expectation,
/// a failure found byte for byte (a target that sends TTL 1), a malformed case (error) and a case for the spec
/// profile only (not applicable); plus the pass under spec, so that two profiles appear.
/// </summary>
public static class ReportFixture
{
    public static IReadOnlyList<CaseResult> Results()
    {
        var linux = Profile.Linux;
        var model = new ModelTarget(linux);
        Case Parse(string id, string text)
        {
            var parsed = CaseParser.Parse($"/cases/{id}.case", id, text);
            Assert.True(parsed.Case is not null, string.Join("\n", parsed.Diagnostics));
            return parsed.Case;
        }
        var malformed = CaseParser.Parse("/cases/broken.case", "broken", TempCases.Malformed);
        var token = TestContext.Current.CancellationToken;
        return
        [
            CaseRunner.Run(Parse("udp_sendmsg/ok", TempCases.Passing), linux, model, token),
            CaseRunner.Run(Parse("udp_sendmsg/wrong", TempCases.Failing), linux, model, token),
            CaseRunner.Run(Parse("ip_push/ttl", TempCases.Passing), linux, new TtlOneTarget(model), token),
            CaseRunner.Malformed("broken", "/cases/broken.case", malformed.Diagnostics, linux.Name, model.Name),
            CaseRunner.Run(Parse("spec_only", TempCases.SpecOnly), linux, model, token),
            CaseRunner.Run(Parse("udp_sendmsg/ok", TempCases.Passing), Profile.Spec, new ModelTarget(Profile.Spec), token),
        ];
    }

    /// <summary>The model, except that every packet leaves with TTL 1 (and so a stale header checksum).</summary>
    private sealed class TtlOneTarget(ITarget inner) : ITarget
    {
        public string Name => inner.Name;
        public IReadOnlySet<Feature> Features => inner.Features;

        public TargetRun Run(HostConfig host, IReadOnlyList<Operation> operations, CancellationToken cancellation = default)
        {
            var run = inner.Run(host, operations, cancellation);
            return run with
            {
                Observations = run.Observations.Select(o => o with
                {
                    Packets = o.Packets.Select(p => p with { Bytes = WithTtlOne(p.Bytes) }).ToArray(),
                }).ToArray(),
            };
        }

        public ITargetSession Open(HostConfig host, bool ipv6 = false) => throw new NotSupportedException("the report fixture runs whole cases only");

        private static byte[] WithTtlOne(byte[] packet)
        {
            var copy = (byte[])packet.Clone();
            copy[8] = 1;
            return copy;
        }
    }
}
