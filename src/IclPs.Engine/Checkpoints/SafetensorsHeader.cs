using System.Text.Json;
using System.Text.Unicode;

namespace IclPs.Engine.Checkpoints;

/// <summary>
/// The validated header of a safetensors file: an 8-byte little-endian length N, N bytes of UTF-8 JSON
/// <c>{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}}</c>, then the data
/// buffer, which the tensors must cover exactly (no overlaps, no holes, nothing past its end).
/// </summary>
public sealed class SafetensorsHeader
{
    /// <summary>Hugging Face's reader refuses larger headers too; a bigger length means a corrupt or foreign file.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    public const string MetadataKey = "__metadata__";

    private readonly Dictionary<string, SafetensorsEntry> _byName;

    private SafetensorsHeader(List<SafetensorsEntry> entries, Dictionary<string, string> metadata, long dataStart, long dataLength)
    {
        Entries = entries;
        Metadata = metadata;
        DataStart = dataStart;
        DataLength = dataLength;
        _byName = entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
    }

    /// <summary>Tensors in file order (ascending offsets).</summary>
    public IReadOnlyList<SafetensorsEntry> Entries { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>File position of the data buffer: 8 + N.</summary>
    public long DataStart { get; }

    public long DataLength { get; }

    public bool TryGetEntry(string name, out SafetensorsEntry entry) => _byName.TryGetValue(name, out entry!);

    /// <summary>Validates a header whose JSON is <paramref name="json"/> and whose file is <paramref name="fileLength"/> bytes.</summary>
    public static SafetensorsHeader Parse(ReadOnlySpan<byte> json, long fileLength, string path)
    {
        var dataStart = 8 + (long)json.Length;
        var dataLength = fileLength - dataStart;
        if (json.IsEmpty || json[0] != (byte)'{')
            throw Invalid(CheckpointErrorIds.HeaderNotJson, $"Safetensors file '{path}': the header does not start with a JSON object.", path);

        // System.Text.Json checks UTF-8 only when a string is decoded; Hugging Face's reader rejects it up front.
        if (!Utf8.IsValid(json))
            throw Invalid(CheckpointErrorIds.HeaderNotJson, $"Safetensors file '{path}': the header is not valid UTF-8.", path);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw Invalid(CheckpointErrorIds.HeaderNotJson, $"Safetensors file '{path}': the header is not valid UTF-8 JSON ({e.Message}).", path, inner: e);
        }

        var entries = new List<SafetensorsEntry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw Invalid(CheckpointErrorIds.HeaderNotJson, $"Safetensors file '{path}': the header is JSON but not an object.", path);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    throw Invalid(CheckpointErrorIds.DuplicateTensor, $"Safetensors file '{path}': '{property.Name}' appears twice in the header.", path, property.Name);
                if (property.Name == MetadataKey)
                    ReadMetadata(property.Value, metadata, path);
                else
                    entries.Add(ReadEntry(property.Name, property.Value, path));
            }
        }

        ValidateLayout(entries, dataLength, path);
        return new SafetensorsHeader(entries, metadata, dataStart, dataLength);
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string path)
    {
        if (value.ValueKind == JsonValueKind.Null) return;
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid(CheckpointErrorIds.InvalidMetadata, $"Safetensors file '{path}': {MetadataKey} must be an object of strings, got {value.ValueKind}.", path);
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Invalid(CheckpointErrorIds.InvalidMetadata, $"Safetensors file '{path}': {MetadataKey} value '{item.Name}' must be a string, got {item.Value.ValueKind}.", path);
            metadata[item.Name] = item.Value.GetString()!;
        }
    }

    private static SafetensorsEntry ReadEntry(string name, JsonElement value, string path)
    {
        CheckpointException Bad(string what) =>
            Invalid(CheckpointErrorIds.InvalidEntry, $"Safetensors file '{path}', tensor '{name}': {what}.", path, name);

        if (value.ValueKind != JsonValueKind.Object) throw Bad($"the entry must be an object, got {value.ValueKind}");
        if (!value.TryGetProperty("dtype", out var dtypeNode) || dtypeNode.ValueKind != JsonValueKind.String)
            throw Bad("'dtype' must be a string");
        var dtypeName = dtypeNode.GetString()!;
        if (!SafetensorsDTypes.TryParse(dtypeName, out var dtype))
            throw Invalid(CheckpointErrorIds.UnsupportedDType,
                $"Safetensors file '{path}', tensor '{name}': dtype '{dtypeName}' is not supported ({SafetensorsDTypes.SupportedNames}).", path, name);

        if (!value.TryGetProperty("shape", out var shapeNode) || shapeNode.ValueKind != JsonValueKind.Array)
            throw Bad("'shape' must be an array of non-negative integers");
        var shape = new List<long>();
        foreach (var dim in shapeNode.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var d) || d < 0)
                throw Bad($"'shape' must be an array of non-negative integers, got {shapeNode.GetRawText()}");
            shape.Add(d);
        }

        if (!value.TryGetProperty("data_offsets", out var offsetsNode) || offsetsNode.ValueKind != JsonValueKind.Array || offsetsNode.GetArrayLength() != 2)
            throw Bad("'data_offsets' must be [begin, end]");
        var offsets = new long[2];
        var i = 0;
        foreach (var o in offsetsNode.EnumerateArray())
        {
            if (o.ValueKind != JsonValueKind.Number || !o.TryGetInt64(out offsets[i]) || offsets[i] < 0)
                throw Bad($"'data_offsets' must be two non-negative integers, got {offsetsNode.GetRawText()}");
            i++;
        }
        if (offsets[1] < offsets[0])
            throw Bad($"'data_offsets' end {offsets[1]} is before begin {offsets[0]}");

        var entry = new SafetensorsEntry(name, dtype, shape, offsets[0], offsets[1]);
        long expectedBytes;
        try
        {
            expectedBytes = checked(shape.Aggregate(1L, (n, d) => checked(n * d)) * dtype.ElementSize());
        }
        catch (OverflowException)
        {
            expectedBytes = -1;
        }
        if (expectedBytes != entry.ByteLength)
            throw Invalid(CheckpointErrorIds.SizeMismatch,
                $"Safetensors file '{path}', tensor '{name}': shape {entry.ShapeText} of {dtype.HeaderName()} needs " +
                $"{(expectedBytes < 0 ? "more than 2^63" : expectedBytes.ToString())} bytes but data_offsets [{offsets[0]}, {offsets[1]}] span {entry.ByteLength}.", path, name);
        return entry;
    }

    private static void ValidateLayout(List<SafetensorsEntry> entries, long dataLength, string path)
    {
        foreach (var e in entries)
        {
            if (e.End > dataLength)
                throw Invalid(CheckpointErrorIds.Truncated,
                    $"Safetensors file '{path}', tensor '{e.Name}': its bytes [{e.Begin}, {e.End}) run past the end of the data ({dataLength} bytes); the file is truncated.", path, e.Name);
        }
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long covered = 0;
        SafetensorsEntry? previous = null;
        foreach (var e in entries)
        {
            if (e.Begin < covered)
                throw Invalid(CheckpointErrorIds.OffsetsOverlap,
                    $"Safetensors file '{path}', tensor '{e.Name}': bytes [{e.Begin}, {e.End}) overlap tensor '{previous!.Name}' [{previous.Begin}, {previous.End}).", path, e.Name);
            if (e.Begin > covered)
                throw Invalid(CheckpointErrorIds.OffsetsGap,
                    $"Safetensors file '{path}', tensor '{e.Name}': starts at byte {e.Begin} but the previous tensor ends at {covered}; the format allows no holes.", path, e.Name);
            covered = e.End;
            previous = e;
        }
        if (covered < dataLength)
            throw Invalid(CheckpointErrorIds.TrailingBytes,
                $"Safetensors file '{path}': {dataLength - covered} bytes after the last tensor{(previous is null ? "" : $" '{previous.Name}'")} belong to no tensor.", path, previous?.Name);
    }

    private static CheckpointException Invalid(string errorId, string message, string path, string? tensor = null, Exception? inner = null) =>
        new(errorId, IclErrorKind.InvalidData, message, path, tensor, inner);
}
