using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression;

/// <summary>
/// Garg et al.'s decision trees: a full binary tree of the given depth per sequence; every internal node splits on
/// x_i &gt; 0 for a uniformly chosen coordinate i (going right when true), every leaf holds a N(0, 1) value.
/// </summary>
public sealed class DecisionTreeTaskFamily : IRegressionTaskFamily
{
    private const long TaskStream = 1, InputStream = 2;

    public DecisionTreeTaskFamily(int dimension = 8, int depth = 4, double noiseVariance = 0, RegressionInputOptions? inputs = null)
    {
        RegressionChecks.AtLeast("Dimension", dimension, 1);
        RegressionChecks.AtLeast("Depth", depth, 1);
        if (depth > 20)
            throw new IclPsException(RegressionErrorIds.InvalidOption, IclErrorKind.InvalidArgument, $"Depth must be at most 20 (2^(depth+1) nodes per sequence); got {depth}.", depth);
        RegressionChecks.NonNegative("NoiseVariance", noiseVariance);
        Dimension = dimension;
        Depth = depth;
        NoiseVariance = noiseVariance;
        Inputs = inputs ?? RegressionInputOptions.Default;
    }

    public string Name => "decision-tree";
    public int Dimension { get; }
    public int Depth { get; }
    public double NoiseVariance { get; }
    public RegressionInputOptions Inputs { get; }

    public RegressionBatch Sample(int batchSize, int points, long seed, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        RegressionChecks.AtLeast("BatchSize", batchSize, 1);
        RegressionChecks.AtLeast("Points", points, 1);
        using var scope = NewDisposeScope();
        using var taskGen = RegressionInputs.Stream(seed, TaskStream);
        using var inputGen = RegressionInputs.Stream(seed, InputStream);
        // Heap layout: node n has children 2n+1 (x_i <= 0) and 2n+2 (x_i > 0); leaves are the last 2^depth nodes.
        var nodes = (1L << (Depth + 1)) - 1;
        var feature = randint(Dimension, new long[] { batchSize, nodes }, ScalarType.Int64, generator: taskGen);
        var value = randn(new long[] { batchSize, nodes }, ScalarType.Float64, generator: taskGen);
        var x = RegressionInputs.Sample(inputGen, batchSize, points, Dimension, Inputs);

        var node = zeros(new long[] { batchSize, points }, ScalarType.Int64);            // [b, K]
        for (var level = 0; level < Depth; level++)
        {
            var split = feature.gather(1, node);                                           // [b, K]
            var goesRight = x.gather(2, split.unsqueeze(-1)).squeeze(-1).gt(0).to(ScalarType.Int64);
            node = node * 2 + 1 + goesRight;
        }
        var noise = randn(new long[] { batchSize, points }, ScalarType.Float64, generator: inputGen) * Math.Sqrt(NoiseVariance);
        var y = value.gather(1, node) + noise;
        return RegressionBatch.From(x, y, null, null, dtype, device);
    }
}
