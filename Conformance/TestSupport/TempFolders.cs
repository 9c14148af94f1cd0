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

    /// <summary>A new empty folder whose name starts with <paramref name="prefix"/>.</summary>
    public static DirectoryInfo Create(string prefix)
    {
        lock (Gate)
        {
            root ??= Directory.CreateTempSubdirectory($"udpconf-tests-{Environment.ProcessId}-").FullName;
            return Directory.CreateDirectory(Path.Combine(root, prefix + Guid.NewGuid().ToString("N")[..12]));
        }
    }

    /// <summary>Removes every folder made so far (and the test process's folder).</summary>
    public static void RemoveAll()
    {
        lock (Gate)
        {
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
