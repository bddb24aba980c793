using IclPs.Engine.Data;
using IclPs.Engine.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.GradientDescent;

/// <summary>
/// Trains a <see cref="LinearSelfAttentionModel"/> on <see cref="VonOswaldTasks"/> with Adam (no weight decay): a fresh batch
/// per step, loss 0.5 * mean (yhat_q - y_q)^2. A plain loop rather than <see cref="IclTrainer"/>, which trains token-sequence
/// transformers; one layer with four matrices needs neither checkpoints nor schedules.
/// </summary>
public static class LinearSelfAttentionTrainer
{
    /// <param name="progress">Receives (step, loss) after every update.</param>
    public static LinearSelfAttentionModel Train(VonOswaldTasks tasks, LinearSelfAttentionTraining options, ScalarType dtype = ScalarType.Float32,
        Device? device = null, IProgress<(int Step, double Loss)>? progress = null, CancellationToken cancellationToken = default)
    {
        tasks.Validate();
        options.Validate();
        var model = new LinearSelfAttentionModel(tasks.Dimension, options.Seed, options.InitStd, dtype, device);
        using var optimizer = new AdamWOptimizer(model.Weights());
        for (var step = 0; step < options.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            using var batch = tasks.Sample(options.BatchSize, BatchSeed(options.Seed, step), dtype, device);
            var loss = (model.PredictQuery(batch.X, batch.Y, batch.Query) - batch.Target).square().mean() * 0.5;
            model.zero_grad();
            loss.backward();
            optimizer.Step(options.LearningRate);
            var value = loss.to(ScalarType.Float64).item<double>();
            if (!double.IsFinite(value))
            {
                model.Dispose();
                throw new TrainingDivergedException(step + 1, "loss", value, null);
            }
            progress?.Report((step + 1, value));
        }
        return model;
    }

    // Independent of the initialisation stream, which uses the seed itself.
    private static long BatchSeed(long seed, int step) => (long)new SeededRandom(seed, step + 1).NextUInt64();
}
