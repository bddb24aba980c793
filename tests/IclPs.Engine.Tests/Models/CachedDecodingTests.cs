using IclPs.Engine.Models;
using IclPs.Engine.Native;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Models;

/// <summary>
/// Greedy decoding on the key/value cache (<see cref="TransformerModel.ForwardNext"/>) against the uncached reference,
/// the whole sequence re-run through <see cref="TransformerModel.Forward"/> for every new token, on left-padded batches
/// whose rows have different amounts of padding. Each step must pick the same token, and its logits and every hook
/// point's activation at the new column must agree within a maximum absolute difference of 1e-5 in float32 (activations
/// of these scrambled models reach about 10; the difference is rounding from other matmul shapes) and 1e-11 in float64.
/// </summary>
public sealed class CachedDecodingTests
{
    private const int Steps = 6;
    private static readonly int[] Lengths = [9, 4, 1];

    public CachedDecodingTests() => TorchNativeLoader.EnsureLoaded();

    public static TheoryData<string, ScalarType, double> Cases => new()
    {
        { "gpt2-tiny", ScalarType.Float32, 1e-5 },
        { "gpt2-tiny", ScalarType.Float64, 1e-11 },
        { "llama-tiny", ScalarType.Float32, 1e-5 },
        { "llama-tiny", ScalarType.Float64, 1e-11 },
        { "llama-gqa4to1-theta100-untied", ScalarType.Float32, 1e-5 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Cached_steps_equal_re_running_the_sequence(string name, ScalarType dtype, double tolerance)
    {
        using var float32 = TestModels.Create(name);
        using var model = dtype == ScalarType.Float32 ? null : TestModels.CopyTo(float32, dtype);
        var network = model ?? float32;
        var prompts = Lengths.Select((n, i) => TestModels.Prompt(network.Config, n, seed: 40 + i)).ToArray();
        using var _ = no_grad();
        using var batch = TestModels.LeftPadded(prompts, padId: 5);
        var (b, p) = ((int)batch.Ids.shape[0], (int)batch.Ids.shape[1]);
        // An edit at every position: the cache keeps what earlier passes computed, so only position-independent edits
        // can agree with re-running; this one shows hooks still reach each new column.
        using var shift = linspace(-2, 2, network.Config.DModel, dtype: dtype);
        HookSet Hooks() => new HookSet().AddVector(HookNames.ResidPost(0), shift, PositionFilter.All).Capture("*", PositionFilter.Last);

        using var cache = network.NewDecodingCache(p, Steps);
        var ids = batch.Ids;
        var mask = batch.Mask;
        Tensor? next = null;
        for (var step = 0; step <= Steps; step++)
        {
            using var scope = NewDisposeScope();
            if (next is not null)
            {
                ids = cat([ids, next], 1).MoveToOuterDisposeScope();
                mask = cat([mask, ones(b, 1, dtype: ScalarType.Int64)], 1).MoveToOuterDisposeScope();
            }
            using var referenceHooks = Hooks();
            using var cachedHooks = Hooks();
            var expected = network.Forward(ids, mask, referenceHooks, lastPositionOnly: true);
            var actual = next is null
                ? network.ForwardColumns(ids, mask, p - 1, 1, cachedHooks, cache).squeeze(1)
                : network.ForwardNext(cache, next, cachedHooks);
            var what = $"{name} {dtype} step {step}";

            AssertWithin(expected, actual, tolerance, $"{what} logits");
            Assert.Equal(referenceHooks.Captured.Keys.Order(), cachedHooks.Captured.Keys.Order());
            foreach (var (hook, reference) in referenceHooks.Captured)
                AssertWithin(reference, cachedHooks.Captured[hook], tolerance, $"{what} {hook}");
            var chosen = expected.argmax(1);
            Assert.Equal(chosen.data<long>().ToArray(), actual.argmax(1).data<long>().ToArray());
            next = chosen.view(b, 1).MoveToOuterDisposeScope();
        }
        Assert.Equal(p + Steps, cache.Length);
    }

    [Fact]
    public void The_cache_refuses_a_step_beyond_its_capacity()
    {
        using var model = TestModels.Create("gpt2-tiny");
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var batch = TestModels.LeftPadded([TestModels.Prompt(model.Config, 3, 1)], padId: 0);
        using var cache = model.NewDecodingCache(3, 1);
        Assert.Throws<ArgumentException>(() => model.ForwardNext(cache, zeros(1, 1, dtype: ScalarType.Int64)));   // prompt pass not run
        model.ForwardColumns(batch.Ids, batch.Mask, 2, 1, cache: cache);
        model.ForwardNext(cache, zeros(1, 1, dtype: ScalarType.Int64));
        Assert.Equal("DecodingCacheFull", Assert.Throws<IclPsException>(() => model.ForwardNext(cache, zeros(1, 1, dtype: ScalarType.Int64))).ErrorId);
        Assert.Equal("PromptTooLong", Assert.Throws<IclPsException>(() => model.NewDecodingCache(model.Config.ContextLength, 1)).ErrorId);
    }

    /// <summary>The logits at chosen columns equal the same columns of the full pass; hooks still see every column.</summary>
    [Theory]
    [InlineData("gpt2-tiny")]
    [InlineData("llama-tiny")]
    public void Logits_at_chosen_columns_equal_the_full_pass(string name)
    {
        using var model = TestModels.Create(name);
        var prompts = Lengths.Select((n, i) => TestModels.Prompt(model.Config, n, seed: 60 + i)).ToArray();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var batch = TestModels.LeftPadded(prompts, padId: 2);
        using var fullHooks = new HookSet().Capture("*", PositionFilter.All);
        using var someHooks = new HookSet().Capture("*", PositionFilter.All);
        var full = model.Forward(batch.Ids, batch.Mask, fullHooks);
        var some = model.ForwardColumns(batch.Ids, batch.Mask, 5, 3, someHooks);

        Assert.Equal([prompts.Length, 3, model.Config.VocabSize], some.shape);
        AssertWithin(full.narrow(1, 5, 3), some, 1e-5, $"{name} logits");
        foreach (var (hook, captured) in fullHooks.Captured)
            AssertWithin(captured, someHooks.Captured[hook], 0, $"{name} {hook}");
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ForwardColumns(batch.Ids, batch.Mask, 8, 2));
    }

    private static void AssertWithin(Tensor expected, Tensor actual, double tolerance, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        var error = (expected.to(ScalarType.Float64) - actual.to(ScalarType.Float64)).abs().max().item<double>();
        Assert.True(error <= tolerance, $"{what}: max abs difference {error:E3} exceeds {tolerance:E1}.");
    }
}
