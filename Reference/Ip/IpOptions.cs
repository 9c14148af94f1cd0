using Udpconf.Reference.Host;

namespace Udpconf.Reference.Ip;

/// <summary>
/// IP options given by the user (IP_OPTIONS or an IP_RETOPTS control message), compiled as ip_options_get does:
/// padded with END to a multiple of 4, checked, and for a source route the first hop taken out of the list.
/// </summary>
/// <param name="Bytes">The options as they will be written, before the per-datagram parts (source route's last
/// slot, record-route slot) are filled in.</param>
/// <param name="FirstHop">faddr: the first hop of a source route (null: no source route).</param>
/// <param name="SourceRouteOffset">Offset of the LSRR/SSRR option within <see cref="Bytes"/>.</param>
/// <param name="RecordRouteOffset">Offset of a record-route option that needs our address.</param>
/// <param name="NeedsTimestamp">A timestamp option would be filled with the current time (not modeled).</param>
/// <param name="Original">What getsockopt IP_OPTIONS returns: the bytes as the user gave them, padded, with
/// ip_options_undo's changes: the slots compile reserved for an address or a time cleared, END after END.</param>
public sealed record IpOptions(
    byte[] Bytes,
    Ipv4Address? FirstHop,
    bool IsStrictRoute,
    int? SourceRouteOffset,
    int? RecordRouteOffset,
    bool NeedsTimestamp,
    byte[] Original)
{
    public const int MaxLength = 40;
    private const byte End = 0, Nop = 1, RecordRoute = 7, Timestamp = 68, Lsrr = 131, Cipso = 134, Ssrr = 137, RouterAlert = 148;

    /// <summary>An option set of length 0, as an empty IP_RETOPTS message gives.</summary>
    public static IpOptions Empty { get; } = new([], null, false, null, null, false, []);

    public int Length => Bytes.Length;
    public bool HasSourceRoute => FirstHop is not null;

    /// <summary>Compiles user options; EINVAL for a malformed option (and for an unknown one without
    /// CAP_NET_RAW). <paramref name="isRemoteUnicast"/> is inet_addr_type's answer "a unicast address not of this
    /// host", asked of a prespecified timestamp address when the options are compiled (not when they are sent).</summary>
    public static Result<IpOptions?> Compile(ReadOnlySpan<byte> given, bool privileged, Func<Ipv4Address, bool> isRemoteUnicast)
    {
        if (given.Length == 0) return (IpOptions?)null;
        var padded = new byte[(given.Length + 3) & ~3];
        given.CopyTo(padded);
        var original = (byte[])padded.Clone();
        Ipv4Address? firstHop = null;
        bool strict = false, timestamp = false;
        int? srr = null, rr = null, ts = null;
        var recordRouteSeen = false;
        // What ip_options_undo clears when getsockopt reads the options back: the slot each option would fill.
        var cleared = new List<(int At, int Length)>();
        var l = padded.Length;
        var at = 0;
        while (l > 0)
        {
            if (padded[at] == End)
            {
                // Everything after END becomes END in place, and getsockopt reads it so (measured on 6.18.44).
                cleared.Add((at + 1, padded.Length - at - 1));
                for (var i = at + 1; i < padded.Length; i++) padded[i] = End;
                break;
            }
            if (padded[at] == Nop) { at++; l--; continue; }
            // not a limit: the option syntax of RFC 791 as ip_options_compile reads it (type, length, pointer), no range of one value
            if (l < 2) return Errno.EINVAL;
            int optlen = padded[at + 1];
            if (optlen < 2 || optlen > l) return Errno.EINVAL;
            switch (padded[at])
            {
                case Lsrr or Ssrr:
                    // RFC 791 §3.1: pointer starts at 4; the kernel wants at least one address and whole addresses.
                    if (optlen < 3 || padded[at + 2] < 4 || srr is not null) return Errno.EINVAL;
                    if (padded[at + 2] != 4 || optlen < 7 || ((optlen - 3) & 3) != 0) return Errno.EINVAL;
                    firstHop = Ipv4Address.Read(padded.AsSpan(at + 3));
                    if (optlen > 7) padded.AsSpan(at + 7, optlen - 7).CopyTo(padded.AsSpan(at + 3));
                    strict = padded[at] == Ssrr;
                    srr = at;
                    break;
                case RecordRoute:
                    // A second record route is EINVAL, the first one full or not (measured on 6.18.44).
                    if (recordRouteSeen || optlen < 3 || padded[at + 2] < 4) return Errno.EINVAL;
                    recordRouteSeen = true;
                    if (padded[at + 2] <= optlen)
                    {
                        if (padded[at + 2] + 3 > optlen) return Errno.EINVAL;
                        cleared.Add((at + padded[at + 2] - 1, 4));
                        padded[at + 2] += 4;
                        rr = at;
                    }
                    break;
                case Timestamp:
                    if (ts is not null || optlen < 4 || padded[at + 2] < 5) return Errno.EINVAL;
                    if (padded[at + 2] <= optlen)
                    {
                        if (padded[at + 2] + 3 > optlen) return Errno.EINVAL;
                        var flag = padded[at + 3] & 0xF;
                        if (flag is 1 or 3 && padded[at + 2] + 7 > optlen) return Errno.EINVAL;
                        if (flag is not (0 or 1 or 3) && !privileged) return Errno.EINVAL;
                        var slot = at + padded[at + 2] - 1;
                        // A prespecified address of another host is not this hop's to stamp: the option is sent as given.
                        timestamp = flag is 0 or 1 ||
                            flag == 3 && !isRemoteUnicast(Ipv4Address.Read(padded.AsSpan(slot)));
                        if (timestamp) cleared.Add(flag switch { 0 => (slot, 4), 1 => (slot, 8), _ => (slot + 4, 4) });
                    }
                    else if ((padded[at + 3] >> 4) == 15) return Errno.EINVAL;
                    ts = at;
                    break;
                case Cipso:
                    // cipso_v4_validate wants a domain of interpretation configured (netlabel), which no modeled host
                    // has: every CIPSO option is EINVAL (measured on 6.18.44). CIPSO came in 2.6.19; the notes do not
                    // say which 2.6 they describe, and this is what every 2.6 since did.
                    return Errno.EINVAL;
                case RouterAlert:
                    if (optlen < 4) return Errno.EINVAL;
                    break;
                default:
                    if (!privileged) return Errno.EINVAL;
                    break;
            }
            l -= optlen;
            at += optlen;
        }
        foreach (var (from, length) in cleared) original.AsSpan(from, length).Clear();
        return new IpOptions(padded, firstHop, strict, srr, rr, timestamp, original);
    }

    /// <summary>The options of the first fragment for one datagram (ip_options_build): the source route's last slot
    /// holds the final destination, the record-route slot our source address.</summary>
    public byte[] Build(Ipv4Address finalDestination, Ipv4Address source)
    {
        var bytes = (byte[])Bytes.Clone();
        if (SourceRouteOffset is { } s)
            finalDestination.Write(bytes.AsSpan(s + bytes[s + 1] - 4));
        if (RecordRouteOffset is { } r)
            source.Write(bytes.AsSpan(r + bytes[r + 2] - 5));
        return bytes;
    }

    /// <summary>The options of later fragments (ip_options_fragment): every option without the "copied" bit
    /// becomes NOPs, so the header length stays the same.</summary>
    public static byte[] ForLaterFragments(byte[] first)
    {
        var bytes = (byte[])first.Clone();
        var at = 0;
        while (at < bytes.Length)
        {
            if (bytes[at] == End) break;
            if (bytes[at] == Nop) { at++; continue; }
            if (at + 1 >= bytes.Length) break;
            int optlen = bytes[at + 1];
            // not a limit: the option syntax of RFC 791, walked over options already accepted
            if (optlen < 2 || optlen > bytes.Length - at) break;
            if ((bytes[at] & 0x80) == 0) bytes.AsSpan(at, optlen).Fill(Nop);
            at += optlen;
        }
        return bytes;
    }
}
