using System.Runtime.InteropServices;
using System.Text;

namespace Udpconf.Suite.Cases;

/// <summary>
/// The file system side of reading cases, for files that may be hostile: only regular files (after following
/// symbolic links) are opened, and then read no further than <see cref="CaseLimits.FileBytes"/> + 1 bytes; a FIFO, a
/// device, a socket or a link to one is a diagnostic and is never opened (opening a FIFO blocks, reading /dev/zero
/// never ends). Folders are searched to <see cref="CaseLimits.FolderDepth"/> levels, never twice (a symbolic link
/// loop ends), and one that cannot be listed is a diagnostic while the search goes on.
/// </summary>
public static class CaseFiles
{
    public enum Kind { Missing, Regular, Directory, Fifo, CharacterDevice, BlockDevice, Socket, Other }

    /// <summary>What a path is, symbolic links followed; its device and inode tell folders apart.</summary>
    public readonly record struct FileStatus(Kind Kind, long Size, ulong Device, ulong Inode, string? Error = null);

    /// <summary>A folder's entries (full paths); tests pass one that fails, as root may list any folder.</summary>
    public delegate IEnumerable<string> Lister(string folder);

    /// <summary>The *.case files under <paramref name="folder"/> in ordinal order of their paths, and a problem for
    /// each folder that could not be listed or was too deep (its path and the problem).</summary>
    public static (IReadOnlyList<string> Files, IReadOnlyList<(string Path, string Problem)> Problems) Find(
        string folder, string extension, Lister? list = null)
    {
        list ??= Directory.EnumerateFileSystemEntries;
        var files = new List<string>();
        var problems = new List<(string, string)>();
        var seen = new HashSet<(ulong, ulong)>();
        var top = Stat(folder);
        if (top.Kind == Kind.Directory) seen.Add((top.Device, top.Inode));
        Walk(folder, 0);
        files.Sort(StringComparer.Ordinal);
        problems.Sort((a, b) => StringComparer.Ordinal.Compare(a.Item1, b.Item1));
        return (files, problems);

        void Walk(string dir, int depth)
        {
            string[] entries;
            try { entries = list(dir).ToArray(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
            {
                problems.Add((dir, $"cannot list the folder: {Reason(e)}"));
                return;
            }
            foreach (var entry in entries)
            {
                var status = Stat(entry);
                if (status.Kind == Kind.Directory)
                {
                    if (!seen.Add((status.Device, status.Inode))) continue; // searched already: a link loop, or a second link
                    if (depth + 1 > CaseLimits.FolderDepth)
                        problems.Add((entry, $"not searched: more than {CaseLimits.FolderDepth} folders deep (the limit)"));
                    else Walk(entry, depth + 1);
                }
                else if (entry.EndsWith(extension, StringComparison.Ordinal)) files.Add(entry);
            }
        }
    }

    /// <summary>The text of a case file, or why it cannot be read: not a regular file, larger than
    /// <see cref="CaseLimits.FileBytes"/>, or an error of the system (the path is not in the message).</summary>
    public static (string? Text, string? Problem) Read(string path)
    {
        var status = Stat(path);
        if (status.Error is { } error) return (null, $"cannot read the file: {error}");
        if (status.Kind != Kind.Regular) return (null, $"not a regular file ({Describe(status.Kind)}); only regular files are read as cases");
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            var buffer = new byte[Math.Min(CaseLimits.FileBytes + 1, Math.Max(status.Size + 1, 4096))];
            var length = 0;
            while (length <= CaseLimits.FileBytes)
            {
                if (length == buffer.Length) Array.Resize(ref buffer, Math.Min(CaseLimits.FileBytes + 1, buffer.Length * 2));
                var read = stream.Read(buffer, length, buffer.Length - length);
                if (read == 0) break;
                length += read;
            }
            if (length > CaseLimits.FileBytes)
                return (null, $"the file is larger than {CaseLimits.FileBytes} bytes (1 MiB), the limit for a case file; not read");
            using var reader = new StreamReader(new MemoryStream(buffer, 0, length), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            return (reader.ReadToEnd(), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            return (null, $"cannot read the file: {Reason(e)}");
        }
    }

    private static string Describe(Kind kind) => kind switch
    {
        Kind.Directory => "a folder",
        Kind.Fifo => "a FIFO",
        Kind.CharacterDevice => "a character device",
        Kind.BlockDevice => "a block device",
        Kind.Socket => "a socket",
        _ => "not a file",
    };

    /// <summary>An exception's reason without the path it names (the diagnostic names the path once, escaped).</summary>
    private static string Reason(Exception e) => e switch
    {
        UnauthorizedAccessException => "permission denied",
        FileNotFoundException or DirectoryNotFoundException => "no such file or folder",
        PathTooLongException => "the path is too long",
        _ => e.Message,
    };

    /// <summary>statx(2) of <paramref name="path"/>, symbolic links followed (struct statx has one layout on every
    /// architecture). Where statx is missing, .NET's view: a folder or a regular file.</summary>
    public static FileStatus Stat(string path)
    {
        var buffer = new byte[256];
        int result;
        try { result = statx(AtFdCwd, path, 0, StatxBasicStats, buffer); }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return Directory.Exists(path) ? new FileStatus(Kind.Directory, 0, 0, (ulong)path.GetHashCode())
                : File.Exists(path) ? new FileStatus(Kind.Regular, new FileInfo(path).Length, 0, 0)
                : new FileStatus(Kind.Missing, 0, 0, 0, "no such file or folder");
        }
        if (result != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return new FileStatus(Kind.Missing, 0, 0, 0, errno switch
            {
                2 => "no such file or folder (or a symbolic link to nothing)",
                13 => "permission denied",
                40 => "too many levels of symbolic links",
                _ => Marshal.GetPInvokeErrorMessage(errno),
            });
        }
        var span = buffer.AsSpan();
        var mode = MemoryMarshal.Read<ushort>(span[28..]);
        var kind = (mode & 0xf000) switch
        {
            0x8000 => Kind.Regular,
            0x4000 => Kind.Directory,
            0x1000 => Kind.Fifo,
            0x2000 => Kind.CharacterDevice,
            0x6000 => Kind.BlockDevice,
            0xc000 => Kind.Socket,
            _ => Kind.Other,
        };
        var inode = MemoryMarshal.Read<ulong>(span[32..]);
        var size = MemoryMarshal.Read<long>(span[40..]);
        var device = ((ulong)MemoryMarshal.Read<uint>(span[136..]) << 32) | MemoryMarshal.Read<uint>(span[140..]);
        return new FileStatus(kind, size, device, inode);
    }

    private const int AtFdCwd = -100;
    private const uint StatxBasicStats = 0x7ff;

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, string path, int flags, uint mask, byte[] buffer);
}
