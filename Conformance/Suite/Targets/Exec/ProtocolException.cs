namespace Udpconf.Suite.Targets.Exec;

/// <summary>A line of the process protocol that is not what it must be; the message says what and where. It quotes
/// the implementation's bytes, so control characters in it are made visible (<see cref="Reports.SafeText"/>).</summary>
/// <param name="Kind">What sort of failure: timeout, closed (the implementation went away), limit (it passed one of
/// <see cref="Limits"/>) or malformed; repeated handshake failures of one kind stop a target.</param>
public sealed class ProtocolException(string message, string kind = ProtocolException.Malformed) : Exception(Reports.SafeText.Line(message))
{
    public const string Timeout = "timeout", Closed = "closed", Limit = "limit", Malformed = "malformed";
    public string Kind { get; } = kind;
}
