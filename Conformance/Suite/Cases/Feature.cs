namespace Udpconf.Suite.Cases;

/// <summary>
/// An optional capability: what a case needs beyond plain sockets on one link (its <c>features:</c> line) and what a
/// target has (<see cref="Targets.ITarget.Features"/>). A case needing one its target lacks is not applicable there.
/// Case files name only <see cref="Known"/> ones; an implementation behind the process protocol may announce others
/// in its handshake (such as <c>unreadable-memory</c>).
/// </summary>
public readonly record struct Feature(string Name)
{
    public static readonly Feature Ipv6 = new("ipv6");
    public static readonly Feature ChecksumOffload = new("checksum-offload");
    public static readonly Feature Ufo = new("ufo");
    public static readonly Feature Netfilter = new("netfilter");
    public static readonly Feature QueueFull = new("queue-full");
    public static readonly Feature KernelFault = new("kernel-fault");
    public static readonly Feature SecurityModule = new("security-module");
    public static readonly Feature HostChange = new("host-change");
    public static readonly Feature MultipleLinks = new("multiple-links");
    public static readonly Feature ErrorQueue = new("error-queue");
    public static readonly Feature Counters = new("counters");
    public static readonly Feature Neighbour = new("neighbour");
    /// <summary>The operations of protocol version 2: a case that calls one needs it (<see cref="ImpliedBy"/>), so an
    /// implementation speaking version 1 finds the case not applicable.</summary>
    public static readonly Feature Shutdown = new("shutdown");
    public static readonly Feature Sendmmsg = new("sendmmsg");
    /// <summary>Gather-list entries with an explicit length and base (<c>len=N/base=null|unreadable|DATA</c>): a NULL
    /// base, a length negative as ssize_t or beyond the mapped bytes; a feature of protocol version 2.</summary>
    public static readonly Feature IovLength = new("iov-length");
    /// <summary>Policy rules and routing tables other than main in the host (<c>rule</c> lines, <c>table</c> on a route):
    /// a case whose host has them needs it (<see cref="ImpliedByHost"/>); a feature of protocol version 2.</summary>
    public static readonly Feature PolicyRouting = new("policy-routing");

    /// <summary>The features a case file may name, in the order CASES.md lists them.</summary>
    public static readonly IReadOnlyList<Feature> Known =
        [Ipv6, ChecksumOffload, Ufo, Netfilter, QueueFull, KernelFault, SecurityModule, HostChange, MultipleLinks, ErrorQueue, Counters, Neighbour, Shutdown, Sendmmsg, IovLength, PolicyRouting];

    /// <summary>The features an operation needs of whoever runs it, whether or not the case names them.</summary>
    public static IEnumerable<Feature> ImpliedBy(Reference.Api.Operation operation) => operation switch
    {
        Reference.Api.ShutdownOp => [Shutdown],
        Reference.Api.SendMmsgOp op => op.Messages.Any(e => e.Iov.Any(SendLines.NeedsExplicitLength)) ? [Sendmmsg, IovLength] : [Sendmmsg],
        Reference.Api.SendMsgOp op when op.Iov.Any(SendLines.NeedsExplicitLength) => [IovLength],
        _ => [],
    };

    /// <summary>The features a case's host needs of whoever sets it up.</summary>
    public static IEnumerable<Feature> ImpliedByHost(Reference.Host.HostConfig host) =>
        host.Rules.Count > 0 || host.Routes.Any(r => r.Table != Reference.Host.Route.MainTable) ? [PolicyRouting] : [];

    /// <summary>The known feature a case file's word names, or null.</summary>
    public static Feature? Parse(string word) => Known.Cast<Feature?>().FirstOrDefault(f => f!.Value.Name == word);

    public override string ToString() => Name;
}
