using System.Text.Json.Nodes;
using IclPs.Engine.Checkpoints;
using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.Tests.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Training;

/// <summary>The regression variant against a float64 reference (relative L2 error below 1e-4), its config and checkpoint round trips.</summary>
public sealed class RegressionModelTests : IDisposable
{
    private const double Tolerance = 1e-4;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "iclps-regression-tests", Guid.NewGuid().ToString("N"));

    public RegressionModelTests() => TorchNativeLoader.EnsureLoaded();

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    private static Tensor Tokens(ModelConfig config, int batch, int positions, long seed) =>
        randn([batch, positions, config.InputDim], generator: new Generator((ulong)seed));

    [Fact]
    public void Predictions_match_the_float64_reference()
    {
        using var model = RegressionModels.CreateRandom(RegressionModels.Tiny);
        using var _ = no_grad();
        using var tokens = Tokens(model.Config, 2, 11, seed: 1);
        using var predictions = model.Predict(tokens);
        Assert.Equal(new long[] { 2, 11 }, predictions.shape);
        var reference = new RegressionModels.Reference(model);
        for (var b = 0; b < 2; b++)
        {
            using var row = predictions[b];
            Numerics.AssertClose(reference.Predict(RegressionModels.Rows(tokens, b)), Numerics.ToDoubles(row), Tolerance, $"sequence {b}");
        }
    }

    [Fact]
    public void Hooks_capture_the_residual_stream_and_interventions_change_what_follows()
    {
        using var model = RegressionModels.CreateRandom(RegressionModels.Tiny);
        var reference = new RegressionModels.Reference(model);
        using var _ = no_grad();
        using var tokens = Tokens(model.Config, 1, 9, seed: 2);

        using var hooks = new HookSet().Capture(HookNames.Embed, PositionFilter.All).Capture(HookNames.ResidPost(0), PositionFilter.All);
        using var predictions = model.Predict(tokens, hooks: hooks);
        // hook_embed is the read-in alone; positions are added after it.
        using var readIn = tokens.matmul(model.CheckpointTensors().Single(t => t.Name == "read_in.weight").Tensor.t());
        Numerics.AssertClose(Numerics.ToDoubles(readIn), Numerics.ToDoubles(hooks.Captured[HookNames.Embed]), 1e-6, "hook_embed");
        var residual = RegressionModels.Rows(hooks.Captured[HookNames.ResidPost(0)], 0);
        Numerics.AssertClose(reference.PredictFrom(1, residual), Numerics.ToDoubles(predictions), Tolerance, "block 1 onwards from captured resid_post");

        var vector = new double[model.Config.DModel];
        for (var i = 0; i < vector.Length; i++) vector[i] = Math.Sin(i + 1);
        using var v = tensor(vector.Select(x => (float)x).ToArray());
        using var intervention = new HookSet().AddVector(HookNames.ResidPost(0), v, PositionFilter.Last);
        using var steered = model.Predict(tokens, hooks: intervention);
        residual[^1] = residual[^1].Select((x, i) => x + vector[i]).ToArray();
        Numerics.AssertClose(reference.PredictFrom(1, residual), Numerics.ToDoubles(steered), Tolerance, "after adding a vector at the last position");
    }

    [Fact]
    public void Left_padding_with_a_mask_gives_the_unpadded_predictions()
    {
        using var model = RegressionModels.CreateRandom(RegressionModels.Tiny);
        using var _ = no_grad();
        using var tokens = Tokens(model.Config, 1, 6, seed: 3);
        using var alone = model.Predict(tokens);
        using var padded = cat([full(1, 3, model.Config.InputDim, 7.0f), tokens], 1);
        using var mask = cat([zeros(1, 3, dtype: ScalarType.Int64), ones(1, 6, dtype: ScalarType.Int64)], 1);
        using var predictions = model.Predict(padded, mask);
        using var real = predictions[.., 3..];
        Numerics.AssertClose(Numerics.ToDoubles(alone), Numerics.ToDoubles(real), 1e-5, "real positions of the padded batch");
    }

    [Fact]
    public void Checkpoint_round_trip_keeps_names_config_and_predictions()
    {
        using var model = RegressionModels.CreateRandom(RegressionModels.Tiny, dtype: ScalarType.Float64);
        HfCheckpoint.Save(model, _folder);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(_folder, HfCheckpoint.ConfigFileName)))!;
        Assert.Equal("iclps-regression", json["model_type"]!.GetValue<string>());
        Assert.Equal(5, json["n_dims_in"]!.GetValue<int>());
        var names = model.CheckpointTensors().Select(t => t.Name).ToList();
        Assert.Equal("read_in.weight", names[0]);
        Assert.Equal(["read_out.weight", "read_out.bias"], names[^2..]);
        Assert.Contains("transformer.h.1.attn.c_attn.weight", names);
        Assert.DoesNotContain(names, n => n.Contains("wte", StringComparison.Ordinal));

        using var loaded = Assert.IsType<RegressionModel>(HfCheckpoint.Load(_folder, CPU, ScalarType.Float64));
        Assert.Equal(model.Config, loaded.Config);
        Assert.Equal(ScalarType.Float64, loaded.DType);
        using var _ = no_grad();
        using var tokens = Tokens(model.Config, 2, 7, seed: 4);
        using var before = model.Predict(tokens);
        using var after = loaded.Predict(tokens);
        Assert.Equal(Numerics.ToDoubles(before), Numerics.ToDoubles(after));
    }

    [Theory]
    [InlineData("regression-base", 8, 128, 2, 9)]
    [InlineData("regression-small", 4, 64, 2, 9)]
    [InlineData("regression-tiny", 2, 32, 2, 5)]
    public void Presets_round_trip_through_config_json(string name, int layers, int width, int heads, int inputDim)
    {
        var preset = ModelConfig.RegressionPresets[name];
        Assert.Equal((ModelFamily.Regression, layers, width, heads, inputDim, 4 * width), (preset.Family, preset.Layers, preset.DModel, preset.Heads, preset.InputDim, preset.MlpHidden));
        Assert.Equal(preset, ModelConfig.Parse(preset.ToHfJson()));
        using var model = TransformerModel.Create(preset, CPU, seed: 1);
        Assert.Equal(preset.ParameterCount, model.CheckpointTensors().Sum(t => t.Tensor.numel()));
    }

    [Fact]
    public void Config_without_input_width_names_the_field()
    {
        var json = JsonNode.Parse(ModelConfig.RegressionPresets["regression-tiny"].ToHfJson())!.AsObject();
        json.Remove("n_dims_in");
        var missing = Assert.Throws<ModelConfigException>(() => ModelConfig.Parse(json.ToJsonString(), "cfg"));
        Assert.Equal("n_dims_in", missing.Field);
        json["n_dims_in"] = 5;
        json["n_dims_out"] = 2;
        var wide = Assert.Throws<ModelConfigException>(() => ModelConfig.Parse(json.ToJsonString(), "cfg"));
        Assert.Equal("n_dims_out", wide.Field);
    }

    [Fact]
    public void Token_ids_and_misshapen_vectors_are_refused()
    {
        using var model = RegressionModels.CreateRandom(RegressionModels.Tiny);
        using var ids = zeros(1, 4, dtype: ScalarType.Int64);
        Assert.Equal("TokenInputNotSupported", Assert.Throws<IclPsException>(() => model.Forward(ids)).ErrorId);
        using var narrow = zeros(1, 4, 3);
        Assert.Equal("RegressionInputShape", Assert.Throws<IclPsException>(() => model.Predict(narrow)).ErrorId);
        using var tooLong = zeros(1, 17, 5);
        Assert.Equal("PromptTooLong", Assert.Throws<IclPsException>(() => model.Predict(tooLong)).ErrorId);
    }

    [Fact]
    public void Initialisation_uses_the_stated_scales()
    {
        var config = ModelConfig.RegressionPresets["regression-base"];
        using var model = TransformerModel.Create(config, CPU, seed: 3);
        var tensors = model.CheckpointTensors().ToDictionary(t => t.Name, t => t.Tensor);
        double Std(string name) => tensors[name].std().item<float>();
        Assert.InRange(Std("read_in.weight"), 0.018, 0.022);
        Assert.InRange(Std("transformer.h.0.mlp.c_proj.weight"), 0.9 * 0.02 / 4, 1.1 * 0.02 / 4);
        Assert.Equal(0f, tensors["read_out.bias"].abs().max().item<float>());
    }
}
