using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Checkpoints;

/// <summary>
/// Writes safetensors files as Hugging Face's <c>safetensors</c> reads them: 8-byte little-endian header length, JSON
/// header padded with spaces to a multiple of 8 bytes, then each tensor's little-endian bytes in name order.
/// </summary>
public static class SafetensorsWriter
{
    // Tensor.bytes spans are int-sized, so tensors are written in slices of at most 1 GiB.
    private const long ChunkBytes = 1L << 30;

    /// <summary>
    /// Writes <paramref name="tensors"/> (each in its own dtype) and optional string <paramref name="metadata"/> to
    /// <paramref name="path"/>, via a temporary file in the same folder that replaces <paramref name="path"/> only once complete.
    /// </summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        using var staged = new StagedFile(path);
        WriteStaged(staged, tensors, metadata, cancellationToken);
        staged.Commit();
    }

    /// <summary>Tensor data bytes of <paramref name="tensor"/> as stored (element count times element size).</summary>
    public static long DataBytes(Tensor tensor) => tensor.numel() * tensor.element_size();

    internal static void WriteStaged(StagedFile staged, IEnumerable<(string Name, Tensor Tensor)> tensors,
        IReadOnlyDictionary<string, string>? metadata, CancellationToken cancellationToken)
    {
        var sorted = Validate(tensors, staged.Destination);
        using var stream = staged.OpenWrite();
        stream.Write(Header(sorted, metadata));
        foreach (var (_, tensor, _) in sorted)
        {
            WriteData(stream, tensor, cancellationToken);
        }
        StagedFile.Flush(stream);
    }

    private static List<(string Name, Tensor Tensor, SafetensorsDType DType)> Validate(IEnumerable<(string Name, Tensor Tensor)> tensors, string path)
    {
        var list = new List<(string, Tensor, SafetensorsDType)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            if (string.IsNullOrEmpty(name) || name == SafetensorsHeader.MetadataKey || !names.Add(name))
                throw new CheckpointException(CheckpointErrorIds.InvalidTensorName, IclErrorKind.InvalidArgument,
                    $"Cannot write '{path}': tensor name '{name}' is empty, reserved or repeated.", path, name);
            if (!SafetensorsDTypes.TryFromScalarType(tensor.dtype, out var dtype))
                throw new CheckpointException(CheckpointErrorIds.UnsupportedDType, IclErrorKind.InvalidArgument,
                    $"Cannot write '{path}', tensor '{name}': dtype {tensor.dtype} has no safetensors equivalent ({SafetensorsDTypes.SupportedNames}).", path, name);
            list.Add((name, tensor, dtype));
        }
        list.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return list;
    }

    /// <summary>Length prefix plus JSON header, padded so the data buffer starts 8-byte aligned.</summary>
    private static byte[] Header(List<(string Name, Tensor Tensor, SafetensorsDType DType)> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            if (metadata is not null)
            {
                writer.WriteStartObject(SafetensorsHeader.MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor, dtype) in tensors)
            {
                var end = offset + DataBytes(tensor);
                writer.WriteStartObject(name);
                writer.WriteString("dtype", dtype.HeaderName());
                writer.WriteStartArray("shape");
                foreach (var d in tensor.shape) writer.WriteNumberValue(d);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(end);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset = end;
            }
            writer.WriteEndObject();
        }
        var jsonLength = json.Length;
        var padded = (jsonLength + 7) / 8 * 8;
        var header = new byte[8 + padded];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)padded);
        json.GetBuffer().AsSpan(0, (int)jsonLength).CopyTo(header.AsSpan(8));
        header.AsSpan(8 + (int)jsonLength).Fill((byte)' ');
        return header;
    }

    /// <summary>Streams a tensor's bytes in bounded slices; a device tensor is copied to the CPU one slice at a time.</summary>
    private static void WriteData(Stream stream, Tensor tensor, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        var flat = tensor.detach().contiguous().view(-1);
        var count = flat.numel();
        var chunk = ChunkBytes / flat.element_size();
        for (long start = 0; start < count; start += chunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var slice = flat.narrow(0, start, Math.Min(chunk, count - start));
            using var cpuSlice = slice.device_type == DeviceType.CPU ? slice.alias() : slice.cpu();
            stream.Write(cpuSlice.bytes);
        }
    }
}
