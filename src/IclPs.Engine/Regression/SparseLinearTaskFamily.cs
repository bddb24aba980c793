using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression;

/// <summary>Garg et al.'s sparse linear class: w ~ N(0, I_D) with all but s uniformly chosen coordinates set to 0; a fresh w per sequence.</summary>
public sealed class SparseLinearTaskFamily : IRegressionTaskFamily
{
    private const long TaskStream = 1, InputStream = 2;

    public SparseLinearTaskFamily(int dimension = 8, int sparsity = 3, double noiseVariance = 0, RegressionInputOptions? inputs = null)
    {
        RegressionChecks.AtLeast("Dimension", dimension, 1);
        RegressionChecks.AtLeast("Sparsity", sparsity, 1);
        if (sparsity > dimension)
            throw new IclPsException(RegressionErrorIds.InvalidOption, IclErrorKind.InvalidArgument, $"Sparsity must be at most the dimension {dimension}; got {sparsity}.", sparsity);
        RegressionChecks.NonNegative("NoiseVariance", noiseVariance);
        Dimension = dimension;
        Sparsity = sparsity;
        NoiseVariance = noiseVariance;
        Inputs = inputs ?? RegressionInputOptions.Default;
    }

    public string Name => "sparse-linear";
    public int Dimension { get; }
    public int Sparsity { get; }
    public double NoiseVariance { get; }
    public RegressionInputOptions Inputs { get; }

    public RegressionBatch Sample(int batchSize, int points, long seed, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        RegressionChecks.AtLeast("BatchSize", batchSize, 1);
        RegressionChecks.AtLeast("Points", points, 1);
        using var scope = NewDisposeScope();
        using var taskGen = RegressionInputs.Stream(seed, TaskStream);
        using var inputGen = RegressionInputs.Stream(seed, InputStream);
        var w = randn(new long[] { batchSize, Dimension }, ScalarType.Float64, generator: taskGen);
        // A uniformly random s-subset per row: the first s entries of a random permutation (argsort of iid uniforms).
        var kept = rand(new long[] { batchSize, Dimension }, ScalarType.Float64, generator: taskGen).argsort(1).narrow(1, 0, Sparsity);
        var mask = zeros_like(w).scatter_(1, kept, ones(batchSize, Sparsity, ScalarType.Float64));
        w = w * mask;
        var x = RegressionInputs.Sample(inputGen, batchSize, points, Dimension, Inputs);
        var noise = randn(new long[] { batchSize, points }, ScalarType.Float64, generator: inputGen) * Math.Sqrt(NoiseVariance);
        var y = x.matmul(w.unsqueeze(-1)).squeeze(-1) + noise;
        return RegressionBatch.From(x, y, w, null, dtype, device);
    }
}
