using System.Buffers.Binary;
using IclPs.Engine.Checkpoints;
using IclPs.Engine.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Checkpoints;

public sealed class SafetensorsReaderTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public SafetensorsReaderTests() => TorchNativeLoader.EnsureLoaded();

    public void Dispose() => _folder.Dispose();

    private string WriteFile(byte[] bytes, string name = "t.safetensors")
    {
        var path = _folder.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void ReadsHandAssembledFile()
    {
        // Header written out by hand, entries deliberately not in offset order, metadata first.
        const string header =
            "{\"__metadata__\":{\"format\":\"pt\",\"note\":\"hand made\"}," +
            "\"b\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[24,40]}," +
            "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}," +
            "\"s\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[40,48]}," +
            "\"e\":{\"dtype\":\"F16\",\"shape\":[0,4],\"data_offsets\":[48,48]}}";
        var data = RawSafetensors.F32(1, -2, 3.5f, 0, 1e-3f, -7).Concat(RawSafetensors.I64(42, -1)).Concat(RawSafetensors.F64(Math.PI)).ToArray();
        var path = WriteFile(RawSafetensors.Assemble(header, data));

        using var reader = SafetensorsReader.Open(path);
        Assert.Equal(["a", "b", "s", "e"], reader.Entries.Select(e => e.Name));
        Assert.Equal(new Dictionary<string, string> { ["format"] = "pt", ["note"] = "hand made" }, reader.Metadata);
        var a = reader.GetEntry("a");
        Assert.Equal(SafetensorsDType.F32, a.DType);
        Assert.Equal(new long[] { 2, 3 }, a.Shape);
        Assert.Equal((0L, 24L), (a.Begin, a.End));
        Assert.Equal(8 + (header.Length + 7) / 8 * 8, reader.Header.DataStart);

        using var ta = reader.ReadTensor("a");
        Assert.Equal(new long[] { 2, 3 }, ta.shape);
        Assert.Equal(new float[] { 1, -2, 3.5f, 0, 1e-3f, -7 }, ta.data<float>().ToArray());
        using var tb = reader.ReadTensor("b");
        Assert.Equal(ScalarType.Int64, tb.dtype);
        Assert.Equal(new long[] { 42, -1 }, tb.data<long>().ToArray());
        using var ts = reader.ReadTensor("s");
        Assert.Equal(0, ts.dim());
        Assert.Equal(Math.PI, ts.item<double>());
        using var te = reader.ReadTensor("e");
        Assert.Equal(new long[] { 0, 4 }, te.shape);
    }

    [Fact]
    public void ConvertsF16AndBF16IntoFloat32Exactly()
    {
        // Values with more mantissa than either format keeps: the file holds the rounded/truncated bits,
        // and the expected floats are computed here with System.Half and bit shifts, not with torch.
        var values = new[] { 0.1f, -1.0f / 3, 65504f, 6.1e-5f, 3e-8f, -0f, 1234.567f, float.NegativeInfinity };
        var bf16Values = new[] { 0.1f, -1.0f / 3, 3.0e38f, 1e-38f, -0f, 1234.567f, 2.5f, float.PositiveInfinity };
        var path = WriteFile(RawSafetensors.Assemble(
        [
            ("h", "F16", [2, 4], RawSafetensors.F16(values)),
            ("b", "BF16", [8], RawSafetensors.BF16(bf16Values)),
        ]));

        using var reader = SafetensorsReader.Open(path);
        using var h = empty(2, 4, dtype: ScalarType.Float32);
        reader.ReadInto(reader.GetEntry("h"), h);
        Assert.Equal(values.Select(v => (float)(Half)v), h.data<float>().ToArray());
        using var b = empty(8, dtype: ScalarType.Float32);
        reader.ReadInto(reader.GetEntry("b"), b);
        Assert.Equal(bf16Values.Select(RawSafetensors.BF16Value), b.data<float>().ToArray());
    }

    [Fact]
    public void ConvertsFloat32IntoFloat16WithRoundToNearestEven()
    {
        var values = new[] { 0.1f, -1.0f / 3, 1.0009765625f + 1e-7f, 2049f, 70000f, 1e-8f };
        var path = WriteFile(RawSafetensors.Assemble([("x", "F32", [6], RawSafetensors.F32(values))]));
        using var reader = SafetensorsReader.Open(path);
        using var x = empty(6, dtype: ScalarType.Float16);
        reader.ReadInto(reader.GetEntry("x"), x);
        using var widened = x.to(ScalarType.Float32);
        // System.Half's conversion rounds to nearest even and overflows to infinity, as IEEE 754 prescribes.
        Assert.Equal(values.Select(v => (float)(Half)v), widened.data<float>().ToArray());
    }

    [Fact]
    public void ReadIntoRejectsWrongShape()
    {
        var path = WriteFile(RawSafetensors.Assemble([("x", "F32", [2, 2], RawSafetensors.F32(1, 2, 3, 4))]));
        using var reader = SafetensorsReader.Open(path);
        using var wrong = empty(4, dtype: ScalarType.Float32);
        var e = Assert.Throws<CheckpointException>(() => reader.ReadInto(reader.GetEntry("x"), wrong));
        Assert.Equal(CheckpointErrorIds.ShapeMismatch, e.ErrorId);
        Assert.Contains("[2, 2]", e.Message);
    }

    [Fact]
    public void MissingTensorNameIsNamed()
    {
        var path = WriteFile(RawSafetensors.Assemble([("x", "F32", [1], RawSafetensors.F32(1))]));
        using var reader = SafetensorsReader.Open(path);
        var e = Assert.Throws<CheckpointException>(() => reader.GetEntry("nope"));
        Assert.Equal((CheckpointErrorIds.TensorNotFound, IclErrorKind.ObjectNotFound, "nope"), (e.ErrorId, e.Kind, e.Target));
    }

    [Fact]
    public void MissingFileIsObjectNotFound()
    {
        var path = _folder.File("absent.safetensors");
        var e = Assert.Throws<CheckpointException>(() => SafetensorsReader.Open(path));
        Assert.Equal((CheckpointErrorIds.FileNotFound, IclErrorKind.ObjectNotFound), (e.ErrorId, e.Kind));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void FileShorterThanLengthPrefix()
    {
        var path = WriteFile([1, 2, 3, 4, 5]);
        AssertInvalid(path, CheckpointErrorIds.FileTooShort, tensor: null);
    }

    [Fact]
    public void HeaderLengthPastEndOfFile()
    {
        var bytes = new byte[30];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 100);
        AssertInvalid(WriteFile(bytes), CheckpointErrorIds.HeaderTruncated, tensor: null);
    }

    [Fact]
    public void AbsurdHeaderLength()
    {
        var bytes = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1UL << 40);
        AssertInvalid(WriteFile(bytes), CheckpointErrorIds.HeaderTooLarge, tensor: null);
    }

    [Theory]
    [InlineData("{\"a\": ")]
    [InlineData("[1, 2]")]
    [InlineData("  {}")]
    [InlineData("{\"a\": \"\u0001\"}")]
    public void HeaderThatIsNotAJsonObject(string header)
    {
        AssertInvalid(WriteFile(RawSafetensors.Assemble(header, [])), CheckpointErrorIds.HeaderNotJson, tensor: null);
    }

    [Fact]
    public void HeaderThatIsNotUtf8()
    {
        var bytes = RawSafetensors.Assemble("{\"x\": \"__\"}", []);
        // Replace the two underscores inside the string value with bytes that are never valid UTF-8.
        bytes[8 + 7] = 0xFF;
        bytes[8 + 8] = 0xFE;
        AssertInvalid(WriteFile(bytes), CheckpointErrorIds.HeaderNotJson, tensor: null);
    }

    [Theory]
    [InlineData("{\"w\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}")]
    [InlineData("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}}")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\"0\",4]}}")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}")]
    [InlineData("{\"w\":[1,2]}")]
    public void EntryWithWrongFieldTypes(string header)
    {
        AssertInvalid(WriteFile(RawSafetensors.Assemble(header, new byte[4])), CheckpointErrorIds.InvalidEntry, tensor: "w");
    }

    [Theory]
    [InlineData("{\"__metadata__\":{\"format\":1}}")]
    [InlineData("{\"__metadata__\":[\"pt\"]}")]
    public void MetadataThatIsNotAStringMap(string header)
    {
        AssertInvalid(WriteFile(RawSafetensors.Assemble(header, [])), CheckpointErrorIds.InvalidMetadata, tensor: null);
    }

    [Theory]
    [InlineData("F8_E4M3")]
    [InlineData("Q4_0")]
    [InlineData("f32")]
    public void UnknownDType(string dtype)
    {
        var header = $"{{\"w\":{{\"dtype\":\"{dtype}\",\"shape\":[4],\"data_offsets\":[0,4]}}}}";
        var e = AssertInvalid(WriteFile(RawSafetensors.Assemble(header, new byte[4])), CheckpointErrorIds.UnsupportedDType, tensor: "w");
        Assert.Contains(dtype, e.Message);
    }

    [Fact]
    public void ByteSizeDisagreesWithShape()
    {
        const string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}";
        var e = AssertInvalid(WriteFile(RawSafetensors.Assemble(header, new byte[12])), CheckpointErrorIds.SizeMismatch, tensor: "w");
        Assert.Contains("16", e.Message);
    }

    [Fact]
    public void ShapeWhoseByteSizeOverflows()
    {
        const string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}";
        AssertInvalid(WriteFile(RawSafetensors.Assemble(header, new byte[4])), CheckpointErrorIds.SizeMismatch, tensor: "w");
    }

    [Fact]
    public void OverlappingOffsets()
    {
        const string header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        var e = AssertInvalid(WriteFile(RawSafetensors.Assemble(header, new byte[12])), CheckpointErrorIds.OffsetsOverlap, tensor: "b");
        Assert.Contains("'a'", e.Message);
    }

    [Fact]
    public void GapBetweenTensors()
    {
        const string header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}";
        AssertInvalid(WriteFile(RawSafetensors.Assemble(header, new byte[20])), CheckpointErrorIds.OffsetsGap, tensor: "b");
    }

    [Fact]
    public void TensorRunsPastEndOfFile()
    {
        var bytes = RawSafetensors.Assemble([("a", "F32", [2], RawSafetensors.F32(1, 2)), ("b", "F32", [2], RawSafetensors.F32(3, 4))]);
        var truncated = bytes[..^4];
        AssertInvalid(WriteFile(truncated), CheckpointErrorIds.Truncated, tensor: "b");
    }

    [Fact]
    public void BytesAfterLastTensor()
    {
        const string header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        AssertInvalid(WriteFile(RawSafetensors.Assemble(header, new byte[12])), CheckpointErrorIds.TrailingBytes, tensor: "a");
    }

    [Fact]
    public void SameTensorNameTwice()
    {
        const string header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        AssertInvalid(WriteFile(RawSafetensors.Assemble(header, new byte[8])), CheckpointErrorIds.DuplicateTensor, tensor: "a");
    }

    private static CheckpointException AssertInvalid(string path, string errorId, string? tensor)
    {
        var e = Assert.Throws<CheckpointException>(() => SafetensorsReader.Open(path).Dispose());
        Assert.Equal(errorId, e.ErrorId);
        Assert.Equal(IclErrorKind.InvalidData, e.Kind);
        Assert.Equal(path, e.Path);
        Assert.Contains(path, e.Message);
        Assert.Equal(tensor, e.TensorName);
        if (tensor is not null) Assert.Contains($"'{tensor}'", e.Message);
        Assert.Equal((object?)tensor ?? path, e.Target);
        return e;
    }
}
