using System.Buffers;
using System.Text;

namespace Udpconf.Suite.Targets.Exec;

/// <summary>
/// Lines from a pipe, read in chunks of 64 KiB and never longer than a limit: StreamReader.ReadLine holds a line of
/// any length in memory (a 69 MB reply line cost gigabytes once parsed). A line over the limit is an error as soon as
/// the limit is passed; what follows is not read.
/// </summary>
public sealed class BoundedLineReader(Stream stream, int maxBytes)
{
    private readonly byte[] chunk = new byte[64 * 1024];
    private int start, end;

    /// <summary>The next line without its end (\n or \r\n); null at the end of the stream. Throws
    /// <see cref="LineTooLongException"/> when the line passes <c>maxBytes</c>.</summary>
    public async Task<string?> ReadLineAsync(CancellationToken cancellation)
    {
        var line = new ArrayBufferWriter<byte>(256);
        while (true)
        {
            var newline = Array.IndexOf(chunk, (byte)'\n', start, end - start);
            var take = (newline < 0 ? end : newline) - start;
            if (line.WrittenCount + take > maxBytes) throw new LineTooLongException(maxBytes);
            line.Write(chunk.AsSpan(start, take));
            if (newline >= 0)
            {
                start = newline + 1;
                return Decode(line.WrittenSpan);
            }
            start = end = 0;
            var read = await stream.ReadAsync(chunk, cancellation).ConfigureAwait(false);
            if (read == 0) return line.WrittenCount == 0 ? null : Decode(line.WrittenSpan);
            end = read;
        }
    }

    private static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > 0 && bytes[^1] == (byte)'\r') bytes = bytes[..^1];
        return Encoding.UTF8.GetString(bytes);
    }
}

public sealed class LineTooLongException(int limit)
    : Exception($"a line longer than the limit of {limit.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} bytes")
{
    public int Limit { get; } = limit;
}
