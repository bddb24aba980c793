using TorchSharp;

namespace IclPs.Engine.Training;

/// <summary>
/// Training data for <see cref="IclTrainer"/>: one batch per step, a pure function of (step, batch size, generator), so a
/// resumed run sees exactly the batches an uninterrupted run would. The regression task families and text corpora plug in here.
/// </summary>
public interface IBatchSource
{
    /// <summary>What the stream is (task family, dimensions, points, pool seed...); a resume onto a different stream is refused.</summary>
    string Description { get; }

    /// <summary>
    /// The batch of update <paramref name="step"/> (0-based). Draw every per-step random choice from
    /// <paramref name="generator"/>, which the trainer seeds from its seed and the step; fixed choices (such as a task pool)
    /// come from the source's own seed. The trainer disposes the returned tensors.
    /// </summary>
    TrainingBatch Next(int step, int batchSize, torch.Generator generator);
}
