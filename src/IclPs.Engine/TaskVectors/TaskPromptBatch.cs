using static TorchSharp.torch;

namespace IclPs.Engine.TaskVectors;

/// <summary>
/// Left-padded prompts for one forward pass, so every prompt's prediction position is the last column.
/// <see cref="Inputs"/>: token ids [b, t] (int64) for language models, token vectors [b, t, d_in] for regression models.
/// <see cref="Targets"/>: the first answer token id [b] (int64), or the query's y [b] (float).
/// <see cref="Queries"/>: one label per prompt (query input and expected output) for per-prompt logs.
/// </summary>
public sealed class TaskPromptBatch : IDisposable
{
    public TaskPromptBatch(Tensor inputs, Tensor mask, Tensor targets, IReadOnlyList<string> queries)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(queries);
        if (inputs.dim() < 2 || !mask.shape.SequenceEqual(inputs.shape[..2]) || targets.dim() != 1 || targets.shape[0] != inputs.shape[0] || queries.Count != inputs.shape[0])
            throw new ArgumentException($"Inconsistent prompt batch: inputs [{string.Join(", ", inputs.shape)}], mask [{string.Join(", ", mask.shape)}], targets [{string.Join(", ", targets.shape)}], {queries.Count} query labels.");
        Inputs = inputs.DetachFromDisposeScope();
        Mask = mask.DetachFromDisposeScope();
        Targets = targets.DetachFromDisposeScope();
        Queries = queries;
    }

    public Tensor Inputs { get; }
    public Tensor Mask { get; }
    public Tensor Targets { get; }
    public IReadOnlyList<string> Queries { get; }
    public int Count => (int)Inputs.shape[0];
    public int Length => (int)Inputs.shape[1];
    /// <summary>The prediction position of every prompt (left padding).</summary>
    public int PredictionColumn => Length - 1;

    public void Dispose()
    {
        Inputs.Dispose();
        Mask.Dispose();
        Targets.Dispose();
    }
}
