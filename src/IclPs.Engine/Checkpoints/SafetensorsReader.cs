using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Checkpoints;

/// <summary>
/// An open safetensors file: its validated header, and reads of single tensors straight from the file into
/// tensor memory, so loading never holds a second copy of the weights.
/// </summary>
public sealed class SafetensorsReader : IDisposable
{
    // Tensor.bytes spans are int-sized, so same-dtype CPU reads go in slices of at most 1 GiB.
    private const long DirectChunkBytes = 1L << 30;
    // Converting or staging for another device goes through a CPU buffer of at most this many elements.
    private const long StagingElements = 1L << 22;

    private readonly SafeFileHandle _handle;

    private SafetensorsReader(string path, SafeFileHandle handle, SafetensorsHeader header)
    {
        Path = path;
        _handle = handle;
        Header = header;
    }

    public string Path { get; }

    public SafetensorsHeader Header { get; }

    /// <summary>Tensors in file order.</summary>
    public IReadOnlyList<SafetensorsEntry> Entries => Header.Entries;

    /// <summary>The string map stored under "__metadata__" (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata => Header.Metadata;

    /// <summary>Opens and validates <paramref name="path"/>; every malformed header is a <see cref="CheckpointException"/>.</summary>
    public static SafetensorsReader Open(string path)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        if (!File.Exists(fullPath))
            throw new CheckpointException(CheckpointErrorIds.FileNotFound, IclErrorKind.ObjectNotFound, $"Safetensors file '{fullPath}' not found.", fullPath);
        var handle = File.OpenHandle(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            return new SafetensorsReader(fullPath, handle, ReadHeader(handle, fullPath));
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public SafetensorsEntry GetEntry(string name) =>
        Header.TryGetEntry(name, out var entry)
            ? entry
            : throw new CheckpointException(CheckpointErrorIds.TensorNotFound, IclErrorKind.ObjectNotFound,
                $"Safetensors file '{Path}' has no tensor '{name}'.", Path, name);

    public bool TryGetEntry(string name, out SafetensorsEntry entry) => Header.TryGetEntry(name, out entry);

    /// <summary>A new tensor holding <paramref name="name"/> as stored (same dtype and shape), on <paramref name="device"/> (CPU by default).</summary>
    public Tensor ReadTensor(string name, Device? device = null)
    {
        var entry = GetEntry(name);
        var cpuTensor = empty([.. entry.Shape], dtype: entry.DType.ToScalarType(), device: CPU);
        ReadInto(entry, cpuTensor);
        if (device is null || device.type == DeviceType.CPU) return cpuTensor;
        using (cpuTensor) return cpuTensor.to(device);
    }

    /// <summary>
    /// Fills <paramref name="destination"/> (contiguous, same shape as the entry, any dtype and device) with the stored values.
    /// Reads directly into its memory when it is a CPU tensor of the stored dtype; otherwise converts through a bounded
    /// CPU buffer (torch's own casts: exact widening, round-to-nearest-even narrowing).
    /// </summary>
    public void ReadInto(SafetensorsEntry entry, Tensor destination, CancellationToken cancellationToken = default)
    {
        if (!entry.Shape.SequenceEqual(destination.shape))
            throw new CheckpointException(CheckpointErrorIds.ShapeMismatch, IclErrorKind.InvalidData,
                $"Safetensors file '{Path}', tensor '{entry.Name}': stored shape {entry.ShapeText} does not match the destination [{string.Join(", ", destination.shape)}].",
                Path, entry.Name);
        if (!destination.is_contiguous())
            throw new ArgumentException("The destination tensor must be contiguous.", nameof(destination));

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var count = entry.ElementCount;
        var elementSize = entry.DType.ElementSize();
        var filePosition = Header.DataStart + entry.Begin;
        var flat = destination.view(-1);
        var sourceType = entry.DType.ToScalarType();

        if (destination.device_type == DeviceType.CPU && destination.dtype == sourceType)
        {
            var chunk = DirectChunkBytes / elementSize;
            for (long start = 0; start < count; start += chunk)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var slice = flat.narrow(0, start, Math.Min(chunk, count - start));
                ReadExactly(filePosition + start * elementSize, slice.bytes, entry);
            }
            return;
        }

        var stagingLength = Math.Min(StagingElements, count);
        using var staging = empty(stagingLength, dtype: sourceType, device: CPU);
        for (long start = 0; start < count; start += stagingLength)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var n = Math.Min(stagingLength, count - start);
            using var part = staging.narrow(0, 0, n);
            ReadExactly(filePosition + start * elementSize, part.bytes, entry);
            using var target = flat.narrow(0, start, n);
            target.copy_(part);
        }
    }

    public void Dispose() => _handle.Dispose();

    private static SafetensorsHeader ReadHeader(SafeFileHandle handle, string path)
    {
        var fileLength = RandomAccess.GetLength(handle);
        if (fileLength < 8)
            throw new CheckpointException(CheckpointErrorIds.FileTooShort, IclErrorKind.InvalidData,
                $"Safetensors file '{path}' is {fileLength} bytes, shorter than the 8-byte header length.", path);
        Span<byte> prefix = stackalloc byte[8];
        if (!TryReadAll(handle, prefix, 0)) throw HeaderTruncated(path, 8, fileLength);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > SafetensorsHeader.MaxHeaderBytes)
            throw new CheckpointException(CheckpointErrorIds.HeaderTooLarge, IclErrorKind.InvalidData,
                $"Safetensors file '{path}': header length {headerLength} exceeds the {SafetensorsHeader.MaxHeaderBytes}-byte limit; the file is corrupt or not safetensors.", path);
        if (8 + (long)headerLength > fileLength) throw HeaderTruncated(path, 8 + (long)headerLength, fileLength);
        var json = new byte[headerLength];
        if (!TryReadAll(handle, json, 8)) throw HeaderTruncated(path, 8 + (long)headerLength, fileLength);
        return SafetensorsHeader.Parse(json, fileLength, path);
    }

    private static CheckpointException HeaderTruncated(string path, long headerEnd, long fileLength) =>
        new(CheckpointErrorIds.HeaderTruncated, IclErrorKind.InvalidData,
            $"Safetensors file '{path}': the header ends at byte {headerEnd}, past the end of the {fileLength}-byte file.", path);

    private void ReadExactly(long position, Span<byte> buffer, SafetensorsEntry entry)
    {
        if (!TryReadAll(_handle, buffer, position))
            throw new CheckpointException(CheckpointErrorIds.Truncated, IclErrorKind.InvalidData,
                $"Safetensors file '{Path}', tensor '{entry.Name}': the file ended while reading its bytes (was it changed after opening?).", Path, entry.Name);
    }

    private static bool TryReadAll(SafeFileHandle handle, Span<byte> buffer, long position)
    {
        while (!buffer.IsEmpty)
        {
            var read = RandomAccess.Read(handle, buffer, position);
            if (read == 0) return false;
            buffer = buffer[read..];
            position += read;
        }
        return true;
    }
}
