using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.TaskVectors;
using IclPs.Engine.Tests.Models;
using IclPs.Engine.Tests.Reference;
using static IclPs.Engine.Tests.TaskVectors.TaskVectorTestSetup;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.TaskVectors;

/// <summary>TaskVector.CreateHooks and LiveHeadInjection against plain computations and the float64 reference.</summary>
public sealed class InjectionTests
{
    public InjectionTests() => TorchNativeLoader.EnsureLoaded();

    [Theory]
    [InlineData("gpt2-tiny")]
    [InlineData("llama-tiny")]
    public void Adding_a_zero_vector_at_every_layer_leaves_logits_bit_identical(string name)
    {
        using var model = TestModels.Create(name);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var ids = TestModels.Ids(TestModels.Prompt(model.Config, 8, 4));
        var zero = Vector(model.Config, TaskVectorInjection.Add,
            Enumerable.Range(0, model.Config.Layers).Select(l => (l, new float[model.Config.DModel])).ToArray());
        using var hooks = zero.CreateHooks(model, -1);
        Assert.Equal(Numerics.ToDoubles(model.Forward(ids)), Numerics.ToDoubles(model.Forward(ids, hooks: hooks)));
    }

    [Theory]
    [InlineData("gpt2-tiny", 0)]
    [InlineData("llama-tiny", 0)]
    [InlineData("llama-tiny", 1)]
    public void Replacing_a_layers_last_hidden_state_matches_finishing_the_pass_by_hand_in_float64(string name, int layer)
    {
        using var model = TestModels.Create(name);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var tokens = TestModels.Prompt(model.Config, 7, 9);
        var rng = new Random(2);
        var values = Enumerable.Range(0, model.Config.DModel).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        using var hooks = Vector(model.Config, TaskVectorInjection.Replace, (layer, values)).CreateHooks(model, tokens.Length - 1);
        var logits = model.Forward(TestModels.Ids(tokens), hooks: hooks, lastPositionOnly: true);

        // Reference: the clean resid_post of that layer, its last row replaced, through the remaining blocks.
        var reference = ReferenceTransformer.For(model);
        var residual = reference.Run(tokens).Rows(HookNames.ResidPost(layer));
        residual[^1] = values.Select(v => (double)v).ToArray();
        var expected = reference.LogitsFrom(layer + 1, residual)[^1];
        Numerics.AssertClose(expected, Numerics.ToDoubles(logits), 1e-4, $"replace at layer {layer}");
    }

    [Fact]
    public void Injecting_into_a_model_of_another_shape_names_the_field()
    {
        using var small = TestModels.Create("gpt2-tiny");
        using var other = TransformerModel.Create(ModelConfig.Presets["gpt2-tiny"] with { Layers = 3 }, CPU, ScalarType.Float32, seed: 1);
        var vector = Vector(small.Config, TaskVectorInjection.Add, (0, new float[small.Config.DModel]));
        var e = Assert.Throws<IclPsException>(() => vector.CreateHooks(other, -1));
        Assert.Equal(TaskVectorErrorIds.ShapeMismatch, e.ErrorId);
        Assert.Contains("layers = 2", e.Message);
        Assert.Contains("layers = 3", e.Message);
    }

    /// <summary>
    /// theta_h = -1 subtracts the head's own output z_h W_O[h] at the block output. (It does not equal zeroing z_h: that also
    /// changes what the block's MLP sees.) Reference: the clean pass's z at that column, projected by hand and added.
    /// </summary>
    [Theory]
    [InlineData("gpt2-tiny")]
    [InlineData("llama-tiny")]
    public void Live_injection_with_weight_minus_one_subtracts_that_heads_output_at_the_block_output(string name)
    {
        using var model = TestModels.Create(name);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var batch = TestModels.LeftPadded([TestModels.Prompt(model.Config, 8, 1), TestModels.Prompt(model.Config, 5, 2)], padId: 0);
        var column = (int)batch.Ids.shape[1] - 1;
        var (layer, head) = (0, 2);
        using var clean = new HookSet().Capture(HookNames.Z(layer));
        model.Forward(batch.Ids, batch.Mask, clean);
        var z = clean.Captured[HookNames.Z(layer)].select(1, head);                                  // [b, d_head]
        var output = z.matmul(model.HeadOutputWeights(layer)[head]);                                 // [b, d_model]
        using var manual = new HookSet().AddVectorAt(HookNames.ResidPost(layer), -output, column);
        var expected = model.Forward(batch.Ids, batch.Mask, manual);

        using var live = new HookSet();
        var theta = zeros(model.Config.Heads);
        theta[head] = tensor(-1f);
        LiveHeadInjection.Register(live, model, layer, theta, column);
        var actual = model.Forward(batch.Ids, batch.Mask, live);
        Numerics.AssertClose(Numerics.ToDoubles(expected), Numerics.ToDoubles(actual), 1e-5, "theta = -1 versus subtracting the head's output");
        Assert.True(Numerics.RelativeError(Numerics.ToDoubles(actual), Numerics.ToDoubles(model.Forward(batch.Ids, batch.Mask))) > 1e-3, "the injection changed nothing");
    }
}
