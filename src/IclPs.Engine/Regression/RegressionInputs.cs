using IclPs.Engine.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression;

/// <summary>Draws the inputs x [b, K, D] (float64, CPU) shared by every task family.</summary>
internal static class RegressionInputs
{
    public static Tensor Sample(Generator gen, int batchSize, int points, int dimension, RegressionInputOptions options)
    {
        if (options.OrthogonalQuery && points > dimension)
            throw new IclPsException(RegressionErrorIds.TooManyPointsForOrthogonalQuery, IclErrorKind.InvalidArgument,
                $"An orthogonal query needs at most D = {dimension} points (K-1 demonstrations must leave a free direction); got K = {points}.", points);
        var x = randn(new long[] { batchSize, points, dimension }, ScalarType.Float64, generator: gen);
        if (options.Covariance == InputCovariance.Skewed)
            x = x * arange(1, dimension + 1, ScalarType.Float64).reciprocal().sqrt();
        return options.OrthogonalQuery && points > 1 ? OrthogonaliseQuery(x) : x;
    }

    /// <summary>Independent generators per purpose (tasks, inputs) from one seed, so drawing tasks differently leaves x unchanged.</summary>
    public static Generator Stream(long seed, long stream) => new(new SeededRandom(seed, stream).NextUInt64());

    // x: [b, K, D] with K <= D
    private static Tensor OrthogonaliseQuery(Tensor x)
    {
        var k = x.shape[1];
        var context = x.narrow(1, 0, k - 1);                     // [b, K-1, D]
        var query = x.select(1, k - 1);                          // [b, D]
        var (basis, _) = linalg.qr(context.transpose(1, 2));     // [b, D, K-1], orthonormal columns spanning the context
        var along = basis.matmul(basis.transpose(1, 2).matmul(query.unsqueeze(-1))).squeeze(-1);
        var orthogonal = query - along;
        orthogonal = orthogonal * (query.norm(1, keepdim: true) / orthogonal.norm(1, keepdim: true));
        return cat(new[] { context, orthogonal.unsqueeze(1) }, 1);
    }
}
