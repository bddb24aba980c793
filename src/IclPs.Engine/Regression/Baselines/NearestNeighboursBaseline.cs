using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Baselines;

/// <summary>k-nearest neighbours: the mean y of the (up to) k context points nearest x_k in Euclidean distance. 0 without context.</summary>
public sealed class NearestNeighboursBaseline : IRegressionBaseline
{
    public NearestNeighboursBaseline(int neighbours = 3)
    {
        RegressionChecks.AtLeast("Neighbours", neighbours, 1);
        Neighbours = neighbours;
    }

    public string Name => $"{Neighbours}-nn";
    public int Neighbours { get; }

    public Tensor Predict(Tensor x, Tensor y)
    {
        RegressionChecks.Pairs(x, y);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var xs = x.to(ScalarType.Float64);
        var ys = y.to(ScalarType.Float64, x.device);
        long b = x.shape[0], k = x.shape[1];
        var predictions = new Tensor[k];
        predictions[0] = zeros(new[] { b }, ScalarType.Float64, x.device);
        for (var n = 1; n < k; n++)
        {
            var distance = (xs.narrow(1, 0, n) - xs.narrow(1, n, 1)).square().sum(-1);       // [b, n]
            var nearest = distance.topk(Math.Min(Neighbours, n), dim: 1, largest: false).indexes;
            predictions[n] = ys.narrow(1, 0, n).gather(1, nearest).mean(new long[] { 1 });
        }
        return stack(predictions, 1).MoveToOuterDisposeScope();
    }
}
