using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.GradientDescent;

/// <summary>
/// Von Oswald et al.'s comparison of two in-context predictors on the same queries (docs/science.md §3): mean |yhat_A - yhat_B|,
/// mean ||d yhat_A/d x_q - d yhat_B/d x_q|| and mean cosine between those gradients (autograd), plus 0.5*MSE of each and of
/// predicting zero. A predictor maps (x [b, N, d], y [b, N], xq [b, d]) to [b], each query's prediction depending only on its own
/// sequence, so the gradient of the sum is every query's own gradient.
/// </summary>
public static class GradientDescentComparison
{
    public delegate Tensor QueryPredictor(Tensor x, Tensor y, Tensor xq);

    /// <summary>
    /// The one-step GD predictor from w_0 = 0 with the learning rate that minimises its 0.5*MSE on <paramref name="batch"/>: the
    /// prediction is eta * a with a = (1/N) sum_i y_i x_i.x_q, linear in eta, so the 1-D search has the exact answer
    /// eta* = sum a y_q / sum a^2.
    /// </summary>
    public static double OptimalLearningRate(QueryBatch batch)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = batch.X.to(ScalarType.Float64);
        var a = GradientDescentStep.Predict(x, batch.Y.to(ScalarType.Float64), batch.Query.to(ScalarType.Float64),
            zeros(batch.Dimension, ScalarType.Float64, x.device), 1.0);
        var denominator = a.square().sum().item<double>();
        if (!(denominator > 0))
            throw new IclPsException(RegressionErrorIds.InvalidOption, IclErrorKind.InvalidArgument,
                "Every unit-step GD prediction on this batch is 0 (all y or all x.x_q are 0): no learning rate is better than another.", batch);
        return (a * batch.Target.to(ScalarType.Float64)).sum().item<double>() / denominator;
    }

    /// <summary>Compares <paramref name="first"/> (e.g. a trained layer) with <paramref name="second"/> (e.g. tuned GD) on <paramref name="batch"/>, in float64 statistics.</summary>
    public static GradientDescentComparisonResult Compare(QueryPredictor first, QueryPredictor second, QueryBatch batch)
    {
        using var scope = NewDisposeScope();
        var (yA, gA) = PredictionAndGradient(first, batch);
        var (yB, gB) = PredictionAndGradient(second, batch);
        var target = batch.Target.to(ScalarType.Float64);
        var cosine = nn.functional.cosine_similarity(gA, gB, dim: 1, eps: 1e-12);
        double Mean(Tensor t) => t.mean().item<double>();
        return new GradientDescentComparisonResult
        {
            Samples = batch.BatchSize,
            MeanPredictionDifference = Mean((yA - yB).abs()),
            MeanGradientDifference = Mean((gA - gB).norm(1)),
            MeanGradientCosine = Mean(cosine),
            FirstHalfMse = 0.5 * Mean((yA - target).square()),
            SecondHalfMse = 0.5 * Mean((yB - target).square()),
            ZeroHalfMse = 0.5 * Mean(target.square()),
        };
    }

    // -> predictions [b] and d yhat / d x_q [b, d], both float64 and detached.
    private static (Tensor Prediction, Tensor Gradient) PredictionAndGradient(QueryPredictor predictor, QueryBatch batch)
    {
        var xq = batch.Query.detach().clone().requires_grad_(true);
        using var enabled = enable_grad();
        var prediction = predictor(batch.X, batch.Y, xq);
        if (prediction.dim() != 1 || prediction.shape[0] != batch.BatchSize)
            throw new IclPsException(RegressionErrorIds.ShapeMismatch, IclErrorKind.InvalidArgument,
                $"A predictor must return [b] = [{batch.BatchSize}]; got {RegressionChecks.Shape(prediction)}.", prediction);
        var gradient = torch.autograd.grad(new[] { prediction.sum() }, new[] { xq }, allow_unused: true)[0];
        gradient = gradient.IsInvalid ? zeros_like(xq) : gradient;
        return (prediction.detach().to(ScalarType.Float64), gradient.detach().to(ScalarType.Float64));
    }
}
