using System.Text;

namespace Udpconf.Suite.Targets.Vm;

/// <summary>
/// Writes a cpio archive in the "newc" format the kernel unpacks as an initramfs (Documentation/driver-api/
/// early-userspace/buffer-format.rst): a 110-byte ASCII header per entry, the name, the data, each padded to 4 bytes.
/// Written here because no package on NuGet writes this format (SharpCompress and the like read archives), and the
/// kernel needs only directories and regular files.
/// </summary>
public sealed class Cpio(Stream output)
{
    private int inode = 1;

    public void Directory(string name) => Entry(name, 0x4000 | 0x1ED, []);            // S_IFDIR | 0755

    public void File(string name, ReadOnlySpan<byte> data, bool executable = false) =>
        Entry(name, 0x8000 | (executable ? 0x1ED : 0x1A4), data);                       // S_IFREG | 0755 or 0644

    /// <summary>The last entry: the kernel stops reading here.</summary>
    public void End() => Entry("TRAILER!!!", 0, []);

    private void Entry(string name, int mode, ReadOnlySpan<byte> data)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name + "\0");
        // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
        var fields = new[] { inode++, mode, 0, 0, 1, 0, data.Length, 0, 0, 0, 0, nameBytes.Length, 0 };
        var header = "070701" + string.Concat(fields.Select(f => f.ToString("X8")));
        Write(Encoding.ASCII.GetBytes(header));
        Write(nameBytes);
        Pad(header.Length + nameBytes.Length);
        Write(data);
        Pad(data.Length);
    }

    private void Write(ReadOnlySpan<byte> bytes) => output.Write(bytes);

    private void Pad(int length)
    {
        Span<byte> zeros = stackalloc byte[3];
        zeros.Clear();
        output.Write(zeros[..((4 - length % 4) % 4)]);
    }
}
