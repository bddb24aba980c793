using IclPs.Engine.Adapters;
using IclPs.Engine.Models;
using IclPs.Engine.Tests.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Adapters;

public class LoraAdapterTests
{
    private static LoraSettings AllLinear(int rank = 3, double alpha = 5) => new() { Rank = rank, Alpha = alpha, TargetPattern = LoraSettings.AllLinear };

    private static Tensor Logits(TransformerModel model, int seed = 4)
    {
        using var ids = TestModels.Ids(TestModels.Prompt(model.Config, 9, seed));
        using var _ = no_grad();
        return model.Forward(ids);
    }

    /// <summary>B ~ N(0, 0.3): a pair that changes the outputs, so merged and separate forwards are compared on real deltas.</summary>
    private static void RandomiseB(LoraAdapter adapter, long seed)
    {
        using var _ = no_grad();
        using var gen = new Generator((ulong)seed, CPU);
        foreach (var layer in adapter.Layers) layer.B.copy_(randn(layer.B.shape, dtype: ScalarType.Float64, generator: gen).mul_(0.3));
    }

    [Theory]
    [MemberData(nameof(TestModels.Names), MemberType = typeof(TestModels))]
    public void AnAdapterWithBZeroLeavesTheLogitsBitIdentical(string name)
    {
        using var model = TestModels.Create(name);
        using var before = Logits(model);
        LoraAdapter.Create(model, AllLinear(), seed: 1).AttachTo(model);
        using var after = Logits(model);
        Assert.True(after.eq(before).all().item<bool>(), "logits changed with B = 0");
        Assert.All(model.Adapter!.Layers, l => Assert.Equal(0.0, l.B.abs().sum().item<float>()));
    }

    [Theory]
    [MemberData(nameof(TestModels.Names), MemberType = typeof(TestModels))]
    public void TheSeparateForwardEqualsTheMergedForward(string name)
    {
        // float64, so the two orders of summation agree to rounding: relative L2 below 1e-12.
        using var source = TestModels.Create(name);
        using var model = TestModels.CopyTo(source, ScalarType.Float64);
        var adapter = LoraAdapter.Create(model, AllLinear(), seed: 2);
        RandomiseB(adapter, 3);
        adapter.AttachTo(model);
        using var baseless = TestModels.CopyTo(source, ScalarType.Float64);
        using var plain = Logits(baseless);
        using var separate = Logits(model);
        Assert.True(Numerics.RelativeError(Numerics.ToDoubles(separate), Numerics.ToDoubles(plain)) > 1e-3, "the adapter did not change the logits");
        LoraAdapter.Merge(model);
        Assert.Null(model.Adapter);
        using var merged = Logits(model);
        Numerics.AssertClose(Numerics.ToDoubles(separate), Numerics.ToDoubles(merged), 1e-12, $"{name}: merged vs separate logits");
    }

    [Fact]
    public void TheHeadSplitOutputProjectionIncludesTheAdapter()
    {
        // hook_result computes per-head outputs from HeadOutputWeights, so an o_proj adapter must reach it too.
        using var source = TestModels.Create("llama-tiny");
        using var model = TestModels.CopyTo(source, ScalarType.Float64);
        var adapter = LoraAdapter.Create(model, new LoraSettings { Rank = 2, Alpha = 4, TargetModules = ["o_proj"] }, seed: 5);
        RandomiseB(adapter, 6);
        adapter.AttachTo(model);
        using var plain = Logits(model);
        using var hooks = new HookSet();
        hooks.Capture(HookNames.Result(0));
        using var ids = TestModels.Ids(TestModels.Prompt(model.Config, 9, 4));
        using var _ = no_grad();
        using var hooked = model.Forward(ids, hooks: hooks);
        Numerics.AssertClose(Numerics.ToDoubles(plain), Numerics.ToDoubles(hooked), 1e-12, "logits with hook_result captured");
    }

