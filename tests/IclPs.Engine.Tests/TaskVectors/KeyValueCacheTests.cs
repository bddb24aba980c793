using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.TaskVectors;
using IclPs.Engine.Tests.Models;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.TaskVectors;

/// <summary>
/// The last-column pass from a cached prefix against the full forward pass on left-padded batches (relative L2 below 1e-5):
/// plain, and with a head patched at the last column, for GPT-2, LLaMA (grouped-query) and the regression variant.
/// </summary>
public sealed class KeyValueCacheTests
{
    private const double Tolerance = 1e-5;

    public KeyValueCacheTests() => TorchNativeLoader.EnsureLoaded();

    [Theory]
    [InlineData("gpt2-tiny")]
    [InlineData("llama-gqa4to1-theta100-untied")]
    public void Last_column_from_any_layer_equals_the_full_pass(string name)
    {
        using var model = TestModels.Create(name);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var batch = TestModels.LeftPadded([TestModels.Prompt(model.Config, 9, 1), TestModels.Prompt(model.Config, 6, 2), TestModels.Prompt(model.Config, 1, 3)], padId: 0);
        using var cache = model.CachePrefix(batch.Ids, batch.Mask);
        var full = model.Forward(batch.Ids, batch.Mask, lastPositionOnly: true);
        Numerics.AssertClose(Numerics.ToDoubles(full), Numerics.ToDoubles(cache.Output), Tolerance, "cached pass output");
        for (var l = 0; l < model.Config.Layers; l++)
        {
            var again = model.ForwardLastFrom(cache, l, cache.ResidualPre(l).unsqueeze(1));
            Numerics.AssertClose(Numerics.ToDoubles(full), Numerics.ToDoubles(again.squeeze(1)), Tolerance, $"from layer {l}");

            // Two copies, the second patching head 1 at this layer: each equals its own full pass.
            var value = randn(model.Config.DHead);
            using var patchedFull = new HookSet().ReplaceHeadZ(l, 1, value);
            var expected = model.Forward(batch.Ids, batch.Mask, patchedFull, lastPositionOnly: true);
            using var patchCopy = new HookSet().Edit(HookNames.Z(l), z =>
            {
                var where = zeros(1, 2, model.Config.Heads, 1);
                where[0, 1, 1, 0] = tensor(1f);
                return z * (1 - where) + where * value.view(1, 1, 1, -1);
            });
            var copies = model.ForwardLastFrom(cache, l, cache.ResidualPre(l).unsqueeze(1).expand(-1, 2, -1), patchCopy);
            Numerics.AssertClose(Numerics.ToDoubles(full), Numerics.ToDoubles(copies.select(1, 0)), Tolerance, $"unpatched copy, layer {l}");
            Numerics.AssertClose(Numerics.ToDoubles(expected), Numerics.ToDoubles(copies.select(1, 1)), Tolerance, $"patched copy, layer {l}");
        }
    }

    [Fact]
    public void Regression_variant_last_column_equals_the_full_pass()
    {
        using var model = TaskVectorTestSetup.RegressionModel();
        var problem = TaskVectorTestSetup.RegressionProblem(model);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var batch = problem.Prompts(TaskPromptKind.Clean, TaskDataSplit.Valid, 5, 3, 3, seed: 1).Single();
        var full = problem.Predict(batch, null);
        using var cache = model.Network.CachePrefix(batch.Inputs, batch.Mask);
        for (var l = 0; l < model.Config.Layers; l++)
        {
            var again = problem.FromReadOut(model.Network.ForwardLastFrom(cache, l, cache.ResidualPre(l).unsqueeze(1)).squeeze(1));
            Numerics.AssertClose(Numerics.ToDoubles(full), Numerics.ToDoubles(again), Tolerance, $"from layer {l}");
        }
    }
}
