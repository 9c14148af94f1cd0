namespace Udpconf.Suite.Targets.Exec;

/// <summary>
/// What udpconf accepts from an implementation, so that whatever it sends, udpconf's memory, time and reports stay
/// bounded. Every limit is far above what a conforming implementation can send; going beyond one is an error verdict
/// that names the limit (the run goes on with the next case).
/// </summary>
public static class Limits
{
    /// <summary>Packets in one reply. The most a single call can hand to links is one datagram of 65,535 bytes cut into
    /// fragments at the smallest IPv4 MTU, 68: 48 bytes of payload each after a 20-byte header, 65,515 / 48 = 1,365
    /// fragments (+1 rounding). 10,000 leaves seven times that; a million tiny packets is not an attempt at IPv4.</summary>
    public const int PacketsPerOperation = 10_000;

    /// <summary>Bytes in one reply line. The largest legal reply, those 1,366 fragments of 68 bytes, is about 220 KB of
    /// JSON (hex doubles the bytes, each packet adds ~25 characters of JSON); one 65,535-byte packet is 131 KB. 1 MiB
    /// is four times the worst and bounds what one reply can make udpconf hold (its JSON tree and its packets).</summary>
    public const int ReplyLineBytes = 1 << 20;

    /// <summary>Bytes in one packet: IPv4's total length is 16 bits (65,535). A little more is allowed so that a stack
    /// whose length computation is slightly off is shown as a conformance failure, byte by byte, not as an error.</summary>
    public const int PacketBytes = 65_535 + 1024;

    /// <summary>Characters of the name in the handshake (shown in every report and on the terminal).</summary>
    public const int NameCharacters = 200;

    /// <summary>Entries of the features list in the handshake, and characters of each (the protocol defines ~15).</summary>
    public const int Features = 64;
    public const int FeatureCharacters = 64;

    /// <summary>Bytes of stderr kept: the tail, shown when something goes wrong; the rest is read and dropped.</summary>
    public const int StderrTailBytes = 4096;

    /// <summary>Characters of any other text of an implementation quoted in a message (a note, a reply shown as the
    /// reason of an error).</summary>
    public const int QuotedCharacters = 200;
}
