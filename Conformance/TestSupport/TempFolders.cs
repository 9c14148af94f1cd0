namespace Udpconf.TestSupport;

/// <summary>
/// Scratch folders for tests, all under one folder of this test process (<c>/tmp/udpconf-tests-PID-…</c>), which
/// <see cref="TempFoldersCleanup"/> removes when the assembly's tests are done: a run leaves nothing in /tmp (before,
/// each run left a few hundred folders of scripts, reports and case files there).
/// </summary>
public static class TempFolders
{
    private static readonly Lock Gate = new();
    private static string? root;
    /// <summary>Folders made outside the temporary folder (<see cref="CreateOutsideCheckout"/>), removed with the rest.</summary>
    private static readonly List<string> elsewhere = [];

    /// <summary>A new empty folder whose name starts with <paramref name="prefix"/>.</summary>
    public static DirectoryInfo Create(string prefix)
    {
        lock (Gate)
        {
            root ??= Directory.CreateTempSubdirectory($"udpconf-tests-{Environment.ProcessId}-").FullName;
            return Directory.CreateDirectory(Path.Combine(root, prefix + Guid.NewGuid().ToString("N")[..12]));
        }
    }

    /// <summary>A new empty folder with no checkout of udpconf (a Conformance.sln) in it or above it: one of
    /// <see cref="Create"/>, or, where the temporary folder itself lies in a checkout (a mutation run gives each test
    /// process a TMPDIR inside the checkout it measures), one in /tmp.</summary>
    public static DirectoryInfo CreateOutsideCheckout(string prefix)
    {
        var made = Create(prefix);
        if (!InCheckout(made)) return made;
        lock (Gate)
        {
            var outside = Directory.CreateDirectory(Path.Combine("/tmp", $"{prefix}{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..12]}"));
            elsewhere.Add(outside.FullName);
            return outside;
        }
    }

    private static bool InCheckout(DirectoryInfo? folder)
    {
        for (; folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "Conformance.sln"))) return true;
        return false;
    }

    /// <summary>Removes every folder made so far (and the test process's folder).</summary>
    public static void RemoveAll()
    {
        lock (Gate)
        {
            foreach (var folder in elsewhere)
                try { Directory.Delete(folder, recursive: true); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* as below */ }
            elsewhere.Clear();
            if (root is null) return;
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // A child process still writing: what is left is under one folder, named with the process id.
            }
            catch (UnauthorizedAccessException)
            {
            }
            root = null;
        }
    }
}

/// <summary>An assembly fixture: <see cref="TempFolders.RemoveAll"/> after the assembly's last test.</summary>
public sealed class TempFoldersCleanup : IDisposable
{
    public void Dispose() => TempFolders.RemoveAll();
}
