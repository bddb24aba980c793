using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.GradientDescent;

/// <summary>
/// The data of von Oswald et al.'s single-layer experiments (docs/science.md §3): noiseless y = w.x with w ~ N(0, I_d) fresh
/// per sequence and x ~ U(-h, h)^d, N context pairs and one query. The default h = 0.5 is the one that reproduces the paper's
/// reference losses (0.5*MSE about 0.20 for one tuned GD step, 0.41 = d/24 for predicting zero); the paper's text says U(-1, 1).
/// </summary>
public sealed record VonOswaldTasks
{
    private const long WeightStream = 1, InputStream = 2;

    public int Dimension { get; init; } = 10;
    /// <summary>N, the context pairs before the query.</summary>
    public int ContextPoints { get; init; } = 10;
    /// <summary>h: inputs are uniform on [-h, h].</summary>
    public double InputHalfWidth { get; init; } = 0.5;

    public void Validate()
    {
        RegressionChecks.AtLeast("Dimension", Dimension, 1);
        RegressionChecks.AtLeast("ContextPoints", ContextPoints, 1);
        RegressionChecks.Positive("InputHalfWidth", InputHalfWidth);
    }

    /// <summary>
    /// <paramref name="batchSize"/> sequences; the same seed gives the same data. Drawn in float64 on the CPU, then cast to
    /// <paramref name="dtype"/> and moved to <paramref name="device"/>.
    /// </summary>
    public QueryBatch Sample(int batchSize, long seed, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        Validate();
        RegressionChecks.AtLeast("BatchSize", batchSize, 1);
        using var scope = NewDisposeScope();
        using var weightGen = RegressionInputs.Stream(seed, WeightStream);
        using var inputGen = RegressionInputs.Stream(seed, InputStream);
        var w = randn(new long[] { batchSize, Dimension }, ScalarType.Float64, generator: weightGen);
        var all = (rand(new long[] { batchSize, ContextPoints + 1, Dimension }, ScalarType.Float64, generator: inputGen) * 2 - 1) * InputHalfWidth;
        var targets = all.matmul(w.unsqueeze(-1)).squeeze(-1);                                  // [b, N+1]
        Tensor Out(Tensor t) => t.to(dtype, device ?? CPU).MoveToOuterDisposeScope();
        return new QueryBatch(
            Out(all.narrow(1, 0, ContextPoints)), Out(targets.narrow(1, 0, ContextPoints)),
            Out(all.select(1, ContextPoints)), Out(targets.select(1, ContextPoints)));
    }
}
