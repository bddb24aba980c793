using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.Tests.Models;

namespace IclPs.Engine.Tests.Reference;

/// <summary>Properties the reference must have whatever the engine does: causality, and rotary embeddings that encode relative position only.</summary>
public sealed class ReferenceSelfTests
{
    public ReferenceSelfTests() => TorchNativeLoader.EnsureLoaded();

    [Fact]
    public void Rope_preserves_length_and_makes_scores_depend_on_relative_position_only()
    {
        var rng = new Random(90);
        var q = Enumerable.Range(0, 8).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var k = Enumerable.Range(0, 8).Select(_ => rng.NextDouble() - 0.5).ToArray();

        Assert.Equal(RefMath.Dot(q, q), RefMath.Dot(RefMath.Rope(q, 13, 100), RefMath.Rope(q, 13, 100)), 12);
        var near = RefMath.Dot(RefMath.Rope(q, 5, 100), RefMath.Rope(k, 2, 100));
        Assert.Equal(near, RefMath.Dot(RefMath.Rope(q, 17, 100), RefMath.Rope(k, 14, 100)), 12);
        Assert.NotEqual(near, RefMath.Dot(RefMath.Rope(q, 5, 100), RefMath.Rope(k, 3, 100)), 3);
        // Position 0 is the identity; the first pair rotates by exactly one radian per position whatever theta is.
        Assert.Equal(q, RefMath.Rope(q, 0, 100));
        Assert.Equal(q[0] * Math.Cos(1) - q[4] * Math.Sin(1), RefMath.Rope(q, 1, 12345)[0], 14);
    }

    [Theory]
    [MemberData(nameof(TestModels.Names), MemberType = typeof(TestModels))]
    public void Earlier_positions_do_not_see_later_tokens(string name)
    {
        using var model = TestModels.Create(name);
        var reference = ReferenceTransformer.For(model);
        var prompt = TestModels.Prompt(model.Config, 6, 91);
        var changed = (int[])prompt.Clone();
        changed[^1] = (changed[^1] + 1) % model.Config.VocabSize;

        var (a, b) = (reference.Run(prompt), reference.Run(changed));

        for (var p = 0; p < 5; p++) Assert.Equal(a.Logits[p], b.Logits[p]);
        Assert.NotEqual(a.Logits[5], b.Logits[5]);
    }

    /// <summary>So wrong but uniformly shifted position ids cannot be seen in a LLaMA model; GPT-2 tests carry that check.</summary>
    [Theory]
    [InlineData("llama-tiny")]
    [InlineData("llama-gqa4to1-theta100-untied")]
    public void Llama_logits_do_not_change_when_every_position_id_shifts(string name)
    {
        using var model = TestModels.Create(name);
        var reference = ReferenceTransformer.For(model);
        var prompt = TestModels.Prompt(model.Config, 6, 92);
        Assert.True(Numerics.RelativeError(reference.Run(prompt, firstPosition: 7).LogitsTensor.Data, reference.Run(prompt).LogitsTensor.Data) < 1e-12);
    }
}
