using System.Globalization;
using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Regression;
using IclPs.Engine.Regression.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.TaskVectors;

/// <summary>
/// A regression model and a task family as a task-vector problem. A prompt is k pairs (x, y) then the query x, in the token
/// layout of <see cref="RegressionTokens"/> (x-token [0, x], y-token [y, 0]) zero-padded to the read-in width; the prediction
/// is the read-out at the query's x-token, the last column. Tasks come from the family per prompt (fresh unless the family
/// draws from a pool), inputs from its <see cref="RegressionInputOptions"/> (skewed covariance, orthogonal query), noise
/// from its noise variance. Train, valid and test draw from independent seeds.
/// </summary>
public sealed class RegressionTaskVectorProblem : TaskVectorProblem
{
    private const long ShuffleStream = 0x53485546L;

    private readonly IclRegressionModel _model;

    public RegressionTaskVectorProblem(IclRegressionModel model, IRegressionTaskFamily family, RegressionTaskLoss loss = RegressionTaskLoss.SquaredError, double huberDelta = 1.0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(family);
        if (model.Config.InputDim < family.Dimension + 1)
            throw new IclPsException(RegressionRunErrorIds.ModelTooSmall, IclErrorKind.InvalidArgument,
                $"D = {family.Dimension} needs a read-in of at least {family.Dimension + 1} channels; model {model.Name} has {model.Config.InputDim}.", model.Config.InputDim);
        if (!(huberDelta > 0) || !double.IsFinite(huberDelta))
            throw new IclPsException(TaskVectorErrorIds.InvalidOption, IclErrorKind.InvalidArgument, $"The Huber delta must be a positive number, got {huberDelta}.", huberDelta);
        _model = model;
        Family = family;
        LossKind = loss;
        HuberDelta = huberDelta;
    }

    public IRegressionTaskFamily Family { get; }
    public RegressionTaskLoss LossKind { get; }
    public double HuberDelta { get; }
    public override TransformerModel Network => _model.Network;
    public override string ModelName => $"{_model.Name} ({_model.Source})";
    public override string Source => string.Create(CultureInfo.InvariantCulture,
        $"{Family.Name} D={Family.Dimension} noise={Family.NoiseVariance:R} inputs={Family.Inputs.Covariance}{(Family.Inputs.OrthogonalQuery ? "+orthogonal-query" : "")}");
    public override string MetricName => "SquaredError";
    public override bool HigherMetricIsBetter => false;

    /// <summary>
    /// Exactly <paramref name="count"/> prompts; batch j is drawn from a seed derived from (<paramref name="seed"/>,
    /// <paramref name="split"/>, j). Zero-shot prompts are the query x alone; shuffled labels permute the k demonstration
    /// y's by a seeded derangement; a dummy query is a clean prompt (a regression query carries no task of its own).
    /// </summary>
    public override IEnumerable<TaskPromptBatch> Prompts(TaskPromptKind kind, TaskDataSplit split, int shots, int count, int batchSize, int seed)
    {
        void Require(bool ok, string message, object value)
        {
            if (!ok) throw new IclPsException(TaskVectorErrorIds.InvalidOption, IclErrorKind.InvalidArgument, message, value);
        }
        Require(count >= 1, $"Prompt count must be at least 1, got {count}.", count);
        Require(batchSize >= 1, $"Batch size must be at least 1, got {batchSize}.", batchSize);
        Require(kind == TaskPromptKind.ZeroShot || shots >= 1, $"A {kind} prompt needs at least 1 demonstration, got {shots}.", shots);
        Require(kind != TaskPromptKind.ShuffledLabels || shots >= 2, $"Shuffled labels need at least 2 demonstrations to permute, got {shots}.", shots);
        var points = kind == TaskPromptKind.ZeroShot ? 1 : shots + 1;
        Require(2 * points - 1 <= Network.Config.ContextLength, $"{shots} demonstrations need {2 * points - 1} positions; the model's context is {Network.Config.ContextLength}.", shots);
        return Batches(kind, split, points, count, batchSize, seed);
    }

    private IEnumerable<TaskPromptBatch> Batches(TaskPromptKind kind, TaskDataSplit split, int points, int count, int batchSize, int seed)
    {
        for (var start = 0; start < count; start += batchSize)
        {
            yield return Draw(kind, split, points, start, Math.Min(batchSize, count - start), seed);
        }
    }

    private TaskPromptBatch Draw(TaskPromptKind kind, TaskDataSplit split, int points, int start, int n, int seed)
    {
        using var scope = NewDisposeScope();
        var batchSeed = (long)new SeededRandom(seed, ((long)split << 40) + start).NextUInt64();
        using var sample = Family.Sample(n, points, batchSeed, ScalarType.Float64);
        var y = sample.Y;
        if (kind == TaskPromptKind.ShuffledLabels)
        {
            var shots = points - 1;
            var order = new long[n * points];
            for (var r = 0; r < n; r++)
            {
                var permutation = Derangement.Draw(shots, new SeededRandom(batchSeed ^ ShuffleStream, r));
                for (var k = 0; k < shots; k++) order[r * points + k] = permutation[k];
                order[r * points + shots] = shots;
            }
            y = y.gather(1, tensor(order, new long[] { n, points }, dtype: ScalarType.Int64));
        }
        // Drop the query's y-token: the prompt ends at the query's x-token, where the prediction is read.
        var tokens = RegressionTokens.Encode(sample.X, y).narrow(1, 0, 2 * points - 1);
        tokens = RegressionBatchSource.Pad(tokens, Network.Config.InputDim).to(Network.DType, Network.Device);
        var mask = ones(n, 2 * points - 1, dtype: ScalarType.Int64, device: Network.Device);
        var targets = sample.Y.select(1, points - 1).to(Network.DType, Network.Device);
        var labels = Enumerable.Range(start, n).Select(i => string.Create(CultureInfo.InvariantCulture, $"{split} prompt {i}")).ToArray();
        return new TaskPromptBatch(tokens, mask, targets, labels);
    }

    public override Tensor Predict(TaskPromptBatch batch, HookSet? hooks)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var scope = NewDisposeScope();
        return _model.Network.Predict(batch.Inputs, batch.Mask, hooks).select(1, -1).MoveToOuterDisposeScope();
    }

    public override Tensor FromReadOut(Tensor readOut) => readOut.select(-1, 0);

    public override Tensor Loss(Tensor output, TaskPromptBatch batch)
    {
        using var scope = NewDisposeScope();
        var error = output - batch.Targets.to(output.dtype, output.device);
        var loss = LossKind == RegressionTaskLoss.SquaredError ? error.square() : HuberLoss.Of(error, HuberDelta);
        return loss.MoveToOuterDisposeScope();
    }

    public override Tensor Score(Tensor output, TaskPromptBatch batch)
    {
        using var scope = NewDisposeScope();
        return (output.to(ScalarType.Float64) - batch.Targets.to(ScalarType.Float64, output.device)).square().neg().MoveToOuterDisposeScope();
    }

    public override Tensor Metric(Tensor output, TaskPromptBatch batch)
    {
        using var scope = NewDisposeScope();
        return ((output.to(ScalarType.Float64) - batch.Targets.to(ScalarType.Float64, output.device)).square() / Family.Dimension)
            .to(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}
