using IclPs.Engine.Models;
using IclPs.Engine.Native;
using IclPs.Engine.Tests.Reference;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Models;

/// <summary>AddVector, ReplaceVector and ReplaceHeadZ against the same interventions in the float64 reference (relative L2 below 1e-4).</summary>
public sealed class InterventionTests
{
    private const double Tolerance = 1e-4;
    private const int Length = 7;

    public InterventionTests() => TorchNativeLoader.EnsureLoaded();

    /// <summary>Seeded N(0, 1) rows, rounded to float32 so the engine and the reference get identical values.</summary>
    private static double[][] RandomRows(int rows, int width, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, rows)
            .Select(_ => Enumerable.Range(0, width).Select(_ => (double)(float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()))).ToArray())
            .ToArray();
    }

    private static Tensor AsTensor(double[][] rows) =>
        tensor(rows.SelectMany(r => r).Select(v => (float)v).ToArray(), [rows.Length, rows[0].Length]);

    /// <summary>Two prompts of equal length, so each batch row gets its own vector ([b, d]).</summary>
    private static (int[][] Prompts, Tensor Ids) Batch(ModelConfig config)
    {
        var prompts = new[] { TestModels.Prompt(config, Length, 50), TestModels.Prompt(config, Length, 51) };
        return (prompts, cat([TestModels.Ids(prompts[0]), TestModels.Ids(prompts[1])], 0));
    }

    private static void AssertMatches(ReferenceTransformer reference, int[][] prompts, Func<int, ReferenceInterventions> interventions, Tensor logits, string what)
    {
        for (var b = 0; b < prompts.Length; b++)
        {
            var expected = reference.Run(prompts[b], interventions(b));
            Numerics.AssertClose(expected.LogitsTensor.Data, Numerics.ToDoubles(logits[b]), Tolerance, $"{what}, prompt {b}");
        }
    }

    [Theory]
    [MemberData(nameof(TestModels.Names), MemberType = typeof(TestModels))]
    public void Adding_a_zero_vector_leaves_logits_bit_identical(string name)
    {
        using var model = TestModels.Create(name);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var (_, ids) = Batch(model.Config);
        var hooks = new HookSet();
        for (var l = 0; l < model.Config.Layers; l++) hooks.AddVector(HookNames.ResidPost(l), zeros(model.Config.DModel));

        var plain = Numerics.ToDoubles(model.Forward(ids));
        var edited = Numerics.ToDoubles(model.Forward(ids, hooks: hooks));

        Assert.Equal(plain, edited);
    }

    [Theory]
    [MemberData(nameof(TestModels.Names), MemberType = typeof(TestModels))]
    public void AddVector_at_the_last_position_matches_the_reference(string name)
    {
        using var model = TestModels.Create(name);
        var reference = ReferenceTransformer.For(model);
        var vectors = RandomRows(2, model.Config.DModel, 52);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var (prompts, ids) = Batch(model.Config);
        using var hooks = new HookSet().AddVector(HookNames.ResidPost(0), AsTensor(vectors));

        var logits = model.Forward(ids, hooks: hooks);

        AssertMatches(reference, prompts, b => new ReferenceInterventions().AddToResidPost(0, Length - 1, vectors[b]), logits, $"{name} AddVector");
    }

    [Theory]
    [MemberData(nameof(TestModels.Names), MemberType = typeof(TestModels))]
    public void ReplaceVector_at_the_last_two_positions_matches_the_reference(string name)
    {
        using var model = TestModels.Create(name);
        var reference = ReferenceTransformer.For(model);
        var vectors = RandomRows(2, model.Config.DModel, 53);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var (prompts, ids) = Batch(model.Config);
        using var hooks = new HookSet().ReplaceVector(HookNames.ResidPost(0), AsTensor(vectors), PositionFilter.LastN(2));

        var logits = model.Forward(ids, hooks: hooks);

        AssertMatches(reference, prompts,
            b => new ReferenceInterventions().ReplaceResidPost(0, Length - 2, vectors[b]).ReplaceResidPost(0, Length - 1, vectors[b]),
            logits, $"{name} ReplaceVector");
    }

    /// <summary>The last head of the last layer: for grouped-query configs it shares its key/value head with others.</summary>
    [Theory]
    [MemberData(nameof(TestModels.Names), MemberType = typeof(TestModels))]
    public void ReplaceHeadZ_matches_the_reference(string name)
    {
        using var model = TestModels.Create(name);
        var reference = ReferenceTransformer.For(model);
        var (layer, head) = (model.Config.Layers - 1, model.Config.Heads - 1);
        var values = RandomRows(2, model.Config.DHead, 54);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var (prompts, ids) = Batch(model.Config);
        using var hooks = new HookSet().ReplaceHeadZ(layer, head, AsTensor(values)).Capture(HookNames.Z(layer));

        var logits = model.Forward(ids, hooks: hooks);

        AssertMatches(reference, prompts, b => new ReferenceInterventions().ReplaceHeadZ(layer, head, Length - 1, values[b]), logits, $"{name} ReplaceHeadZ");
        // Captures see the edited activation.
        Assert.Equal(values[1], Numerics.ToDoubles(hooks.Captured[HookNames.Z(layer)][1][head]));
    }

    /// <summary>
    /// Replacing resid_post of layer 0 at the last position equals taking the reference's unedited residual stream,
    /// overwriting that row by hand and feeding it through the remaining reference layers.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestModels.Names), MemberType = typeof(TestModels))]
    public void Replacement_equals_feeding_the_replaced_residual_through_the_remaining_layers(string name)
    {
        using var model = TestModels.Create(name);
        var reference = ReferenceTransformer.For(model);
        var prompt = TestModels.Prompt(model.Config, Length, 55);
        var vector = RandomRows(1, model.Config.DModel, 56)[0];
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var hooks = new HookSet().ReplaceVector(HookNames.ResidPost(0), AsTensor([vector])[0]).Capture(HookNames.ResidPost(0));

        var logits = model.Forward(TestModels.Ids(prompt), hooks: hooks);

        var residual = reference.Run(prompt).Rows(HookNames.ResidPost(0));
        residual[Length - 1] = vector;
        var manual = reference.LogitsFrom(1, residual);
        Numerics.AssertClose(RefTensor.FromRows(manual), logits, Tolerance, $"{name} replaced residual");
        Assert.Equal(vector, Numerics.ToDoubles(hooks.Captured[HookNames.ResidPost(0)][0]));
    }
}
