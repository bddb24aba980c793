using System.Buffers.Binary;
using System.Text;

namespace IclPs.Engine.Tests.Checkpoints;

/// <summary>
/// Builds safetensors bytes by hand, independently of the engine's writer: the tests state the header JSON and the
/// data bytes themselves, so the reader is checked against the format, not against our own writer.
/// </summary>
internal static class RawSafetensors
{
    /// <summary>8-byte little-endian length, the header text padded with spaces to a multiple of 8, then the data.</summary>
    public static byte[] Assemble(string headerJson, byte[] data, bool pad = true)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        var length = pad ? (header.Length + 7) / 8 * 8 : header.Length;
        var bytes = new byte[8 + length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)length);
        header.CopyTo(bytes, 8);
        bytes.AsSpan(8 + header.Length, length - header.Length).Fill((byte)' ');
        data.CopyTo(bytes, 8 + length);
        return bytes;
    }

    /// <summary>A header and data for named tensors given as raw little-endian bytes, packed in the order given.</summary>
    public static byte[] Assemble(IEnumerable<(string Name, string DType, long[] Shape, byte[] Data)> tensors, string? metadataJson = null)
    {
        var parts = new List<string>();
        if (metadataJson is not null) parts.Add($"\"__metadata__\":{metadataJson}");
        var data = new MemoryStream();
        foreach (var (name, dtype, shape, bytes) in tensors)
        {
            var begin = data.Length;
            data.Write(bytes);
            parts.Add($"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{begin},{data.Length}]}}");
        }
        return Assemble("{" + string.Join(",", parts) + "}", data.ToArray());
    }

    public static byte[] F32(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }

    public static byte[] F16(params float[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2), (Half)values[i]);
        return bytes;
    }

    /// <summary>bfloat16 is the upper half of a float32; truncation is exact for the values tests feed it.</summary>
    public static byte[] BF16(params float[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), (ushort)(BitConverter.SingleToUInt32Bits(values[i]) >> 16));
        return bytes;
    }

    /// <summary>The float a bfloat16 made by <see cref="BF16"/> stands for.</summary>
    public static float BF16Value(float value) => BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(value) & 0xFFFF0000u);

    public static byte[] I64(params long[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), values[i]);
        return bytes;
    }

    public static byte[] F64(params double[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * 8), values[i]);
        return bytes;
    }
}
