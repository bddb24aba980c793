using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.Tests.Reference;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Models;

/// <summary>
/// A left-padded batch must give each prompt exactly what it gets alone (relative L2 below 1e-5): the attention mask
/// hides padding keys and position ids count real tokens only.
/// </summary>
public sealed class PaddedBatchTests
{
    private const double Tolerance = 1e-5;
    private static readonly int[] Lengths = [3, 7, 5];

    public PaddedBatchTests() => TorchNativeLoader.EnsureLoaded();

    [Theory]
    [MemberData(nameof(TestModels.Names), MemberType = typeof(TestModels))]
    public void Each_prompt_in_a_left_padded_batch_matches_the_prompt_alone(string name)
    {
        using var model = TestModels.Create(name);
        var prompts = Lengths.Select((n, i) => TestModels.Prompt(model.Config, n, seed: 20 + i)).ToArray();
        using var _ = no_grad();
        using var batch = TestModels.LeftPadded(prompts, padId: 3);
        var t = Lengths.Max();

        using var fusedLogits = model.Forward(batch.Ids, batch.Mask);
        using var hooks = new HookSet().Capture("*", PositionFilter.All);
        using var explicitLogits = model.Forward(batch.Ids, batch.Mask, hooks);

        for (var b = 0; b < prompts.Length; b++)
        {
            var (n, pad) = (prompts[b].Length, t - prompts[b].Length);
            using var scope = NewDisposeScope();
            using var aloneHooks = new HookSet().Capture("*", PositionFilter.All);
            var aloneLogits = model.Forward(TestModels.Ids(prompts[b]), hooks: aloneHooks);
            var what = $"{name} prompt {b} (length {n})";

            Numerics.AssertClose(Numerics.ToDoubles(aloneLogits), Numerics.ToDoubles(fusedLogits[b].narrow(0, pad, n)), Tolerance, $"{what} logits, fused attention");
            Numerics.AssertClose(Numerics.ToDoubles(aloneLogits), Numerics.ToDoubles(explicitLogits[b].narrow(0, pad, n)), Tolerance, $"{what} logits, explicit attention");
            foreach (var (hook, alone) in aloneHooks.Captured)
            {
                var batched = hooks.Captured[hook][b];
                // hook_pattern is [H, query, key]: both position axes lose the padding.
                var real = hook.EndsWith("hook_pattern", StringComparison.Ordinal)
                    ? batched.narrow(1, pad, n).narrow(2, pad, n)
                    : batched.narrow(0, pad, n);
                Numerics.AssertClose(Numerics.ToDoubles(alone), Numerics.ToDoubles(real), Tolerance, $"{what} {hook}");
            }
        }
    }

    /// <summary>
    /// GPT-2's learned positions make wrong position ids visible: a padded prompt must read wpe rows 0..n-1, and the
    /// reference shows that counting the padding (positions pad..pad+n-1) would move the logits far beyond tolerance.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestModels.Gpt2Names), MemberType = typeof(TestModels))]
    public void Padded_prompts_use_position_ids_that_skip_the_padding(string name)
    {
        using var model = TestModels.Create(name);
        var prompts = Lengths.Select((n, i) => TestModels.Prompt(model.Config, n, seed: 30 + i)).ToArray();
        var reference = ReferenceTransformer.For(model);
        var wpe = ReferenceWeights.FromModel(model)["transformer.wpe.weight"];
        using var _ = no_grad();
        using var batch = TestModels.LeftPadded(prompts, padId: 0);
        using var hooks = new HookSet().Capture(HookNames.PosEmbed, PositionFilter.All);
        using var logits = model.Forward(batch.Ids, batch.Mask, hooks);
        var t = Lengths.Max();

        for (var b = 0; b < prompts.Length; b++)
        {
            var (n, pad) = (prompts[b].Length, t - prompts[b].Length);
            using var scope = NewDisposeScope();
            var expectedPositions = Enumerable.Range(0, n).SelectMany(wpe.Row).ToArray();
            Assert.Equal(expectedPositions, Numerics.ToDoubles(hooks.Captured[HookNames.PosEmbed][b].narrow(0, pad, n)));

            var actual = Numerics.ToDoubles(logits[b].narrow(0, pad, n));
            var right = reference.Run(prompts[b]).LogitsTensor.Data;
            Numerics.AssertClose(right, actual, 1e-4, $"{name} prompt {b} against the reference");
            if (pad > 0)
            {
                var shifted = reference.Run(prompts[b], firstPosition: pad).LogitsTensor.Data;
                Assert.True(Numerics.RelativeError(shifted, right) > 1e-2, $"{name} prompt {b}: shifted positions should change logits visibly.");
            }
        }
    }
}