    [Fact]
    public void AIsKaimingUniformFromTheSeedAndBIsZero()
    {
        using var model = TestModels.Create("llama-tiny");
        var settings = new LoraSettings { Rank = 4, Alpha = 8, TargetModules = ["q_proj", "v_proj"] };
        using var first = LoraAdapter.Create(model, settings, seed: 7);
        using var again = LoraAdapter.Create(model, settings, seed: 7);
        using var other = LoraAdapter.Create(model, settings, seed: 8);
        Assert.Equal(2 * model.Config.Layers, first.Layers.Count);
        var bound = 1 / Math.Sqrt(model.Config.DModel);
        var values = first.Layers.SelectMany(l => Numerics.ToDoubles(l.A)).ToArray();
        Assert.All(values, v => Assert.InRange(Math.Abs(v), 0, bound));
        // U(-b, b) has variance b^2 / 3; the sample of 4 * d * 2L values lies well within 10% of it.
        var variance = values.Select(v => v * v).Average();
        Assert.InRange(variance / (bound * bound / 3), 0.9, 1.1);
        Assert.Equal(Numerics.ToDoubles(first.Layers[1].A), Numerics.ToDoubles(again.Layers[1].A));
        Assert.NotEqual(Numerics.ToDoubles(first.Layers[1].A), Numerics.ToDoubles(other.Layers[1].A));
        Assert.Equal(2.0, first.Settings.Scaling);
    }

    [Fact]
    public void TargetsFollowPeftsNameRule()
    {
        using var gpt2 = TestModels.Create("gpt2-tiny");
        using var llama = TestModels.Create("llama-tiny");
        string[] Paths(TransformerModel m, LoraSettings s)
        {
            using var a = LoraAdapter.Create(m, s, 0);
            return a.Layers.Select(l => l.ModulePath).ToArray();
        }
        // "c_proj" is both the attention and the MLP output of GPT-2, as in PEFT; "attn.c_proj" only the first.
        Assert.Equal(new[] { "transformer.h.0.attn.c_proj", "transformer.h.0.mlp.c_proj" },
            Paths(gpt2, new() { Rank = 1, Alpha = 1, TargetModules = ["c_proj"] }).Where(p => p.StartsWith("transformer.h.0.", StringComparison.Ordinal)));
        Assert.Equal(gpt2.Config.Layers, Paths(gpt2, new() { Rank = 1, Alpha = 1, TargetModules = ["attn.c_proj"] }).Length);
        Assert.Equal(new[] { "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj" },
            Paths(llama, new() { Rank = 1, Alpha = 1, TargetPattern = @"model\.layers\.1\.self_attn\.(q|v)_proj" }));
        Assert.Equal(7 * llama.Config.Layers, Paths(llama, AllLinear()).Length);
        var e = Assert.Throws<IclPsException>(() => LoraAdapter.Create(llama, new() { Rank = 1, Alpha = 1, TargetModules = ["c_attn"] }, 0));
        Assert.Equal(LoraErrorIds.NoTargetedModules, e.ErrorId);
        Assert.Contains("q_proj", e.Message);
    }

    [Fact]
    public void AModelWithASeparateAdapterIsNotSavedAsAWhole()
    {
        using var model = IclModel.CreateRandom(ModelConfig.Presets["llama-tiny"], 1, device: CPU);
        LoraAdapter.Create(model.Network, AllLinear(), 1).AttachTo(model.Network);
        using var folder = new TempFolder();
        var e = Assert.Throws<IclPsException>(() => model.Save(Path.Combine(folder.Path, "m")));
        Assert.Equal(LoraErrorIds.AdapterNotMerged, e.ErrorId);
        Assert.False(Directory.Exists(Path.Combine(folder.Path, "m")));
        var again = Assert.Throws<IclPsException>(() => LoraAdapter.Create(model.Network, AllLinear(), 2).AttachTo(model.Network));
        Assert.Equal(LoraErrorIds.AdapterAlreadyAttached, again.ErrorId);
    }

    [Theory]
    [InlineData(0, 1.0)]
    [InlineData(2, 0.0)]
    [InlineData(2, double.NaN)]
    public void BadSettingsAreRefused(int rank, double alpha)
    {
        using var model = TestModels.Create("llama-tiny");
        var e = Assert.Throws<IclPsException>(() => LoraAdapter.Create(model, new() { Rank = rank, Alpha = alpha, TargetModules = ["q_proj"] }, 0));
        Assert.Equal(LoraErrorIds.InvalidAdapterSettings, e.ErrorId);
    }
}
