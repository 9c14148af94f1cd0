using System.Buffers.Binary;
using System.Numerics;
using Udpconf.Reference.Host;

namespace Udpconf.Reference.Wire;

/// <summary>
/// The Internet checksum of RFC 1071: the 16-bit one's complement of the one's complement sum
/// of the data taken as big-endian 16-bit words.
/// </summary>
/// <remarks>
/// Partial sums are carried as 32-bit values. Any 32-bit value is a valid partial sum: it stands
/// for its residue modulo 0xFFFF, which is what <see cref="Fold"/> extracts (RFC 1071 §2(B):
/// carries out of the top bit are added back in at the bottom, so no width is ever "full").
/// </remarks>
public static class InternetChecksum
{
    /// <summary>
    /// Adds <paramref name="data"/> to <paramref name="initial"/> as big-endian 16-bit words.
    /// An odd trailing byte is the high byte of a word whose low byte is zero (RFC 1071 §4.1).
    /// </summary>
    /// <returns>A 32-bit partial sum, not folded and not complemented.</returns>
    public static uint Sum(ReadOnlySpan<byte> data, uint initial = 0)
    {
        // A 64-bit accumulator cannot overflow for any span .NET can hold (2^31 bytes give at most
        // 2^30 words of 0xFFFF, well under 2^64), so carries are folded only once, at the end.
        ulong sum = initial;
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
            sum += BinaryPrimitives.ReadUInt16BigEndian(data.Slice(i, 2));
        if (i < data.Length)
            sum += (uint)data[i] << 8;
        return FoldTo32(sum);
    }

    /// <summary>Folds a partial sum to 16 bits with end-around carry; the result is not complemented.</summary>
    public static ushort Fold(uint sum)
    {
        // Two rounds suffice: the first leaves at most 0xFFFF + 0xFFFF = 0x1FFFE, the second at most 0xFFFF.
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    /// <summary>The checksum of <paramref name="data"/> as it goes on the wire: the complemented folded sum.</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => (ushort)~Fold(Sum(data));

    /// <summary>
    /// The partial sum of the 12-byte pseudo-header of RFC 768 (source, destination, zero,
    /// protocol, length), without materialising it.
    /// </summary>
    public static uint PseudoHeaderSum(Ipv4Address source, Ipv4Address destination, byte protocol, ushort length)
    {
        // RFC 768 "Fields": the zero byte and the protocol share one word, protocol in the low byte.
        // At most 6 words of 0xFFFF: no 32-bit overflow is possible.
        return (source.Value >> 16) + (source.Value & 0xFFFF)
             + (destination.Value >> 16) + (destination.Value & 0xFFFF)
             + protocol + (uint)length;
    }

    /// <summary>One's complement addition of two 32-bit partial sums (Linux csum_add).</summary>
    internal static uint Add(uint a, uint b)
    {
        uint sum = a + b;
        // The carry out of bit 31 is worth 2^32 ≡ 1 (mod 0xFFFF), so it goes back in at the bottom.
        return sum + (sum < a ? 1u : 0u);
    }

    private static uint FoldTo32(ulong sum)
    {
        // 2^32 ≡ 1 (mod 0xFFFF), so folding the high half onto the low half keeps the residue.
        while ((sum >> 32) != 0)
            sum = (sum & 0xFFFFFFFF) + (sum >> 32);
        return (uint)sum;
    }
}

/// <summary>
/// Sums data that arrives in pieces of arbitrary lengths, as ip_generic_getfrag does when it
/// copies user data fragment by fragment and merges each piece's checksum with csum_block_add.
/// </summary>
/// <remarks>
/// The result equals <see cref="InternetChecksum.Sum"/> over the concatenation of all pieces,
/// modulo 0xFFFF (the exact 32-bit value may differ; only <see cref="InternetChecksum.Fold"/> of
/// it is meaningful).
/// </remarks>
public struct ChecksumAccumulator
{
    private uint sum;
    private long bytesAdded;

    /// <summary>The running 32-bit partial sum; pass it to <see cref="InternetChecksum.Fold"/>.</summary>
    public readonly uint Sum => sum;

    /// <summary>How many data bytes <see cref="Add"/> has taken in; <see cref="AddSum"/> does not count.</summary>
    public readonly long BytesAdded => bytesAdded;

    /// <summary>Adds the next piece of data, which starts where the previous piece ended.</summary>
    public void Add(ReadOnlySpan<byte> piece)
    {
        uint pieceSum = InternetChecksum.Sum(piece);
        // A piece that starts at an odd offset has every byte in the other half of its word than
        // Sum assumed. Swapping the bytes of a partial sum is a rotation by 8, and rotating a
        // 32-bit partial sum by 8 multiplies it by 2^24 ≡ 2^8 (mod 0xFFFF), which is exactly the
        // byte swap of the 16-bit residue (RFC 1071 §2(B) byte-order independence; Linux
        // csum_block_add does ror32(csum2, 8) for odd offsets).
        if ((bytesAdded & 1) != 0)
            pieceSum = BitOperations.RotateRight(pieceSum, 8);
        sum = InternetChecksum.Add(sum, pieceSum);
        bytesAdded += piece.Length;
    }

    /// <summary>
    /// Adds a partial sum computed over data aligned at an even offset, such as
    /// <see cref="InternetChecksum.PseudoHeaderSum"/> (Linux csum_add).
    /// </summary>
    public void AddSum(uint partialSum) => sum = InternetChecksum.Add(sum, partialSum);
}
