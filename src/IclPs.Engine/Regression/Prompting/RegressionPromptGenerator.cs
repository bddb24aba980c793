using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Prompting;

/// <summary>Numeric prompts drawn from a linear task family, with y_K as the expected answer.</summary>
public static class RegressionPromptGenerator
{
    /// <param name="fresh">Draw a fresh task per prompt ("true" tasks) instead of the family's pool ("pretrain" tasks).</param>
    public static IReadOnlyList<RegressionPrompt> Generate(LinearTaskFamily family, int points, int samples, long seed, bool fresh = false)
    {
        RegressionChecks.AtLeast("Samples", samples, 1);
        using var scope = NewDisposeScope();
        using var batch = fresh ? family.SampleFresh(samples, points, seed, ScalarType.Float64) : family.Sample(samples, points, seed, ScalarType.Float64);
        var x = batch.X.contiguous().data<double>().ToArray();
        var y = batch.Y.contiguous().data<double>().ToArray();
        var d = family.Dimension;
        return Enumerable.Range(0, samples).Select(s => RegressionPrompt.Create(s,
            Enumerable.Range(0, points).Select(k => x.AsSpan((s * points + k) * d, d).ToArray()).ToArray(),
            y.AsSpan(s * points, points).ToArray())).ToArray();
    }
}
