using System.Security.Cryptography;
using System.Text.Json.Nodes;
using IclPs.Engine.Checkpoints;
using IclPs.Engine.Models;
using IclPs.Engine.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Checkpoints;

public sealed class HfCheckpointTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public HfCheckpointTests() => TorchNativeLoader.EnsureLoaded();

    public void Dispose() => _folder.Dispose();

    private static TransformerModel Seeded(string preset, long seed = 1, ScalarType dtype = ScalarType.Float32) =>
        TransformerModel.Create(ModelConfig.Presets[preset], CPU, dtype, seed);

    [Theory]
    [InlineData("gpt2-tiny")]
    [InlineData("llama-tiny")]
    public void RoundTripIsBitExact(string preset)
    {
        using var original = Seeded(preset);
        HfCheckpoint.Save(original, _folder.Path);
        Assert.True(File.Exists(_folder.File(HfCheckpoint.WeightsFileName)));
        Assert.False(File.Exists(_folder.File(HfCheckpoint.IndexFileName)));

        Assert.Equal(original.Config, HfCheckpoint.ReadConfig(_folder.Path));
        using var loaded = HfCheckpoint.Load(_folder.Path, CPU);
        Assert.Equal(_folder.Path, loaded.Identity);
        Assert.Equal(ScalarType.Float32, loaded.DType);
        AssertSameParameters(original, loaded);
        AssertSameLogits(original, loaded);
    }

    [Fact]
    public void WeightFilesCarryTheMetadataTransformersRequires()
    {
        using var model = Seeded("gpt2-tiny");
        HfCheckpoint.Save(model, _folder.Path);
        using var reader = SafetensorsReader.Open(_folder.File(HfCheckpoint.WeightsFileName));
        Assert.Equal("pt", reader.Metadata["format"]);
        // Tied GPT-2 stores no lm_head, as transformers' save_pretrained does.
        Assert.False(reader.TryGetEntry("lm_head.weight", out _));
        Assert.True(reader.TryGetEntry("transformer.h.1.attn.c_attn.weight", out var cAttn));
        Assert.Equal(new long[] { 64, 192 }, cAttn.Shape);
    }

    [Fact]
    public void ShardedRoundTripIsBitExact()
    {
        using var original = Seeded("llama-tiny", seed: 3);
        HfCheckpoint.Save(original, _folder.Path, maxShardBytes: 100_000);

        var index = JsonNode.Parse(File.ReadAllText(_folder.File(HfCheckpoint.IndexFileName)))!;
        var shards = index["weight_map"]!.AsObject().Select(kv => kv.Value!.GetValue<string>()).Distinct().Order().ToList();
        Assert.True(shards.Count > 2);
        Assert.Equal(Enumerable.Range(1, shards.Count).Select(i => $"model-{i:D5}-of-{shards.Count:D5}.safetensors"), shards);
        var expectedTotal = original.CheckpointTensors().Sum(t => t.Tensor.numel() * 4);
        Assert.Equal(expectedTotal, index["metadata"]!["total_size"]!.GetValue<long>());
        Assert.False(File.Exists(_folder.File(HfCheckpoint.WeightsFileName)));
        foreach (var shard in shards)
        {
            using var reader = SafetensorsReader.Open(_folder.File(shard));
            // Only a tensor bigger than the limit may exceed it, and then alone.
            Assert.True(reader.Header.DataLength <= 100_000 || reader.Entries.Count == 1);
        }

        using var loaded = HfCheckpoint.Load(_folder.Path, CPU);
        AssertSameParameters(original, loaded);
        AssertSameLogits(original, loaded);
    }

    [Fact]
    public void ChangingLayoutRemovesOldWeightFilesOnly()
    {
        using var a = Seeded("gpt2-tiny", seed: 1);
        using var b = Seeded("gpt2-tiny", seed: 2);
        HfCheckpoint.Save(a, _folder.Path, maxShardBytes: 100_000);
        File.WriteAllText(_folder.File("tokenizer.json"), "{}");
        File.WriteAllText(_folder.File("model-00001-of-00099.safetensors"), "not listed by any index");

        HfCheckpoint.Save(b, _folder.Path);
        Assert.Equal(
            ["config.json", "model-00001-of-00099.safetensors", "model.safetensors", "tokenizer.json"],
            Directory.GetFiles(_folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using (var loaded = HfCheckpoint.Load(_folder.Path, CPU)) AssertSameParameters(b, loaded);

        HfCheckpoint.Save(a, _folder.Path, maxShardBytes: 200_000);
        Assert.False(File.Exists(_folder.File(HfCheckpoint.WeightsFileName)));
        Assert.True(File.Exists(_folder.File("tokenizer.json")));
        using (var loaded = HfCheckpoint.Load(_folder.Path, CPU)) AssertSameParameters(a, loaded);
    }

    [Theory]
    [InlineData("F16")]
    [InlineData("BF16")]
    public void HalfPrecisionCheckpointLoadsIntoFloat32(string dtype)
    {
        var config = ModelConfig.Presets["gpt2-tiny"];
        var random = new Random(11);
        var expected = new Dictionary<string, float[]>();
        var tensors = new List<(string, string, long[], byte[])>();
        using (var shapes = TransformerModel.Create(config, CPU))
        {
            foreach (var (name, parameter) in shapes.CheckpointTensors())
            {
                var values = Enumerable.Range(0, (int)parameter.numel()).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
                // What the half-precision file holds, widened back in C#: System.Half for F16, the top 16 bits for BF16.
                expected[name] = dtype == "F16" ? values.Select(v => (float)(Half)v).ToArray() : values.Select(RawSafetensors.BF16Value).ToArray();
                tensors.Add((name, dtype, parameter.shape, dtype == "F16" ? RawSafetensors.F16(values) : RawSafetensors.BF16(values)));
            }
        }
        File.WriteAllText(_folder.File("config.json"), config.ToHfJson());
        File.WriteAllBytes(_folder.File("model.safetensors"), RawSafetensors.Assemble(tensors, "{\"format\":\"pt\"}"));

        using var model = HfCheckpoint.Load(_folder.Path, CPU, ScalarType.Float32);
        foreach (var (name, parameter) in model.CheckpointTensors())
        {
            Assert.Equal(ScalarType.Float32, parameter.dtype);
            Assert.Equal(expected[name], parameter.data<float>().ToArray());
        }
    }

    [Fact]
    public void Float32CheckpointLoadsIntoFloat16Model()
    {
        using var original = Seeded("llama-tiny");
        HfCheckpoint.Save(original, _folder.Path);
        using var half = HfCheckpoint.Load(_folder.Path, CPU, ScalarType.Float16);
        Assert.Equal(ScalarType.Float16, half.DType);
        var source = original.CheckpointTensors().ToDictionary(t => t.Name, t => t.Tensor);
        foreach (var (name, parameter) in half.CheckpointTensors())
        {
            using var widened = parameter.to(ScalarType.Float32);
            Assert.Equal(source[name].data<float>().ToArray().Select(v => (float)(Half)v), widened.data<float>().ToArray());
        }
    }

    [Fact]
    public void BFloat16ModelSavesBF16TensorsAndSaysSoInConfig()
    {
        using var model = Seeded("gpt2-tiny", dtype: ScalarType.BFloat16);
        HfCheckpoint.Save(model, _folder.Path);
        Assert.Equal("bfloat16", JsonNode.Parse(File.ReadAllText(_folder.File("config.json")))!["torch_dtype"]!.GetValue<string>());
        using (var reader = SafetensorsReader.Open(_folder.File(HfCheckpoint.WeightsFileName)))
            Assert.All(reader.Entries, e => Assert.Equal(SafetensorsDType.BF16, e.DType));
        using var loaded = HfCheckpoint.Load(_folder.Path, CPU, ScalarType.BFloat16);
        AssertSameParameters(model, loaded);
    }

    [Fact]
    public void AcceptsOpenAiStyleGpt2KeysWithBuffersAndDuplicatedHead()
    {
        using var original = Seeded("gpt2-tiny");
        var tensors = new List<(string, Tensor)>();
        using var scope = NewDisposeScope();
        foreach (var (name, tensor) in original.CheckpointTensors()) tensors.Add((name["transformer.".Length..], tensor));
        tensors.Add(("lm_head.weight", original.CheckpointTensors().Single(t => t.Name == "transformer.wte.weight").Tensor));
        for (var l = 0; l < original.Config.Layers; l++)
        {
            tensors.Add(($"h.{l}.attn.bias", ones(1, 1, 8, 8).tril()));
            tensors.Add(($"h.{l}.attn.masked_bias", tensor(-1e4f)));
        }
        WriteCheckpoint(original.Config, tensors);

        using var loaded = HfCheckpoint.Load(_folder.Path, CPU);
        AssertSameParameters(original, loaded);
    }

    [Fact]
    public void AcceptsBareLlamaBackboneKeysWithRotaryBuffer()
    {
        var config = ModelConfig.Presets["llama-tiny"] with { TieEmbeddings = true };
        using var original = TransformerModel.Create(config, CPU, ScalarType.Float32, seed: 4);
        using var scope = NewDisposeScope();
        var tensors = original.CheckpointTensors().Select(t => (t.Name["model.".Length..], t.Tensor)).ToList();
        tensors.Add(("layers.0.self_attn.rotary_emb.inv_freq", ones(8)));
        WriteCheckpoint(config, tensors);

        using var loaded = HfCheckpoint.Load(_folder.Path, CPU);
        AssertSameParameters(original, loaded);
    }

    [Fact]
    public void MissingFolder()
    {
        var dir = _folder.File("absent");
        var e = Assert.Throws<CheckpointException>(() => HfCheckpoint.Load(dir));
        Assert.Equal((CheckpointErrorIds.CheckpointNotFound, IclErrorKind.ObjectNotFound, dir), (e.ErrorId, e.Kind, e.Target));
    }

    [Fact]
    public void FolderWithoutWeights()
    {
        File.WriteAllText(_folder.File("config.json"), ModelConfig.Presets["gpt2-tiny"].ToHfJson());
        File.WriteAllText(_folder.File("pytorch_model.bin"), "");
        var e = Assert.Throws<CheckpointException>(() => HfCheckpoint.Load(_folder.Path, CPU));
        Assert.Equal((CheckpointErrorIds.WeightsNotFound, IclErrorKind.ObjectNotFound), (e.ErrorId, e.Kind));
        Assert.Contains("pytorch_model.bin", e.Message);
    }

    [Fact]
    public void MissingConfigIsReportedByModelConfig()
    {
        var e = Assert.ThrowsAny<IclPsException>(() => HfCheckpoint.ReadConfig(_folder.Path));
        Assert.Equal(IclErrorKind.ObjectNotFound, e.Kind);
        Assert.Contains("config.json", e.Message);
    }

    [Fact]
    public void IndexNamingAnAbsentShard()
    {
        using var model = Seeded("gpt2-tiny");
        HfCheckpoint.Save(model, _folder.Path, maxShardBytes: 200_000);
        File.Delete(_folder.File("model-00002-of-00003.safetensors"));
        var e = Assert.Throws<CheckpointException>(() => HfCheckpoint.Load(_folder.Path, CPU));
        Assert.Equal((CheckpointErrorIds.ShardNotFound, IclErrorKind.ObjectNotFound), (e.ErrorId, e.Kind));
        Assert.Contains("model-00002-of-00003.safetensors", e.Message);
    }

    [Fact]
    public void IndexDisagreeingWithShards()
    {
        using var model = Seeded("gpt2-tiny");
        HfCheckpoint.Save(model, _folder.Path, maxShardBytes: 200_000);
        var indexPath = _folder.File(HfCheckpoint.IndexFileName);
        var index = JsonNode.Parse(File.ReadAllText(indexPath))!;
        index["weight_map"]!["transformer.wte.weight"] = "model-00003-of-00003.safetensors";
        File.WriteAllText(indexPath, index.ToJsonString());
        var e = Assert.Throws<CheckpointException>(() => HfCheckpoint.Load(_folder.Path, CPU));
        Assert.Equal((CheckpointErrorIds.InvalidIndex, "transformer.wte.weight"), (e.ErrorId, e.Target));
        Assert.Contains(indexPath, e.Message);
    }

    [Fact]
    public void MissingTensor()
    {
        using var model = Seeded("llama-tiny");
        WriteCheckpoint(model.Config, model.CheckpointTensors().Where(t => t.Name != "model.layers.1.mlp.up_proj.weight"));
        var e = Assert.Throws<CheckpointException>(() => HfCheckpoint.Load(_folder.Path, CPU));
        Assert.Equal((CheckpointErrorIds.MissingTensor, IclErrorKind.InvalidData, "model.layers.1.mlp.up_proj.weight"), (e.ErrorId, e.Kind, e.Target));
        Assert.Contains(_folder.Path, e.Message);
        Assert.Contains("'model.layers.1.mlp.up_proj.weight'", e.Message);
    }

    [Fact]
    public void UnexpectedTensor()
    {
        using var model = Seeded("llama-tiny");
        using var extra = ones(3);
        WriteCheckpoint(model.Config, model.CheckpointTensors().Append(("model.layers.0.self_attn.q_proj.bias", extra)));
        var e = Assert.Throws<CheckpointException>(() => HfCheckpoint.Load(_folder.Path, CPU));
        Assert.Equal((CheckpointErrorIds.UnexpectedTensor, "model.layers.0.self_attn.q_proj.bias"), (e.ErrorId, e.Target));
        Assert.Equal(_folder.File("model.safetensors"), e.Path);
        Assert.Contains("model.safetensors", e.Message);
    }

    [Fact]
    public void ShapeMismatchNamesExpectedAndFound()
    {
        using var model = Seeded("gpt2-tiny");
        HfCheckpoint.Save(model, _folder.Path);
        File.WriteAllText(_folder.File("config.json"), (model.Config with { VocabSize = 500 }).ToHfJson());
        var e = Assert.Throws<CheckpointException>(() => HfCheckpoint.Load(_folder.Path, CPU));
        Assert.Equal((CheckpointErrorIds.ShapeMismatch, "transformer.wte.weight"), (e.ErrorId, e.Target));
        Assert.Contains("expected shape [500, 64]", e.Message);
        Assert.Contains("found [512, 64]", e.Message);
        Assert.Contains(_folder.File("model.safetensors"), e.Message);
    }

    [Fact]
    public void IntegerTensorForAParameter()
    {
        using var model = Seeded("gpt2-tiny");
        using var scope = NewDisposeScope();
        WriteCheckpoint(model.Config, model.CheckpointTensors()
            .Select(t => t.Name == "transformer.ln_f.bias" ? (t.Name, t.Tensor.to(ScalarType.Int64)) : t));
        var e = Assert.Throws<CheckpointException>(() => HfCheckpoint.Load(_folder.Path, CPU));
        Assert.Equal((CheckpointErrorIds.DTypeMismatch, "transformer.ln_f.bias"), (e.ErrorId, e.Target));
        Assert.Contains("I64", e.Message);
    }

    [Fact]
    public void SameParameterWithAndWithoutPrefix()
    {
        using var model = Seeded("gpt2-tiny");
        var ln = model.CheckpointTensors().Single(t => t.Name == "transformer.ln_f.weight").Tensor;
        WriteCheckpoint(model.Config, model.CheckpointTensors().Append(("ln_f.weight", ln)));
        var e = Assert.Throws<CheckpointException>(() => HfCheckpoint.Load(_folder.Path, CPU));
        Assert.Equal(CheckpointErrorIds.DuplicateParameter, e.ErrorId);
        Assert.Contains("'transformer.ln_f.weight'", e.Message);
        Assert.Contains("'ln_f.weight'", e.Message);
    }

    [Fact]
    public void CorruptWeightFileIsReportedWithItsName()
    {
        using var model = Seeded("gpt2-tiny");
        HfCheckpoint.Save(model, _folder.Path);
        var path = _folder.File("model.safetensors");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^100]);
        var e = Assert.Throws<CheckpointException>(() => HfCheckpoint.Load(_folder.Path, CPU));
        Assert.Equal(CheckpointErrorIds.Truncated, e.ErrorId);
        Assert.Equal(path, e.Path);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FailedOrCancelledSaveLeavesPreviousCheckpointIntact(bool cancel)
    {
        using var previous = Seeded("gpt2-tiny", seed: 1);
        HfCheckpoint.Save(previous, _folder.Path, maxShardBytes: 200_000);
        File.WriteAllText(_folder.File("tokenizer.json"), "{}");
        var before = Snapshot();

        using var next = TransformerModel.Create(ModelConfig.Presets["gpt2-tiny"] with { Layers = 3 }, CPU, ScalarType.Float32, seed: 2);
        using var cts = new CancellationTokenSource();
        var reports = 0;
        // The second report comes after the first shard is completely written under its temporary name.
        var progress = new SynchronousProgress(_ =>
        {
            if (++reports < 2) return;
            if (cancel) cts.Cancel();
            else throw new IOException("disk full");
        });
        if (cancel)
            Assert.ThrowsAny<OperationCanceledException>(() => HfCheckpoint.Save(next, _folder.Path, 100_000, progress, cts.Token));
        else
            Assert.Throws<IOException>(() => HfCheckpoint.Save(next, _folder.Path, 100_000, progress, cts.Token));

        Assert.Equal(2, reports);
        Assert.Equal(before, Snapshot());
        using var loaded = HfCheckpoint.Load(_folder.Path, CPU);
        AssertSameParameters(previous, loaded);
    }

    [Fact]
    public void SaveRefusesToReplaceAFolder()
    {
        Directory.CreateDirectory(_folder.File("model.safetensors"));
        using var model = Seeded("gpt2-tiny");
        var e = Assert.Throws<CheckpointException>(() => HfCheckpoint.Save(model, _folder.Path));
        Assert.Equal((CheckpointErrorIds.TargetIsDirectory, IclErrorKind.WriteError), (e.ErrorId, e.Kind));
        Assert.False(File.Exists(_folder.File("config.json")));
    }

    private void WriteCheckpoint(ModelConfig config, IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        File.WriteAllText(_folder.File("config.json"), config.ToHfJson());
        SafetensorsWriter.Write(_folder.File("model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>Every file in the folder (temporary ones included) with a hash of its bytes.</summary>
    private SortedDictionary<string, string> Snapshot() =>
        new(Directory.GetFiles(_folder.Path).ToDictionary(f => Path.GetFileName(f)!, f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))), StringComparer.Ordinal);

    private static void AssertSameParameters(TransformerModel expected, TransformerModel actual)
    {
        var a = expected.CheckpointTensors();
        var b = actual.CheckpointTensors();
        Assert.Equal(a.Select(t => t.Name), b.Select(t => t.Name));
        for (var i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Tensor.shape, b[i].Tensor.shape);
            Assert.True(a[i].Tensor.bytes.SequenceEqual(b[i].Tensor.bytes), $"{a[i].Name} differs");
        }
    }

    private static void AssertSameLogits(TransformerModel expected, TransformerModel actual)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = randint(0, expected.Config.VocabSize, [2, 12], dtype: ScalarType.Int64, generator: new Generator(7));
        var want = expected.Forward(ids);
        var got = actual.Forward(ids);
        Assert.Equal(new long[] { 2, 12, expected.Config.VocabSize }, got.shape);
        Assert.True(want.contiguous().bytes.SequenceEqual(got.contiguous().bytes));
    }

    private sealed class SynchronousProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
