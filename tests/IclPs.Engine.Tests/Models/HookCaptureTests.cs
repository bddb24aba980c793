using IclPs.Engine.Models;
using IclPs.Engine.Native;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Models;

/// <summary>Capture keeps only the requested names and positions; Last drops the position axis.</summary>
public sealed class HookCaptureTests : IDisposable
{
    private readonly TransformerModel _model;
    private readonly Tensor _ids;
    private readonly HookSet _everything;

    public HookCaptureTests()
    {
        TorchNativeLoader.EnsureLoaded();
        using var _ = no_grad();
        _model = TestModels.Create("gpt2-tiny");
        // Two prompts of length 6, so [b, ...] shapes are visible.
        _ids = cat([TestModels.Ids(TestModels.Prompt(_model.Config, 6, 40)), TestModels.Ids(TestModels.Prompt(_model.Config, 6, 41))], 0);
        _everything = new HookSet().Capture("*", PositionFilter.All);
        _model.Forward(_ids, hooks: _everything).Dispose();
    }

    public void Dispose()
    {
        _everything.Dispose();
        _ids.Dispose();
        _model.Dispose();
    }

    private Tensor Full(string hook) => _everything.Captured[hook];

    /// <summary>Same values up to float32 rounding: "*" also captures hook_pattern and hook_result, which switch attention and W_O to their explicit forms.</summary>
    private static void AssertSame(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        Numerics.AssertClose(Numerics.ToDoubles(expected), Numerics.ToDoubles(actual), 1e-6, "capture");
    }

    [Fact]
    public void Capture_everything_returns_every_documented_name()
    {
        Assert.Equal(HookNames.All(_model.Config.Layers).Order(), _everything.Captured.Keys.Order());
    }

    [Fact]
    public void Capture_by_exact_name_with_Last_returns_only_that_name_without_the_position_axis()
    {
        using var _ = no_grad();
        using var hooks = new HookSet().Capture(HookNames.ResidPost(1), PositionFilter.Last);
        _model.Forward(_ids, hooks: hooks).Dispose();

        Assert.Equal([HookNames.ResidPost(1)], hooks.Captured.Keys);
        var captured = hooks.Captured[HookNames.ResidPost(1)];
        Assert.Equal(new long[] { 2, _model.Config.DModel }, captured.shape);
        AssertSame(Full(HookNames.ResidPost(1)).select(1, -1), captured);
    }

    [Fact]
    public void Capture_defaults_to_the_last_position()
    {
        using var _ = no_grad();
        using var hooks = new HookSet().Capture(HookNames.Embed);
        _model.Forward(_ids, hooks: hooks).Dispose();
        Assert.Equal(new long[] { 2, _model.Config.DModel }, hooks.Captured[HookNames.Embed].shape);
    }

    [Fact]
    public void Capture_by_wildcard_with_LastN_returns_each_layer_and_the_trailing_positions()
    {
        using var _ = no_grad();
        using var hooks = new HookSet().Capture("blocks.*.attn.hook_z", PositionFilter.LastN(2));
        _model.Forward(_ids, hooks: hooks).Dispose();

        var expectedNames = Enumerable.Range(0, _model.Config.Layers).Select(HookNames.Z).Order();
        Assert.Equal(expectedNames, hooks.Captured.Keys.Order());
        foreach (var name in expectedNames)
        {
            var captured = hooks.Captured[name];
            Assert.Equal(new long[] { 2, 2, _model.Config.Heads, _model.Config.DHead }, captured.shape);
            AssertSame(Full(name).narrow(1, 4, 2), captured);
        }
    }

    /// <summary>hook_pattern is [b, H, query, key]: its position axis is the query axis, not the head axis.</summary>
    [Fact]
    public void Capture_of_the_attention_pattern_at_Last_keeps_every_head_and_the_last_query()
    {
        using var _ = no_grad();
        var name = HookNames.Pattern(0);
        using var hooks = new HookSet().Capture(name, PositionFilter.Last).Capture(HookNames.Pattern(1), PositionFilter.LastN(2));
        _model.Forward(_ids, hooks: hooks).Dispose();

        Assert.Equal(new long[] { 2, _model.Config.Heads, 6 }, hooks.Captured[name].shape);
        AssertSame(Full(name).select(2, -1), hooks.Captured[name]);
        AssertSame(Full(HookNames.Pattern(1)).narrow(2, 4, 2), hooks.Captured[HookNames.Pattern(1)]);
    }

    [Fact]
    public void Captured_tensors_are_detached_copies_that_outlive_the_forward_pass()
    {
        using var hooks = new HookSet().Capture(HookNames.MlpOut(0), PositionFilter.All);
        // Gradients on: the capture must still come back detached.
        _model.Forward(_ids, hooks: hooks).Dispose();
        var captured = hooks.Captured[HookNames.MlpOut(0)];
        Assert.False(captured.requires_grad);
        AssertSame(Full(HookNames.MlpOut(0)), captured);
    }
}
