namespace Udpconf.Reference;

/// <summary>
/// The errors of the send path, with Linux's names and x86-64 numbers. A modeled failure is one of these
/// values in an <see cref="Outcome"/>; it is never thrown.
/// </summary>
public enum Errno
{
    EPERM = 1,
    ENOENT = 2,
    EINTR = 4,
    /// <summary>Not produced by the model: named (like the others the model never gives below) so that another
    /// implementation's answers read well in reports (lwIP gives EIO for a bad address length).</summary>
    EIO = 5,
    EBADF = 9,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EFAULT = 14,
    ENODEV = 19,
    EINVAL = 22,
    ENFILE = 23,
    EMFILE = 24,
    EPIPE = 32,
    EDOM = 33,
    ENOSYS = 38,
    ENODATA = 61,
    ENOTSOCK = 88,
    EDESTADDRREQ = 89,
    EMSGSIZE = 90,
    EPROTOTYPE = 91,
    ENOPROTOOPT = 92,
    EPROTONOSUPPORT = 93,
    ESOCKTNOSUPPORT = 94,
    EOPNOTSUPP = 95,
    EAFNOSUPPORT = 97,
    EADDRINUSE = 98,
    EADDRNOTAVAIL = 99,
    ENETDOWN = 100,
    ENETUNREACH = 101,
    ECONNABORTED = 103,
    ECONNRESET = 104,
    ENOBUFS = 105,
    EISCONN = 106,
    ENOTCONN = 107,
    /// <summary>The ICMP port unreachable of a datagram to a local port nobody holds (local delivery).</summary>
    ECONNREFUSED = 111,
    EHOSTUNREACH = 113,
    EALREADY = 114,
    EINPROGRESS = 115,
}

/// <summary>Parsing errno names as written in cases and adapter replies ("EINVAL" or "22").</summary>
public static class ErrnoNames
{
    /// <summary>Other names of the same numbers on Linux: ENOTSUP is EOPNOTSUPP (95). Read, never written: a
    /// value prints under its one enum name.</summary>
    public static IReadOnlyDictionary<string, Errno> Aliases => new Dictionary<string, Errno>
    {
        ["ENOTSUP"] = Errno.EOPNOTSUPP,
    };

    public static bool TryParse(string text, out Errno errno)
    {
        if (Aliases.TryGetValue(text, out errno)) return true;
        // Exactly one name: Enum.TryParse also takes numbers and comma lists ("EINVAL,EPERM" is 22 | 1, ENFILE).
        if (Enum.TryParse(text, ignoreCase: false, out errno) && Enum.IsDefined(errno) && errno.ToString() == text)
            return true;
        if (int.TryParse(text, out var number) && Enum.IsDefined((Errno)number))
        {
            errno = (Errno)number;
            return true;
        }
        errno = default;
        return false;
    }
}
