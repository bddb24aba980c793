using IclPs.Engine.Models;
using static TorchSharp.torch;

namespace IclPs.Engine.TaskVectors;

/// <summary>
/// A frozen model and the task its vectors are built for: how to make prompts of each kind, run them with hooks, and score
/// the prediction. The methods (task vector, function vector, LTV) are written against this, so they serve text and
/// regression models alike.
/// </summary>
public abstract class TaskVectorProblem
{
    public abstract TransformerModel Network { get; }
    /// <summary>The model's name and source, recorded in the vector's provenance.</summary>
    public abstract string ModelName { get; }
    /// <summary>The dataset or task family, recorded in the vector's provenance.</summary>
    public abstract string Source { get; }
    /// <summary>Name of <see cref="Metric"/>: "Accuracy" (first answer token) or "SquaredError" (per dimension).</summary>
    public abstract string MetricName { get; }
    public abstract bool HigherMetricIsBetter { get; }

    /// <summary>
    /// Up to <paramref name="count"/> prompts of <paramref name="kind"/> with <paramref name="shots"/> demonstrations (ignored for
    /// <see cref="TaskPromptKind.ZeroShot"/>), queries from <paramref name="split"/>, in batches of <paramref name="batchSize"/>;
    /// the same arguments give the same prompts. The caller disposes each batch.
    /// </summary>
    public abstract IEnumerable<TaskPromptBatch> Prompts(TaskPromptKind kind, TaskDataSplit split, int shots, int count, int batchSize, int seed);

    /// <summary>
    /// The model's output at the prediction column: logits [b, vocab] for language models, predictions [b] for regression.
    /// Gradients flow unless the caller disables them.
    /// </summary>
    public abstract Tensor Predict(TaskPromptBatch batch, HookSet? hooks);

    /// <summary>
    /// <see cref="Predict"/>'s format for the model's raw read-out at the prediction column ([b, vocab], or [b, 1] for a
    /// regression model), e.g. from <see cref="TransformerModel.ForwardLastFrom"/>. Language models return it unchanged.
    /// </summary>
    public virtual Tensor FromReadOut(Tensor readOut) => readOut;

    /// <summary>Per-prompt training loss [b]: cross-entropy of the first answer token, or squared error of the query prediction.</summary>
    public abstract Tensor Loss(Tensor output, TaskPromptBatch batch);

    /// <summary>Per-prompt effect score [b], higher is better: probability of the first answer token, or minus the squared error.</summary>
    public abstract Tensor Score(Tensor output, TaskPromptBatch batch);

    /// <summary>Per-prompt metric [b] (float): 1/0 first-token correctness, or squared error divided by the input dimension.</summary>
    public abstract Tensor Metric(Tensor output, TaskPromptBatch batch);
}
