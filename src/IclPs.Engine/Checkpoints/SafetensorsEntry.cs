namespace IclPs.Engine.Checkpoints;

/// <summary>
/// One tensor of a safetensors file: its name, element type, shape, and byte range [Begin, End) relative to the
/// data buffer that follows the header.
/// </summary>
public sealed record SafetensorsEntry(string Name, SafetensorsDType DType, IReadOnlyList<long> Shape, long Begin, long End)
{
    public long ElementCount => Shape.Aggregate(1L, (n, d) => n * d);

    public long ByteLength => End - Begin;

    public string ShapeText => $"[{string.Join(", ", Shape)}]";
}
