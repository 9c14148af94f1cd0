namespace Udpconf.Suite.Cases;

/// <summary>
/// The data one case holds in memory, bounded by <see cref="CaseLimits.HeldDataBytes"/>. The counting pattern of
/// a block N is a slice of one shared buffer, and the blocks N*xx of one byte xx share one buffer per case, so that
/// a case of 1,025 one-MiB blocks holds 1 MiB, not 1 GiB; unreadable blocks N! hold nothing.
/// </summary>
internal sealed class DataBudget(bool materialise = true)
{
    /// <summary>0, 1, 2, … 255, 0, 1, … (UserBuffer.Pattern's bytes), as long as the longest block.</summary>
    private static readonly Lazy<byte[]> Counting = new(() =>
    {
        var bytes = new byte[CaseLimits.DataLength];
        for (var i = 0; i < bytes.Length; i++) bytes[i] = (byte)i;
        return bytes;
    });

    private readonly Dictionary<byte, byte[]> fills = [];
    private long held;

    /// <summary>For checking a DATA word only (a packet's payload= at parse time): nothing is built.</summary>
    public static DataBudget CheckOnly() => new(materialise: false);

    public ReadOnlyMemory<byte> Pattern(int length) => materialise ? Counting.Value.AsMemory(0, length) : ReadOnlyMemory<byte>.Empty;

    public ReadOnlyMemory<byte> Fill(byte value, int length, int column)
    {
        if (!materialise) return ReadOnlyMemory<byte>.Empty;
        if (!fills.TryGetValue(value, out var bytes) || bytes.Length < length)
        {
            Hold(length - (bytes?.Length ?? 0), column);
            bytes = new byte[length];
            Array.Fill(bytes, value);
            fills[value] = bytes;
        }
        return bytes.AsMemory(0, length);
    }

    /// <summary>Counts bytes the parser built (hex:, quoted text) and returns them.</summary>
    public byte[] Held(byte[] bytes, int column)
    {
        if (materialise) Hold(bytes.Length, column);
        return bytes;
    }

    private void Hold(long bytes, int column)
    {
        held += bytes;
        if (held > CaseLimits.HeldDataBytes)
            throw new CaseSyntaxException(column, $"the case's data blocks hold more than {CaseLimits.HeldDataBytes} bytes (64 MiB, the limit)");
    }
}
