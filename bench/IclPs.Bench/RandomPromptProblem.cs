using IclPs.Engine.Models;
using IclPs.Engine.TaskVectors;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Bench;

/// <summary>
/// A task-vector problem of seeded random prompts of a fixed length, for timing: uniform token ids with a random answer token
/// (cross-entropy of the last-position logits) on a language model, N(0, 1) token vectors with a N(0, 1) target (squared error of
/// the last-position read-out) on a regression model. The values do not change the work; every prompt kind has the same length.
/// </summary>
public sealed class RandomPromptProblem(TransformerModel model, int tokens) : TaskVectorProblem
{
    private bool Regression => model.Config.Family == ModelFamily.Regression;

    public override TransformerModel Network => model;
    public override string ModelName => model.Identity;
    public override string Source => $"random prompts of {tokens} tokens";
    public override string MetricName => Regression ? "SquaredError" : "Accuracy";
    public override bool HigherMetricIsBetter => !Regression;

    public override IEnumerable<TaskPromptBatch> Prompts(TaskPromptKind kind, TaskDataSplit split, int shots, int count, int batchSize, int seed)
    {
        for (var start = 0; start < count; start += batchSize)
            yield return Batch(Math.Min(batchSize, count - start), seed * 1_000_003L + (int)split * 7919L + start);
    }

    public override Tensor Predict(TaskPromptBatch batch, HookSet? hooks) => Regression
        ? ((RegressionModel)model).Predict(batch.Inputs, batch.Mask, hooks).select(1, -1)
        : model.Forward(batch.Inputs, batch.Mask, hooks, lastPositionOnly: true);

    public override Tensor Loss(Tensor output, TaskPromptBatch batch) => Regression
        ? (output - batch.Targets).square()
        : nn.functional.cross_entropy(output, batch.Targets, reduction: nn.Reduction.None);

    public override Tensor Score(Tensor output, TaskPromptBatch batch) => Regression
        ? -Loss(output, batch)
        : output.softmax(-1).gather(1, batch.Targets.unsqueeze(1)).squeeze(1);

    public override Tensor Metric(Tensor output, TaskPromptBatch batch) => Regression
        ? Loss(output, batch) / model.Config.InputDim
        : output.argmax(-1).eq(batch.Targets).to(ScalarType.Float32);

    private TaskPromptBatch Batch(int n, long seed)
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator((ulong)seed, CPU);
        var config = model.Config;
        var inputs = Regression
            ? randn(new long[] { n, tokens, config.InputDim }, generator: gen).to(model.DType, model.Device)
            : randint(config.VocabSize, new long[] { n, tokens }, generator: gen).to(model.Device);
        var targets = Regression
            ? randn(new long[] { n }, generator: gen).to(model.DType, model.Device)
            : randint(config.VocabSize, new long[] { n }, generator: gen).to(model.Device);
        var mask = ones(n, tokens, dtype: ScalarType.Int64, device: model.Device);
        return new TaskPromptBatch(inputs, mask, targets, Enumerable.Range(0, n).Select(i => $"random {i}").ToArray());
    }
}
