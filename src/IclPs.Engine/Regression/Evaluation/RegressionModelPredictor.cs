using IclPs.Engine.Models;
using IclPs.Engine.Regression.Baselines;
using IclPs.Engine.Regression.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Evaluation;

/// <summary>
/// A trained <see cref="RegressionModel"/> as a predictor with the baselines' contract: the prediction of y_k is read at
/// the x_k token, which the causal model computes from the pairs before it and x_k only. Runs in batches without gradients.
/// <see cref="Hooks"/>, when set, makes the hooks of each forward pass (e.g. a task vector injected at the last x token,
/// column -2), so only the last prediction of a prompt is affected.
/// </summary>
public sealed class RegressionModelPredictor : IRegressionBaseline
{
    public RegressionModelPredictor(RegressionModel model, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(model);
        RegressionChecks.AtLeast("BatchSize", batchSize, 1);
        (Model, BatchSize) = (model, batchSize);
    }

    public string Name => "model";
    public RegressionModel Model { get; }
    public int BatchSize { get; }
    /// <summary>Fresh hooks for each forward pass; the predictor disposes them after the pass.</summary>
    public Func<HookSet?>? Hooks { get; init; }

    public Tensor Predict(Tensor x, Tensor y)
    {
        RegressionChecks.Pairs(x, y);
        var width = Model.Config.InputDim;
        if (x.shape[2] + 1 > width)
            throw new IclPsException(RegressionRunErrorIds.ModelTooSmall, IclErrorKind.InvalidArgument,
                $"D = {x.shape[2]} needs a read-in of at least {x.shape[2] + 1} channels; the model has {width}.", width);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var parts = new List<Tensor>();
        for (long start = 0; start < x.shape[0]; start += BatchSize)
        {
            var len = Math.Min(BatchSize, x.shape[0] - start);
            var tokens = RegressionBatchSource.Pad(RegressionTokens.Encode(x.narrow(0, start, len), y.narrow(0, start, len)), width);
            using var hooks = Hooks?.Invoke();
            var output = Model.Predict(tokens, hooks: hooks).unsqueeze(-1);                     // [b, 2K, 1]
            parts.Add(RegressionTokens.ReadPredictions(output).to(ScalarType.Float64, x.device));
        }
        return cat(parts, 0).MoveToOuterDisposeScope();
    }
}
