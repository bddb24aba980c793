using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression;

/// <summary>Garg et al.'s 2-layer ReLU networks: y = sqrt(2/H) * sum_h a_h ReLU(w_h.x), w_h ~ N(0, I_D), a_h ~ N(0, 1), fresh per sequence.</summary>
public sealed class ReluNetTaskFamily : IRegressionTaskFamily
{
    private const long TaskStream = 1, InputStream = 2;

    public ReluNetTaskFamily(int dimension = 8, int hidden = 100, double noiseVariance = 0, RegressionInputOptions? inputs = null)
    {
        RegressionChecks.AtLeast("Dimension", dimension, 1);
        RegressionChecks.AtLeast("Hidden", hidden, 1);
        RegressionChecks.NonNegative("NoiseVariance", noiseVariance);
        Dimension = dimension;
        Hidden = hidden;
        NoiseVariance = noiseVariance;
        Inputs = inputs ?? RegressionInputOptions.Default;
    }

    public string Name => "relu-net";
    public int Dimension { get; }
    public int Hidden { get; }
    public double NoiseVariance { get; }
    public RegressionInputOptions Inputs { get; }

    public RegressionBatch Sample(int batchSize, int points, long seed, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        RegressionChecks.AtLeast("BatchSize", batchSize, 1);
        RegressionChecks.AtLeast("Points", points, 1);
        using var scope = NewDisposeScope();
        using var taskGen = RegressionInputs.Stream(seed, TaskStream);
        using var inputGen = RegressionInputs.Stream(seed, InputStream);
        var first = randn(new long[] { batchSize, Dimension, Hidden }, ScalarType.Float64, generator: taskGen);   // columns are w_h
        var second = randn(new long[] { batchSize, Hidden, 1 }, ScalarType.Float64, generator: taskGen);         // a_h
        var x = RegressionInputs.Sample(inputGen, batchSize, points, Dimension, Inputs);
        var noise = randn(new long[] { batchSize, points }, ScalarType.Float64, generator: inputGen) * Math.Sqrt(NoiseVariance);
        var y = nn.functional.relu(x.matmul(first)).matmul(second).squeeze(-1) * Math.Sqrt(2.0 / Hidden) + noise;
        return RegressionBatch.From(x, y, null, null, dtype, device);
    }
}
