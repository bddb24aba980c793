using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.GradientDescent;

/// <summary>
/// The whole of von Oswald et al.'s single-layer comparison: train a <see cref="LinearSelfAttentionModel"/> on
/// <see cref="VonOswaldTasks"/>, tune one GD step's learning rate on a held-out evaluation batch, and compare the two there.
/// </summary>
public static class GradientDescentExperiment
{
    public static GradientDescentExperimentResult Run(VonOswaldTasks tasks, LinearSelfAttentionTraining training, int evaluationSamples = 10_000,
        long evaluationSeed = -1, Device? device = null, IProgress<(int Step, double Loss)>? progress = null, CancellationToken cancellationToken = default)
    {
        RegressionChecks.AtLeast("EvaluationSamples", evaluationSamples, 1);
        var lastLoss = double.NaN;
        using var model = LinearSelfAttentionTrainer.Train(tasks, training, ScalarType.Float32, device,
            new SynchronousProgress<(int Step, double Loss)>(p => { lastLoss = p.Loss; progress?.Report(p); }), cancellationToken);
        using var scope = NewDisposeScope();
        // float64 evaluation, so the comparison measures the trained weights, not float32 rounding.
        using var batch = tasks.Sample(evaluationSamples, evaluationSeed, ScalarType.Float64, device);
        var eta = GradientDescentComparison.OptimalLearningRate(batch);
        using var w0 = zeros(tasks.Dimension, ScalarType.Float64, device ?? CPU);
        using var gd = GdLinearSelfAttention.OneGdStep(w0, eta, tasks.ContextPoints);
        var comparison = GradientDescentComparison.Compare(model.PredictQuery, gd.PredictQuery, batch);
        return new GradientDescentExperimentResult(tasks, training, eta, lastLoss, comparison);
    }
}
