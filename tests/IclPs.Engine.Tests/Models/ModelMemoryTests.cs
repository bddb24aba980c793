using System.Diagnostics;
using System.Text.Json.Nodes;
using IclPs.Engine.Checkpoints;
using IclPs.Engine.Models;
using IclPs.Engine.Native;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Models;

/// <summary>
/// Sizes are checked before allocation: the estimate is the exact parameter count of the model the config builds, and a
/// config (or checkpoint) that cannot fit is refused, naming the field, without asking libtorch for the memory.
/// </summary>
public sealed class ModelMemoryTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public ModelMemoryTests() => TorchNativeLoader.EnsureLoaded();

    public void Dispose() => _folder.Dispose();

    public static TheoryData<string> BuildableConfigs()
    {
        var data = new TheoryData<string>();
        foreach (var name in TestModels.Configs.Keys) data.Add("test:" + name);
        foreach (var name in ModelConfig.Presets.Keys.Where(n => n != "gpt2-small")) data.Add("preset:" + name);
        foreach (var name in ModelConfig.RegressionPresets.Keys) data.Add("regression:" + name);
        data.Add("gpt2-untied");
        data.Add("llama-tied-gqa");
        return data;
    }

    private static ModelConfig Config(string which) => which.Split(':') switch
    {
        ["test", var n] => TestModels.Configs[n],
        ["preset", var n] => ModelConfig.Presets[n],
        ["regression", var n] => ModelConfig.RegressionPresets[n],
        ["gpt2-untied"] => ModelConfig.Presets["gpt2-tiny"] with { TieEmbeddings = false, MlpHidden = 100 },
        _ => ModelConfig.Presets["llama-tiny"] with { TieEmbeddings = true, Heads = 8, KvHeads = 2 },
    };

    [Theory]
    [MemberData(nameof(BuildableConfigs))]
    public void Parameter_count_and_shapes_from_the_config_alone_equal_the_built_model(string which)
    {
        var config = Config(which);
        using var model = TransformerModel.Create(config, CPU);
        var built = model.CheckpointTensors();
        var actual = built.Sum(t => t.Tensor.numel());

        Assert.Equal((Int128)actual, ModelMemory.ParameterCount(config));
        Assert.Equal(actual, config.ParameterCount);
        Assert.Equal((Int128)actual * 4, ModelMemory.EstimateBytes(config, ScalarType.Float32));
        Assert.Equal((Int128)actual * 2, ModelMemory.EstimateBytes(config, ScalarType.BFloat16));
        var expected = ModelMemory.ParameterShapes(config).ToDictionary(p => p.Name, p => string.Join(",", p.Shape));
        Assert.Equal(expected.OrderBy(p => p.Key), built.ToDictionary(p => p.Name, p => string.Join(",", p.Tensor.shape)).OrderBy(p => p.Key));
    }

    [Fact]
    public void Gpt2_small_and_a_tinyllama_shape_count_their_published_parameters_without_building()
    {
        Assert.Equal(124_439_808, (long)ModelMemory.ParameterCount(ModelConfig.Presets["gpt2-small"]));
        var tinyLlama = new ModelConfig
        {
            Family = ModelFamily.Llama, VocabSize = 32000, ContextLength = 2048, DModel = 2048, Layers = 22, Heads = 32, KvHeads = 4,
            MlpHidden = 5632, TieEmbeddings = false,
        };
        Assert.Equal(1_100_048_384, (long)ModelMemory.ParameterCount(tinyLlama));
        Assert.Equal(ModelMemory.ParameterShapes(tinyLlama).Sum(p => p.Shape.Aggregate(1L, (a, b) => a * b)), (long)ModelMemory.ParameterCount(tinyLlama));
    }

    [Fact]
    public void Counts_do_not_overflow_for_absurd_sizes()
    {
        var huge = ModelConfig.Presets["gpt2-tiny"] with { DModel = 1_000_000_000, Heads = 1, KvHeads = 1, MlpHidden = 256, Layers = 100_000 };
        // 100000 blocks of about 4 n_embd^2 each: far beyond a long, counted exactly all the same.
        Assert.True(ModelMemory.ParameterCount(huge) > (Int128)long.MaxValue);
        Assert.Equal(long.MaxValue, huge.ParameterCount);
    }

    public static TheoryData<string, string, string> TooLarge() => new()
    {
        // description, config JSON, the field the refusal must name
        { "100000 GPT-2 layers", """{"model_type":"gpt2","vocab_size":512,"n_positions":256,"n_embd":64,"n_layer":100000,"n_head":4}""", "n_layer" },
        { "n_embd 1e9 with n_inner", """{"model_type":"gpt2","vocab_size":512,"n_positions":64,"n_embd":1000000000,"n_layer":2,"n_head":4,"n_inner":256}""", "n_embd" },
        { "a huge vocabulary", """{"model_type":"gpt2","vocab_size":2000000000,"n_positions":64,"n_embd":64,"n_layer":2,"n_head":4}""", "vocab_size" },
        { "a huge GPT-2 MLP", """{"model_type":"gpt2","vocab_size":512,"n_positions":64,"n_embd":64,"n_layer":2,"n_head":4,"n_inner":2000000000}""", "n_inner" },
        { "100000 LLaMA layers", """{"model_type":"llama","vocab_size":512,"max_position_embeddings":256,"hidden_size":64,"num_hidden_layers":100000,"num_attention_heads":4,"num_key_value_heads":2,"intermediate_size":176}""", "num_hidden_layers" },
        { "a huge LLaMA width", """{"model_type":"llama","vocab_size":512,"max_position_embeddings":256,"hidden_size":1000000000,"num_hidden_layers":2,"num_attention_heads":4,"intermediate_size":176}""", "hidden_size" },
        { "a huge SwiGLU", """{"model_type":"llama","vocab_size":512,"max_position_embeddings":256,"hidden_size":64,"num_hidden_layers":2,"num_attention_heads":4,"intermediate_size":2000000000}""", "intermediate_size" },
        { "a huge regression read-in", """{"model_type":"iclps-regression","n_dims_in":2000000000,"n_positions":64,"n_embd":32,"n_layer":2,"n_head":2}""", "n_dims_in" },
        { "a huge regression context", """{"model_type":"iclps-regression","n_dims_in":5,"n_positions":2000000000,"n_embd":32,"n_layer":2,"n_head":2}""", "n_positions" },
    };

    [Theory]
    [MemberData(nameof(TooLarge))]
    public void A_config_that_cannot_fit_is_refused_before_allocation_naming_the_field(string description, string json, string field)
    {
        var config = ModelConfig.Parse(json, description);
        using var limit = ModelMemory.OverrideLimit(1L << 30);
        var clock = Stopwatch.StartNew();
        var refused = Assert.Throws<ModelConfigException>(() => TransformerModel.Create(config, CPU));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"refusing took {clock.Elapsed}");
        Assert.Equal((ModelMemory.ModelTooLargeErrorId, IclErrorKind.LimitsExceeded, field), (refused.ErrorId, refused.Kind, refused.Field));
        Assert.Contains($"{field} = ", refused.Message);
        Assert.Contains(ModelMemory.FormatBytes(ModelMemory.EstimateBytes(config)), refused.Message);
        Assert.Contains(ModelMemory.LimitVariable, refused.Message);
    }

    [Fact]
    public void The_limit_counts_the_dtype_and_the_machine_memory_applies_without_an_override()
    {
        var config = ModelConfig.Presets["gpt2-tiny"];
        var bytes = (long)ModelMemory.EstimateBytes(config, ScalarType.Float32);
        using (ModelMemory.OverrideLimit(bytes))
        {
            ModelMemory.EnsureFits(config, ScalarType.Float32, CPU);
            Assert.Throws<ModelConfigException>(() => ModelMemory.EnsureFits(config, ScalarType.Float64, CPU));
            // Training adds gradients and two moments.
            Assert.Throws<ModelConfigException>(() => ModelMemory.EnsureFits(config, ScalarType.Float32, CPU, copies: 3));
            ModelMemory.EnsureFits(config, ScalarType.BFloat16, CPU, copies: 2);
        }
        var machine = ModelMemory.Available(CPU);
        Assert.True(machine.Bytes is > 0, machine.Source);
        var layers = ModelConfig.Presets["gpt2-tiny"] with { Layers = 10_000_000 };
        var refused = Assert.Throws<ModelConfigException>(() => TransformerModel.Create(layers, CPU));
        Assert.Equal("n_layer", refused.Field);
    }

    [Theory]
    [InlineData("1234", 1234L)]
    [InlineData("2GB", 2L << 30)]
    [InlineData("1.5 kb", 1536L)]
    [InlineData("512MB", 512L << 20)]
    [InlineData("0", null)]
    [InlineData("-5", null)]
    [InlineData("lots", null)]
    [InlineData("1e9", null)]
    public void The_limit_variable_takes_bytes_with_optional_units(string text, long? bytes)
    {
        Assert.Equal(bytes, ModelMemory.ParseBytes(text));
    }

    [Fact]
    public void A_default_mlp_width_past_the_int_range_is_refused_naming_n_embd()
    {
        var refused = Assert.Throws<ModelConfigException>(() => ModelConfig.Parse(
            """{"model_type":"gpt2","vocab_size":512,"n_positions":64,"n_embd":1000000000,"n_layer":2,"n_head":4}""", "cfg"));
        Assert.Equal((ModelMemory.ModelTooLargeErrorId, "n_embd"), (refused.ErrorId, refused.Field));
    }

    [Fact]
    public void A_checkpoint_whose_config_cannot_fit_is_refused_before_its_weights_are_opened()
    {
        using (var model = TransformerModel.Create(ModelConfig.Presets["gpt2-tiny"], CPU, seed: 1)) HfCheckpoint.Save(model, _folder.Path);
        var config = JsonNode.Parse(File.ReadAllText(_folder.File("config.json")))!.AsObject();
        config["n_layer"] = 100_000;
        File.WriteAllText(_folder.File("config.json"), config.ToJsonString());
        using var limit = ModelMemory.OverrideLimit(1L << 30);
        var refused = Assert.Throws<ModelConfigException>(() => HfCheckpoint.Load(_folder.Path, CPU));
        Assert.Equal((ModelMemory.ModelTooLargeErrorId, "n_layer"), (refused.ErrorId, refused.Field));
        Assert.Contains("config.json", refused.Message);
    }

    [Fact]
    public void Stored_shapes_that_disagree_with_the_config_are_refused_before_allocating_for_the_config()
    {
        using (var model = TransformerModel.Create(ModelConfig.Presets["gpt2-tiny"], CPU, seed: 1)) HfCheckpoint.Save(model, _folder.Path);
        var config = JsonNode.Parse(File.ReadAllText(_folder.File("config.json")))!.AsObject();
        // About 35 trillion parameters: were the model allocated before the shapes are compared, libtorch would fail first.
        config["vocab_size"] = int.MaxValue;
        config["n_embd"] = 16384;
        config["n_head"] = 1;
        config["n_inner"] = 1;
        File.WriteAllText(_folder.File("config.json"), config.ToJsonString());
        using var limit = ModelMemory.OverrideLimit(long.MaxValue);
        var refused = Assert.Throws<CheckpointException>(() => HfCheckpoint.Load(_folder.Path, CPU));
        Assert.Equal((CheckpointErrorIds.ShapeMismatch, "transformer.wte.weight"), (refused.ErrorId, refused.TensorName));
        Assert.Contains("[2147483647, 16384]", refused.Message);
    }
}
