using IclPs.Engine.Models;
using IclPs.Engine.Native;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Models;

/// <summary>
/// float16 and bfloat16 copies of a float32 model run both attention paths and a padded batch, and stay within a loose
/// relative L2 error of the float32 logits: 1e-2 for float16 (10 mantissa bits), 5e-2 for bfloat16 (7 bits).
/// Measured on these configs: about 1e-3 and 1e-2.
/// </summary>
public sealed class ReducedPrecisionTests
{
    public ReducedPrecisionTests() => TorchNativeLoader.EnsureLoaded();

    public static TheoryData<string, ScalarType, double> Cases()
    {
        var data = new TheoryData<string, ScalarType, double>();
        foreach (var name in TestModels.Configs.Keys)
        {
            data.Add(name, ScalarType.Float16, 1e-2);
            data.Add(name, ScalarType.BFloat16, 5e-2);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reduced_precision_logits_agree_with_float32(string name, ScalarType dtype, double tolerance)
    {
        using var model = TestModels.Create(name);
        using var reduced = TestModels.CopyTo(model, dtype);
        Assert.Equal(dtype, reduced.DType);
        var prompts = new[] { TestModels.Prompt(model.Config, 8, 60), TestModels.Prompt(model.Config, 5, 61) };
        using var _ = no_grad();
        using var batch = TestModels.LeftPadded(prompts, padId: 1);

        using var expected = model.Forward(batch.Ids, batch.Mask);
        using var fused = reduced.Forward(batch.Ids, batch.Mask);
        using var hooks = new HookSet().Capture("*", PositionFilter.Last);
        using var explicitAttention = reduced.Forward(batch.Ids, batch.Mask, hooks);

        Assert.Equal(dtype, fused.dtype);
        Assert.Equal(dtype, hooks.Captured[HookNames.ResidPost(0)].dtype);
        for (var b = 0; b < prompts.Length; b++)
        {
            using var scope = NewDisposeScope();
            var pad = 8 - prompts[b].Length;
            var want = Numerics.ToDoubles(expected[b].narrow(0, pad, prompts[b].Length));
            Numerics.AssertClose(want, Numerics.ToDoubles(fused[b].narrow(0, pad, prompts[b].Length)), tolerance, $"{name} {dtype} prompt {b}, fused attention");
            Numerics.AssertClose(want, Numerics.ToDoubles(explicitAttention[b].narrow(0, pad, prompts[b].Length)), tolerance, $"{name} {dtype} prompt {b}, explicit attention");
        }
    }
}
