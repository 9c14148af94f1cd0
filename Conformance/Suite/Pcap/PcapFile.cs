using System.Buffers.Binary;

namespace Udpconf.Suite.Pcap;

/// <summary>
/// Classic libpcap files with link type LINKTYPE_RAW (101): each record is an IPv4 packet, IP header first, as
/// Wireshark and tcpdump read it. Timestamps are the packet's position (1 µs apart) so that files are
/// byte-for-byte reproducible.
/// </summary>
public static class PcapFile
{
    public const uint Magic = 0xA1B2C3D4;
    public const uint LinkTypeRaw = 101;
    public const int GlobalHeaderLength = 24;
    public const int RecordHeaderLength = 16;
    public const int SnapLength = 262144;

    public static byte[] Write(IEnumerable<byte[]> packets)
    {
        using var stream = new MemoryStream();
        Span<byte> header = stackalloc byte[GlobalHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], SnapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], LinkTypeRaw);
        stream.Write(header);
        var index = 0u;
        Span<byte> record = stackalloc byte[RecordHeaderLength];
        foreach (var packet in packets)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(record, 0);
            BinaryPrimitives.WriteUInt32LittleEndian(record[4..], index++);
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)packet.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)packet.Length);
            stream.Write(record);
            stream.Write(packet);
        }
        return stream.ToArray();
    }

    /// <summary>Reads a classic pcap (either byte order, microsecond or nanosecond magic); a malformed file gives
    /// the offset and the problem instead of throwing.</summary>
    public static bool TryRead(ReadOnlySpan<byte> file, out List<byte[]> packets, out uint linkType, out string? problem)
    {
        packets = [];
        linkType = 0;
        problem = null;
        if (file.Length < GlobalHeaderLength) { problem = $"offset 0: {file.Length} bytes is shorter than a pcap header"; return false; }
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(file);
        bool little;
        if (magic is 0xA1B2C3D4 or 0xA1B23C4D) little = true;
        else if (magic is 0xD4C3B2A1 or 0x4D3CB2A1) little = false;
        else { problem = $"offset 0: magic 0x{magic:x8} is not a classic pcap"; return false; }
        uint Read32(ReadOnlySpan<byte> s) => little ? BinaryPrimitives.ReadUInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s);
        linkType = Read32(file[20..]);
        var offset = GlobalHeaderLength;
        while (offset < file.Length)
        {
            if (file.Length - offset < RecordHeaderLength) { problem = $"offset {offset}: truncated record header"; return false; }
            var captured = Read32(file[(offset + 8)..]);
            if (captured > SnapLength || captured > file.Length - offset - RecordHeaderLength)
            {
                problem = $"offset {offset}: record of {captured} bytes runs past the end of the file";
                return false;
            }
            packets.Add(file.Slice(offset + RecordHeaderLength, (int)captured).ToArray());
            offset += RecordHeaderLength + (int)captured;
        }
        return true;
    }
}
