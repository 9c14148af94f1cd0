using System.Runtime.InteropServices;
using Udpconf.Reference;

namespace Udpconf.Suite.Targets.Kernel;

/// <summary>How the kernel target names an errno in its messages: Linux's name and the number, e.g. "EPERM (1)".</summary>
public static partial class SystemError
{
    /// <summary>glibc's name of an errno (2.32 and later); the model's <see cref="Errno"/> names where it is missing.</summary>
    [LibraryImport("libc", EntryPoint = "strerrorname_np")]
    private static partial nint StrErrorName(int errno);

    public static string Describe(int errno)
    {
        string? name = null;
        try
        {
            if (StrErrorName(errno) is var text and not 0) name = Marshal.PtrToStringAnsi(text);
        }
        catch (EntryPointNotFoundException) { }
        name ??= Enum.IsDefined((Errno)errno) ? ((Errno)errno).ToString() : null;
        return name is null ? $"errno {errno}" : $"{name} ({errno})";
    }
}
