using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.Tests.Reference;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Models;

/// <summary>Float32 TorchSharp models against the float64 reference: logits and every capture point, relative L2 error below 1e-4.</summary>
public sealed class ReferenceAgreementTests
{
    private const double Tolerance = 1e-4;

    public ReferenceAgreementTests() => TorchNativeLoader.EnsureLoaded();

    [Theory]
    [MemberData(nameof(TestModels.Names), MemberType = typeof(TestModels))]
    public void Logits_match_the_reference(string name)
    {
        using var model = TestModels.Create(name);
        var prompt = TestModels.Prompt(model.Config, 9, seed: 1);
        var expected = ReferenceTransformer.For(model).Run(prompt);
        using var _ = no_grad();
        using var ids = TestModels.Ids(prompt);

        using var logits = model.Forward(ids);
        Assert.Equal(new long[] { 1, 9, model.Config.VocabSize }, logits.shape);
        Numerics.AssertClose(expected.LogitsTensor, logits, Tolerance, $"{name} logits");

        using var last = model.Forward(ids, lastPositionOnly: true);
        Assert.Equal(new long[] { 1, model.Config.VocabSize }, last.shape);
        Numerics.AssertClose(expected.Logits[^1], Numerics.ToDoubles(last), Tolerance, $"{name} last-position logits");
    }

    /// <summary>"*" also captures hook_pattern, which switches attention to its explicit (non-fused) form.</summary>
    [Theory]
    [MemberData(nameof(TestModels.Names), MemberType = typeof(TestModels))]
    public void Every_capture_point_matches_the_reference_with_explicit_attention(string name)
    {
        using var model = TestModels.Create(name);
        var prompt = TestModels.Prompt(model.Config, 8, seed: 2);
        var expected = ReferenceTransformer.For(model).Run(prompt);
        using var _ = no_grad();
        using var ids = TestModels.Ids(prompt);
        using var hooks = new HookSet().Capture("*", PositionFilter.All);

        using var logits = model.Forward(ids, hooks: hooks);

        Assert.Equal(expected.Captures.Keys.Order(), hooks.Captured.Keys.Order());
        foreach (var (hook, reference) in expected.Captures)
            Numerics.AssertClose(reference, hooks.Captured[hook], Tolerance, $"{name} {hook}");
        Numerics.AssertClose(expected.LogitsTensor, logits, Tolerance, $"{name} logits");
    }

    /// <summary>Without hook_pattern the fused attention kernel runs; hook_result switches W_O to its per-head form.</summary>
    [Theory]
    [MemberData(nameof(TestModels.Names), MemberType = typeof(TestModels))]
    public void Every_capture_point_matches_the_reference_with_fused_attention(string name)
    {
        using var model = TestModels.Create(name);
        var prompt = TestModels.Prompt(model.Config, 8, seed: 3);
        var expected = ReferenceTransformer.For(model).Run(prompt);
        using var _ = no_grad();
        using var ids = TestModels.Ids(prompt);
        var wanted = expected.Captures.Keys.Where(k => !k.EndsWith("hook_pattern", StringComparison.Ordinal)).ToList();
        using var hooks = new HookSet();
        foreach (var hook in wanted) hooks.Capture(hook, PositionFilter.All);

        using var logits = model.Forward(ids, hooks: hooks);

        Assert.Equal(wanted.Order(), hooks.Captured.Keys.Order());
        foreach (var hook in wanted)
            Numerics.AssertClose(expected.Captures[hook], hooks.Captured[hook], Tolerance, $"{name} {hook}");
        Numerics.AssertClose(expected.LogitsTensor, logits, Tolerance, $"{name} logits");
    }

    [Theory]
    [MemberData(nameof(TestModels.Names), MemberType = typeof(TestModels))]
    public void Head_results_summed_over_heads_plus_the_output_bias_equal_attn_out(string name)
    {
        using var model = TestModels.Create(name);
        var prompt = TestModels.Prompt(model.Config, 6, seed: 4);
        using var _ = no_grad();
        using var ids = TestModels.Ids(prompt);
        using var hooks = new HookSet().Capture("blocks.*.attn.hook_result", PositionFilter.All).Capture("blocks.*.hook_attn_out", PositionFilter.All);
        using var logits = model.Forward(ids, hooks: hooks);
        var parameters = model.CheckpointTensors().ToDictionary(p => p.Name, p => p.Tensor);

        for (var l = 0; l < model.Config.Layers; l++)
        {
            using var scope = NewDisposeScope();
            var summed = hooks.Captured[HookNames.Result(l)].sum(2);
            if (model.Config.Family == ModelFamily.Gpt2) summed += parameters[$"transformer.h.{l}.attn.c_proj.bias"];
            Numerics.AssertClose(Numerics.ToDoubles(hooks.Captured[HookNames.AttnOut(l)]), Numerics.ToDoubles(summed), 1e-6, $"{name} layer {l}");
        }
    }

    /// <summary>HeadOutputWeights(l)[h] is the W_O slice the reference uses for head h: z_h @ W_O[h] equals the reference's hook_result.</summary>
    [Theory]
    [MemberData(nameof(TestModels.Names), MemberType = typeof(TestModels))]
    public void Head_output_weights_project_reference_z_to_reference_result(string name)
    {
        using var model = TestModels.Create(name);
        var run = ReferenceTransformer.For(model).Run(TestModels.Prompt(model.Config, 5, seed: 5));
        var (heads, dHead, d) = (model.Config.Heads, model.Config.DHead, model.Config.DModel);
        using var scope = NewDisposeScope();
        for (var l = 0; l < model.Config.Layers; l++)
        {
            var wO = model.HeadOutputWeights(l);
            Assert.Equal(new long[] { heads, dHead, d }, wO.shape);
            var z = tensor(run.Captures[HookNames.Z(l)].Data, [5, heads, dHead], ScalarType.Float64);
            var result = einsum("thd,hdm->thm", z, wO.detach().to(ScalarType.Float64));
            Numerics.AssertClose(run.Captures[HookNames.Result(l)], result, 1e-6, $"{name} layer {l}");
        }
    }
}
