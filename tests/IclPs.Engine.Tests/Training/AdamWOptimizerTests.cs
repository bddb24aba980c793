using IclPs.Engine.Native;
using IclPs.Engine.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Training;

/// <summary>The engine's AdamW against torch.optim.AdamW (libtorch's implementation) in float64, and clipping against its closed form.</summary>
public sealed class AdamWOptimizerTests
{
    public AdamWOptimizerTests() => TorchNativeLoader.EnsureLoaded();

    /// <summary>A non-quadratic objective coupling both tensors, different each round so the moments see changing gradients.</summary>
    private static Tensor Objective(Tensor a, Tensor b, int round) =>
        a.sin().sum() * (round + 1) + (b * b).sum() + a.sum() * b.sum();

    [Fact]
    public void Matches_torch_AdamW_over_several_steps()
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(7);
        var a0 = randn([3, 4], dtype: ScalarType.Float64, generator: gen);
        var b0 = randn([5], dtype: ScalarType.Float64, generator: gen);
        var (a, b) = (new Parameter(a0.clone()), new Parameter(b0.clone()));
        var (ta, tb) = (new Parameter(a0.clone()), new Parameter(b0.clone()));
        var ours = new AdamWOptimizer([("a", a), ("b", b)], beta1: 0.8, beta2: 0.95, epsilon: 1e-6, weightDecay: 0.1);
        var theirs = optim.AdamW([ta, tb], lr: 0.01, beta1: 0.8, beta2: 0.95, eps: 1e-6, weight_decay: 0.1);
        for (var round = 0; round < 4; round++)
        {
            a.grad?.zero_(); b.grad?.zero_();
            Objective(a, b, round).backward();
            ours.Step(0.01);
            theirs.zero_grad();
            Objective(ta, tb, round).backward();
            theirs.step();
        }
        Assert.Equal(4, ours.StepCount);
        Assert.True(a.allclose(ta, rtol: 0, atol: 1e-12), "a differs from torch.optim.AdamW");
        Assert.True(b.allclose(tb, rtol: 0, atol: 1e-12), "b differs from torch.optim.AdamW");
        Assert.False(a.allclose(a0, rtol: 0, atol: 1e-3), "the parameters should have moved");
        ours.Dispose();
    }

    [Fact]
    public void Clipping_scales_the_global_norm_down_to_the_limit()
    {
        using var scope = NewDisposeScope();
        var a = new Parameter(zeros(2, dtype: ScalarType.Float64));
        var b = new Parameter(zeros(1, dtype: ScalarType.Float64));
        // Gradients (3, 4) and (12): global norm 13.
        (a * tensor(new[] { 3.0, 4.0 })).sum().add(b.sum() * 12).backward();
        using var optimizer = new AdamWOptimizer([("a", a), ("b", b)]);
        Assert.Equal(13, optimizer.ClipGradNorm(26), 12);
        Assert.Equal(new[] { 3.0, 4.0 }, a.grad!.data<double>().ToArray());
        Assert.Equal(13, optimizer.ClipGradNorm(1.3), 12);
        var scale = 1.3 / (13 + 1e-6);
        Assert.Equal(3 * scale, a.grad!.data<double>()[0], 12);
        Assert.Equal(12 * scale, b.grad!.data<double>()[0], 12);
    }
}
