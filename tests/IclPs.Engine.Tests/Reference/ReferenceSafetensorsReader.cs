using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace IclPs.Engine.Tests.Reference;

/// <summary>
/// A deliberately small safetensors reader (F32 only), written apart from the engine's reader so that the reference
/// does not inherit its bugs. Layout: 8-byte little-endian header length N, N bytes of JSON
/// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then the data section the offsets index.
/// </summary>
public static class ReferenceSafetensorsReader
{
    public static Dictionary<string, RefTensor> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw new InvalidDataException($"'{path}' is {bytes.Length} bytes, too short for a safetensors header.");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8))
            throw new InvalidDataException($"'{path}': header length {headerLength} runs past the end of the file ({bytes.Length} bytes).");
        var dataStart = 8 + (int)headerLength;
        using var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength));

        var tensors = new Dictionary<string, RefTensor>(StringComparer.Ordinal);
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__") continue;
            var dtype = entry.Value.GetProperty("dtype").GetString();
            if (dtype != "F32") throw new InvalidDataException($"'{path}': tensor '{entry.Name}' has dtype {dtype}; this reader reads F32 only.");
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var count = shape.Aggregate(1L, (a, s) => a * s);
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] - offsets[0] != 4 * count || dataStart + offsets[1] > bytes.Length)
                throw new InvalidDataException($"'{path}': tensor '{entry.Name}' has data_offsets [{string.Join(", ", offsets)}] that do not fit shape [{string.Join(", ", shape)}] within the file.");
            var data = new double[count];
            var start = dataStart + (int)offsets[0];
            for (var i = 0; i < count; i++)
                data[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(start + 4 * i, 4));
            tensors.Add(entry.Name, new RefTensor(shape, data));
        }
        return tensors;
    }
}
