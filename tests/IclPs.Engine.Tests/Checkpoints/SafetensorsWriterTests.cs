using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using IclPs.Engine.Checkpoints;
using IclPs.Engine.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Checkpoints;

public sealed class SafetensorsWriterTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public SafetensorsWriterTests() => TorchNativeLoader.EnsureLoaded();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void FollowsTheFormatByteForByte()
    {
        var path = _folder.File("w.safetensors");
        using var b = tensor(new float[] { 1, 2, 3 });
        using var a = tensor(new long[] { 7, 8 }).reshape(1, 2);
        using var c = tensor(new float[] { 0.5f, -0.25f }).to(ScalarType.Float16);
        SafetensorsWriter.Write(path, [("b", b), ("a", a), ("c", c)], new Dictionary<string, string> { ["format"] = "pt" });

        var bytes = File.ReadAllBytes(path);
        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        var headerText = Encoding.UTF8.GetString(bytes, 8, n);
        var json = headerText.TrimEnd(' ');
        Assert.True(headerText[json.Length..].All(ch => ch == ' '));
        Assert.Equal(
            "{\"__metadata__\":{\"format\":\"pt\"}," +
            "\"a\":{\"dtype\":\"I64\",\"shape\":[1,2],\"data_offsets\":[0,16]}," +
            "\"b\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[16,28]}," +
            "\"c\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[28,32]}}",
            json);
        var data = bytes.AsSpan(8 + n);
        var expected = RawSafetensors.I64(7, 8).Concat(RawSafetensors.F32(1, 2, 3)).Concat(RawSafetensors.F16(0.5f, -0.25f)).ToArray();
        Assert.Equal(expected, data.ToArray());
    }

    [Fact]
    public void RoundTripsEveryDTypeThroughTheReader()
    {
        var path = _folder.File("all.safetensors");
        using var scope = NewDisposeScope();
        var gen = new Generator(5);
        var source = new List<(string, Tensor)>
        {
            ("f32", randn(3, 5, generator: gen)),
            ("f16", randn(4, 2, generator: gen).to(ScalarType.Float16)),
            ("bf16", randn(7, generator: gen).to(ScalarType.BFloat16)),
            ("f64", randn(2, 2, 2, dtype: ScalarType.Float64, generator: gen)),
            ("i64", randint(-1000, 1000, [6], dtype: ScalarType.Int64, generator: gen)),
            ("i32", randint(-1000, 1000, [3], dtype: ScalarType.Int32, generator: gen)),
            ("u8", randint(0, 255, [5], dtype: ScalarType.Byte, generator: gen)),
            ("bool", randn(4, generator: gen) > 0),
            ("scalar", tensor(3.25f)),
            ("transposed", randn(3, 4, generator: gen).t()),
        };
        SafetensorsWriter.Write(path, source);

        using var reader = SafetensorsReader.Open(path);
        Assert.Equal(source.Count, reader.Entries.Count);
        foreach (var (name, expected) in source)
        {
            using var actual = reader.ReadTensor(name);
            Assert.Equal(expected.dtype, actual.dtype);
            Assert.Equal(expected.shape, actual.shape);
            Assert.True(expected.eq(actual).all().item<bool>(), name);
        }
    }

    [Fact]
    public void ReplacesExistingFileAndLeavesNoTemporaryFiles()
    {
        var path = _folder.File("x.safetensors");
        using var first = ones(4);
        using var second = zeros(2);
        SafetensorsWriter.Write(path, [("x", first)]);
        SafetensorsWriter.Write(path, [("x", second)]);
        using var reader = SafetensorsReader.Open(path);
        Assert.Equal(new long[] { 2 }, reader.GetEntry("x").Shape);
        Assert.Equal(["x.safetensors"], Directory.GetFiles(_folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void CancelledWriteKeepsThePreviousFile()
    {
        var path = _folder.File("x.safetensors");
        using var first = ones(4);
        SafetensorsWriter.Write(path, [("x", first)]);
        var before = File.ReadAllBytes(path);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        using var second = zeros(8);
        Assert.ThrowsAny<OperationCanceledException>(() => SafetensorsWriter.Write(path, [("x", second)], cancellationToken: cts.Token));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_folder.Path));
    }

    [Theory]
    [InlineData("")]
    [InlineData("__metadata__")]
    [InlineData("dup")]
    public void RejectsUnstorableNames(string name)
    {
        var path = _folder.File("bad.safetensors");
        using var t = ones(1);
        var e = Assert.Throws<CheckpointException>(() => SafetensorsWriter.Write(path, [("dup", t), (name, t)]));
        Assert.Equal((CheckpointErrorIds.InvalidTensorName, IclErrorKind.InvalidArgument), (e.ErrorId, e.Kind));
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(_folder.Path));
    }

    [Fact]
    public void RejectsDTypesWithoutSafetensorsName()
    {
        var path = _folder.File("bad.safetensors");
        using var t = ones(2, dtype: ScalarType.ComplexFloat32);
        var e = Assert.Throws<CheckpointException>(() => SafetensorsWriter.Write(path, [("z", t)]));
        Assert.Equal((CheckpointErrorIds.UnsupportedDType, "z"), (e.ErrorId, e.Target));
    }

    [Fact]
    public void MetadataRoundTrips()
    {
        var path = _folder.File("m.safetensors");
        using var t = ones(1);
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["quote\"and\\slash"] = "ünïcode ✓" };
        SafetensorsWriter.Write(path, [("t", t)], metadata);
        using var reader = SafetensorsReader.Open(path);
        Assert.Equal(metadata, reader.Metadata);
        // The header stays plain JSON any parser accepts.
        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(path));
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path).AsMemory(8, n));
        Assert.Equal("ünïcode ✓", doc.RootElement.GetProperty("__metadata__").GetProperty("quote\"and\\slash").GetString());
    }
}
