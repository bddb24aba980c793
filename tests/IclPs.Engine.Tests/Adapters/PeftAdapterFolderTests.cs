using System.Text.Json.Nodes;
using IclPs.Engine.Adapters;
using IclPs.Engine.Models;
using IclPs.Engine.Tests.Checkpoints;
using IclPs.Engine.Tests.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Adapters;

public class PeftAdapterFolderTests
{
    /// <summary>An adapter_config.json as PEFT writes one, with the given targets and fan_in_fan_out.</summary>
    private static string Config(int r, double alpha, string targets, bool fanInFanOut, string extra = "") =>
        $$"""
        {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": {{r}}, "lora_alpha": {{alpha}}, "target_modules": {{targets}},
         "fan_in_fan_out": {{(fanInFanOut ? "true" : "false")}}, "lora_dropout": 0.05, "bias": "none", "use_rslora": false,
         "base_model_name_or_path": "gpt2", "modules_to_save": null, "rank_pattern": {}, "alpha_pattern": {}{{extra}}}
        """;

    private static float[] Values(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
    }

    private static void WriteAdapter(string folder, string config, IEnumerable<(string Name, long[] Shape, float[] Values)> tensors)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"), config);
        File.WriteAllBytes(Path.Combine(folder, "adapter_model.safetensors"),
            RawSafetensors.Assemble(tensors.Select(t => (t.Name, "F32", t.Shape, RawSafetensors.F32(t.Values))), "{\"format\":\"pt\"}"));
    }

    private static double[] Weight(TransformerModel model, string name) =>
        Numerics.ToDoubles(model.CheckpointTensors().Single(p => p.Name == name).Tensor);

    [Fact]
    public void AHandWrittenGpt2AdapterOnTheFusedCAttnMergesAsTheTransposedDelta()
    {
        // PEFT stores Conv1D pairs like Linear ones, A [r, in] and B [out, r]; fan_in_fan_out only transposes the merged
        // delta, which lands on the [in, out] Conv1D weight: W'[i, j] = W[i, j] + (alpha / r) sum_k B[j, k] A[k, i].
        using var model = TestModels.Create("gpt2-tiny");
        var (d, r, alpha) = ((int)model.Config.DModel, 2, 3.0);
        var a = Values(r * d, 1);
        var b = Values(3 * d * r, 2);
        using var folder = new TempFolder();
        WriteAdapter(folder.Path, Config(r, alpha, "[\"c_attn\"]", fanInFanOut: true),
        [
            ("base_model.model.transformer.h.1.attn.c_attn.lora_A.weight", [r, d], a),
            ("base_model.model.transformer.h.1.attn.c_attn.lora_B.weight", [3 * d, r], b),
        ]);
        const string name = "transformer.h.1.attn.c_attn.weight";
        var before = Weight(model, name);
        var adapter = PeftAdapterFolder.Read(folder.Path, model);
        Assert.Equal(0.05, adapter.Settings.Dropout);
        Assert.Equal("transformer.h.1.attn.c_attn", Assert.Single(adapter.Layers).ModulePath);
        adapter.AttachTo(model);
        using var separate = LogitsOf(model);
        LoraAdapter.Merge(model);
        var after = Weight(model, name);
        var scaling = alpha / r;
        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j < 3 * d; j++)
            {
                double delta = 0;
                for (var k = 0; k < r; k++) delta += (double)b[j * r + k] * a[k * d + i];
                Assert.True(Math.Abs(after[i * 3 * d + j] - (before[i * 3 * d + j] + scaling * delta)) < 1e-6, $"W[{i}, {j}]");
            }
        }
        // Layer 0 is untouched.
        Assert.Equal(Weight(TestModels.Create("gpt2-tiny"), "transformer.h.0.attn.c_attn.weight"), Weight(model, "transformer.h.0.attn.c_attn.weight"));
        using var merged = LogitsOf(model);
        Numerics.AssertClose(Numerics.ToDoubles(separate), Numerics.ToDoubles(merged), 1e-5, "float32 logits, separate vs merged");
    }

    [Fact]
    public void AHandWrittenLlamaAdapterOnQProjAddsTheDeltaToTheProjection()
    {
        using var model = TestModels.Create("llama-tiny");
        var (d, r, alpha) = ((int)model.Config.DModel, 3, 6.0);
        var a = Values(r * d, 3);
        var b = Values(d * r, 4);
        using var folder = new TempFolder();
        WriteAdapter(folder.Path, Config(r, alpha, "[\"q_proj\", \"v_proj\"]", fanInFanOut: false),
        [
            ("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", [r, d], a),
            ("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight", [d, r], b),
        ]);
        const string name = "model.layers.0.self_attn.q_proj.weight";
        var before = Weight(model, name);
        PeftAdapterFolder.Read(folder.Path, model).AttachTo(model);
        LoraAdapter.Merge(model);
        var after = Weight(model, name);
        for (var o = 0; o < d; o++)
        {
            for (var i = 0; i < d; i++)
            {
                double delta = 0;
                for (var k = 0; k < r; k++) delta += (double)b[o * r + k] * a[k * d + i];
                Assert.True(Math.Abs(after[o * d + i] - (before[o * d + i] + alpha / r * delta)) < 1e-6, $"W[{o}, {i}]");
            }
        }
    }

    private static Tensor LogitsOf(TransformerModel model)
    {
        using var ids = TestModels.Ids(TestModels.Prompt(model.Config, 7, 1));
        using var _ = no_grad();
        return model.Forward(ids);
    }

    [Theory]
    [InlineData("gpt2-tiny", "c_attn", true)]
    [InlineData("llama-tiny", "q_proj", false)]
    public void AWrittenAdapterReadsBackWithPeftsKeysAndConfig(string preset, string target, bool fanInFanOut)
    {
        using var model = TestModels.Create(preset);
        var settings = new LoraSettings { Rank = 4, Alpha = 8, TargetModules = [target, "up_proj", "c_fc"], BaseModel = "base-folder" };
        using var adapter = LoraAdapter.Create(model, settings, 9);
        using (no_grad()) foreach (var l in adapter.Layers) l.B.normal_(0, 1);
        using var folder = new TempFolder();
        PeftAdapterFolder.Write(adapter, model, folder.Path);
        Assert.Equal(["adapter_config.json", "adapter_model.safetensors"], Directory.GetFiles(folder.Path).Select(Path.GetFileName).Order());
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder.Path, "adapter_config.json")))!;
        Assert.Equal("LORA", (string?)json["peft_type"]);
        Assert.Equal(4, (int)json["r"]!);
        Assert.Equal(8.0, (double)json["lora_alpha"]!);
        Assert.Equal(fanInFanOut, (bool)json["fan_in_fan_out"]!);
        Assert.Equal("none", (string?)json["bias"]);
        Assert.Equal("CAUSAL_LM", (string?)json["task_type"]);
        Assert.Equal("base-folder", (string?)json["base_model_name_or_path"]);
        using (var reader = IclPs.Engine.Checkpoints.SafetensorsReader.Open(Path.Combine(folder.Path, "adapter_model.safetensors")))
        {
            var prefix = preset.StartsWith("gpt2", StringComparison.Ordinal) ? $"base_model.model.transformer.h.0.attn.{target}" : $"base_model.model.model.layers.0.self_attn.{target}";
            Assert.Contains(reader.Entries, e => e.Name == prefix + ".lora_A.weight");
            Assert.Contains(reader.Entries, e => e.Name == prefix + ".lora_B.weight");
            Assert.Equal(4 * model.Config.Layers, reader.Entries.Count);
        }
        using var back = PeftAdapterFolder.Read(folder.Path, model);
        Assert.Equal(adapter.Layers.Select(l => l.ModulePath), back.Layers.Select(l => l.ModulePath));
        for (var i = 0; i < adapter.Layers.Count; i++)
        {
            Assert.True(adapter.Layers[i].A.eq(back.Layers[i].A).all().item<bool>());
            Assert.True(adapter.Layers[i].B.eq(back.Layers[i].B).all().item<bool>());
        }
    }

    public static TheoryData<string, string, string> BadAdapters => new()
    {
        // An adapter name left in the key, as a raw state_dict has it.
        { "[\"q_proj\"]", "base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight|[2, 64]", LoraErrorIds.UnexpectedAdapterTensor },
        { "[\"q_proj\"]", "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight|[2, 64]", LoraErrorIds.MissingAdapterTensor },
        { "[\"q_proj\"]", "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight|[3, 64];base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight|[64, 3]", LoraErrorIds.AdapterShapeMismatch },
        { "[\"q_proj\"]", "base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight|[2, 64];base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight|[32, 2]", LoraErrorIds.AdapterModuleNotTargeted },
        { "[\"q_proj\"]", "base_model.model.model.layers.9.self_attn.q_proj.lora_A.weight|[2, 64];base_model.model.model.layers.9.self_attn.q_proj.lora_B.weight|[64, 2]", LoraErrorIds.AdapterModuleNotFound },
        { "[\"norm\"]", "base_model.model.model.norm.lora_A.weight|[2, 64];base_model.model.model.norm.lora_B.weight|[64, 2]", LoraErrorIds.AdapterModuleNotFound },
    };

    [Theory]
    [MemberData(nameof(BadAdapters))]
    public void BadTensorsAreRefusedByName(string targets, string tensors, string errorId)
    {
        using var model = TestModels.Create("llama-tiny");
        Assert.Equal((64, 32), (model.Config.DModel, model.Config.KvHeads * model.Config.DHead));
        using var folder = new TempFolder();
        WriteAdapter(folder.Path, Config(2, 4, targets, false), tensors.Split(';').Select(t =>
        {
            var parts = t.Split('|');
            var shape = parts[1].Trim('[', ']').Split(',').Select(long.Parse).ToArray();
            return (parts[0], shape, Values((int)shape.Aggregate(1L, (x, y) => x * y), 5));
        }));
        var e = Assert.Throws<IclPsException>(() => PeftAdapterFolder.Read(folder.Path, model));
        Assert.Equal(errorId, e.ErrorId);
    }

    [Theory]
    [InlineData(", \"bias\": \"all\"", LoraErrorIds.UnsupportedAdapter)]
    [InlineData(", \"use_dora\": true", LoraErrorIds.UnsupportedAdapter)]
    [InlineData(", \"layers_to_transform\": [0]", LoraErrorIds.UnsupportedAdapter)]
    [InlineData(", \"init_lora_weights\": \"pissa\"", LoraErrorIds.UnsupportedAdapter)]
    [InlineData(", \"init_lora_weights\": \"olora\"", LoraErrorIds.UnsupportedAdapter)]
    [InlineData(", \"init_lora_weights\": \"loftq\"", LoraErrorIds.UnsupportedAdapter)]
    [InlineData(", \"alora_invocation_tokens\": [5, 6]", LoraErrorIds.UnsupportedAdapter)]
    [InlineData(", \"r\": \"two\"", LoraErrorIds.InvalidAdapterConfig)]
    public void UnsupportedOrBadConfigsAreRefused(string extra, string errorId)
    {
        using var model = TestModels.Create("llama-tiny");
        using var folder = new TempFolder();
        // The extra fields replace the config's own.
        var config = JsonNode.Parse(Config(2, 4, "[\"q_proj\"]", false))!.AsObject();
        foreach (var (key, value) in JsonNode.Parse("{" + extra.TrimStart(',') + "}")!.AsObject().ToList()) config[key] = value?.DeepClone();
        WriteAdapter(folder.Path, config.ToJsonString(),
        [
            ("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", [2, 64], Values(128, 1)),
            ("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight", [64, 2], Values(128, 2)),
        ]);
        var e = Assert.Throws<IclPsException>(() => PeftAdapterFolder.Read(folder.Path, model));
        Assert.Equal(errorId, e.ErrorId);
    }

    [Theory]
    [InlineData("true")]
    [InlineData("false")]
    [InlineData("\"gaussian\"")]
    [InlineData("\"orthogonal\"")]
    public void InitialisationsThatLeaveTheBaseAloneAreRead(string init)
    {
        using var model = TestModels.Create("llama-tiny");
        using var folder = new TempFolder();
        var config = JsonNode.Parse(Config(2, 4, "[\"q_proj\"]", false))!.AsObject();
        config["init_lora_weights"] = JsonNode.Parse(init);
        WriteAdapter(folder.Path, config.ToJsonString(),
        [
            ("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", [2, 64], Values(128, 1)),
            ("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight", [64, 2], Values(128, 2)),
        ]);
        using var adapter = PeftAdapterFolder.Read(folder.Path, model);
        Assert.Equal(2, adapter.Settings.Rank);
    }

    [Fact]
    public void AFolderWithoutTheConfigOrWeightsIsNamed()
    {
        using var model = TestModels.Create("llama-tiny");
        using var folder = new TempFolder();
        Assert.Equal(LoraErrorIds.AdapterNotFound, Assert.Throws<IclPsException>(() => PeftAdapterFolder.Read(Path.Combine(folder.Path, "none"), model)).ErrorId);
        Assert.Equal(LoraErrorIds.AdapterConfigNotFound, Assert.Throws<IclPsException>(() => PeftAdapterFolder.Read(folder.Path, model)).ErrorId);
        File.WriteAllText(folder.File("adapter_config.json"), Config(2, 4, "[\"q_proj\"]", false));
        Assert.Equal(LoraErrorIds.AdapterWeightsNotFound, Assert.Throws<IclPsException>(() => PeftAdapterFolder.Read(folder.Path, model)).ErrorId);
    }
}
