namespace Udpconf.Suite.Cases;

/// <summary>
/// The bounds a case file must keep, so that no case file, however hostile, can make udpconf hang or exhaust
/// memory (issue 11). Each has a diagnostic that names it; Conformance/CASES.md lists them under "Limits".
/// </summary>
public static class CaseLimits
{
    /// <summary>A case file is read only up to this size (1 MiB); a larger one is a diagnostic, read no further.</summary>
    public const int FileBytes = 1 << 20;

    /// <summary>Operations (steps) in one case.</summary>
    public const int Steps = 10_000;

    /// <summary>The kernel's UIO_MAXIOV: sendmsg with more gather-list entries fails with EMSGSIZE. A case may write
    /// one more entry (to check that EMSGSIZE), no more.</summary>
    public const int UioMaxIov = 1024;
    public const int IovEntries = UioMaxIov + 1;

    /// <summary>Messages of one sendmmsg: the kernel sends at most UIO_MAXIOV (1024) of a vector; a case may write one
    /// more (to see it left unsent), no more.</summary>
    public const int MmsgEntries = UioMaxIov + 1;

    /// <summary>The length of one data block (N, N*xx, N!), 1 MiB.</summary>
    public const int DataLength = 1 << 20;

    /// <summary>The bytes of data a case may hold in memory in all (hex:, quoted text and N*xx blocks; the
    /// counting pattern N is one shared buffer and unreadable blocks N! hold none).</summary>
    public const int HeldDataBytes = 64 << 20;

    /// <summary>Problems reported for one file; after that the file is read no further.</summary>
    public const int Diagnostics = 100;

    /// <summary>Folders below the one given that are searched for case files (a symbolic link to a folder
    /// already searched is not searched again).</summary>
    public const int FolderDepth = 32;
}
