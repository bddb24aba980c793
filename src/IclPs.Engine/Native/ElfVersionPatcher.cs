using System.Buffers.Binary;
using System.Text;

namespace IclPs.Engine.Native;

/// <summary>Edits the version-needed table (.gnu.version_r) of a little-endian ELF64 shared object in memory.</summary>
public static class ElfVersionPatcher
{
    private const uint ShtGnuVerneed = 0x6ffffffe;

    /// <summary>Sets <paramref name="flag"/> on every Vernaux entry named <paramref name="versionName"/>. Returns whether one was found.</summary>
    public static bool MarkVersionWeak(byte[] elf, string versionName, ushort flag)
    {
        var span = elf.AsSpan();
        if (elf.Length < 64 || span[0] != 0x7f || span[1] != (byte)'E' || span[2] != (byte)'L' || span[3] != (byte)'F')
            throw new InvalidDataException("Not an ELF file.");
        if (span[4] != 2 || span[5] != 1) throw new InvalidDataException("Only little-endian ELF64 is supported.");
        var shoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(span[0x28..]);
        var shentsize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3A..]);
        var shnum = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3C..]);
        var found = false;
        for (var i = 0; i < shnum; i++)
        {
            var sh = span.Slice((int)(shoff + i * shentsize), shentsize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != ShtGnuVerneed) continue;
            var offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(sh[0x18..]);
            var link = BinaryPrimitives.ReadUInt32LittleEndian(sh[0x28..]);
            var strSh = span.Slice((int)(shoff + link * shentsize), shentsize);
            var strOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(strSh[0x18..]);
            var verneed = offset;
            while (true)
            {
                var cnt = BinaryPrimitives.ReadUInt16LittleEndian(span[(int)(verneed + 2)..]);
                var aux = verneed + BinaryPrimitives.ReadUInt32LittleEndian(span[(int)(verneed + 8)..]);
                for (var a = 0; a < cnt; a++)
                {
                    var nameOffset = BinaryPrimitives.ReadUInt32LittleEndian(span[(int)(aux + 8)..]);
                    if (ReadCString(span, strOffset + nameOffset) == versionName)
                    {
                        var flagsSpan = span[(int)(aux + 4)..];
                        BinaryPrimitives.WriteUInt16LittleEndian(flagsSpan, (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(flagsSpan) | flag));
                        found = true;
                    }
                    var next = BinaryPrimitives.ReadUInt32LittleEndian(span[(int)(aux + 12)..]);
                    if (next == 0) break;
                    aux += next;
                }
                var nextNeed = BinaryPrimitives.ReadUInt32LittleEndian(span[(int)(verneed + 12)..]);
                if (nextNeed == 0) break;
                verneed += nextNeed;
            }
        }
        return found;
    }

    private static string ReadCString(ReadOnlySpan<byte> span, long offset)
    {
        var start = (int)offset;
        var end = span[start..].IndexOf((byte)0);
        return Encoding.ASCII.GetString(span.Slice(start, end));
    }
}
