using IclPs.Engine.Regression.Baselines;
using IclPs.Engine.Regression.Evaluation;
using IclPs.Engine.Regression.Runs;
using IclPs.Engine.TaskVectors;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Prompting;

/// <summary>
/// Runs numeric prompts through a regression model and baselines. A prompt of K points becomes the tokens of
/// <see cref="RegressionTokens.Encode"/> with y_K = 0 (the causal model reads its prediction at the x_K token, before y_K;
/// the baselines never use y_K for element K), and the last element of <see cref="RegressionModelPredictor"/>'s and each
/// baseline's predictions is the answer. Consecutive prompts of one shape run as one batch. A task vector, when given, is
/// injected at the x_K token (the prediction position) of every prompt; the baselines never see it.
/// </summary>
public sealed class RegressionPromptRunner
{
    private readonly RegressionModelPredictor _predictor;

    /// <param name="interventions">Receives what the task vector's injections changed, when given.</param>
    public RegressionPromptRunner(IclRegressionModel model, IReadOnlyList<IRegressionBaseline>? baselines = null, int batchSize = 256, TaskVector? taskVector = null,
        Models.InterventionTally? interventions = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        Baselines = baselines ?? [];
        foreach (var b in Baselines) Column(b);
        TaskVector = taskVector;
        taskVector?.Shape.CheckFits(model.Config, $"The {taskVector.Method} task vector");
        // The last token is y_K's placeholder; the prediction is read at x_K, one column before it.
        _predictor = new RegressionModelPredictor(model.Network, batchSize)
        {
            Hooks = taskVector is null ? null : () => taskVector.CreateHooks(model.Network, -2).ReportTo(interventions),
        };
    }

    public IclRegressionModel Model { get; }
    public TaskVector? TaskVector { get; }
    public IReadOnlyList<IRegressionBaseline> Baselines { get; }

    /// <summary>Throws an <see cref="IclPsException"/> naming the query when the model (or the dMMSE pool) cannot read it.</summary>
    public void Check(RegressionPrompt prompt)
    {
        var config = Model.Config;
        if (prompt.Dimension + 1 > config.InputDim)
            throw RegressionPrompt.Error(RegressionPromptErrorIds.WrongDimension, prompt.Index,
                $"D = {prompt.Dimension} needs a read-in of {prompt.Dimension + 1} channels; model {Model.Name} has {config.InputDim} (D <= {config.InputDim - 1}).", prompt);
        if (2 * prompt.Points > config.ContextLength)
            throw RegressionPrompt.Error(RegressionPromptErrorIds.TooManyPoints, prompt.Index,
                $"K = {prompt.Points} points take {2 * prompt.Points} tokens; model {Model.Name}'s context holds {config.ContextLength} (K <= {config.ContextLength / 2}).", prompt);
        foreach (var b in Baselines.OfType<DmmseBaseline>())
            if (b.Pool.shape[1] != prompt.Dimension)
                throw RegressionPrompt.Error(RegressionPromptErrorIds.WrongDimension, prompt.Index,
                    $"D = {prompt.Dimension}, but the dMMSE task pool's tasks have D = {b.Pool.shape[1]}.", prompt);
    }

    /// <summary>One result per prompt, in order; <paramref name="seed"/> is recorded on each (the seed of generated prompts).</summary>
    public IReadOnlyList<RegressionPromptResult> Run(IReadOnlyList<RegressionPrompt> prompts, long? seed = null, CancellationToken cancellationToken = default)
    {
        foreach (var p in prompts) Check(p);
        var results = new List<RegressionPromptResult>(prompts.Count);
        for (var start = 0; start < prompts.Count;)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var end = start + 1;
            while (end < prompts.Count && end - start < _predictor.BatchSize
                   && prompts[end].Points == prompts[start].Points && prompts[end].Dimension == prompts[start].Dimension) end++;
            results.AddRange(RunGroup(prompts.Skip(start).Take(end - start).ToArray(), seed));
            start = end;
        }
        return results;
    }

    private IEnumerable<RegressionPromptResult> RunGroup(RegressionPrompt[] group, long? seed)
    {
        using var scope = NewDisposeScope();
        int b = group.Length, k = group[0].Points, d = group[0].Dimension;
        var device = Model.Network.Device;
        var x = tensor(group.SelectMany(p => p.X.SelectMany(r => r)).ToArray(), new long[] { b, k, d }, ScalarType.Float64).to(device);
        var y = tensor(group.SelectMany(p => p.ContextTargets.Append(0.0)).ToArray(), new long[] { b, k }, ScalarType.Float64).to(device);
        double[] Last(Tensor predictions) => predictions.select(1, k - 1).to(ScalarType.Float64, CPU).data<double>().ToArray();
        var model = Last(_predictor.Predict(x.to(Model.Network.DType), y.to(Model.Network.DType)));
        var baselines = Baselines.Select(baseline => (Column: Column(baseline), Values: Last(baseline.Predict(x, y)))).ToArray();
        return group.Select((p, i) =>
        {
            double? Of(string column) => baselines.FirstOrDefault(c => c.Column == column).Values?[i];
            return new RegressionPromptResult
            {
                Index = p.Index,
                Prediction = model[i],
                Expected = p.Expected,
                SquaredError = p.Expected is { } e ? (model[i] - e) * (model[i] - e) : null,
                Ridge = Of(nameof(RegressionPromptResult.Ridge)),
                LeastSquares = Of(nameof(RegressionPromptResult.LeastSquares)),
                NearestNeighbours = Of(nameof(RegressionPromptResult.NearestNeighbours)),
                Averaging = Of(nameof(RegressionPromptResult.Averaging)),
                Dmmse = Of(nameof(RegressionPromptResult.Dmmse)),
                Points = k,
                Dimension = d,
                Model = Model.Name,
                Seed = seed,
                Intervention = TaskVector?.ToString(),
            };
        }).ToList();
    }

    // The result property each baseline fills.
    private static string Column(IRegressionBaseline baseline) => baseline switch
    {
        RidgeBaseline => nameof(RegressionPromptResult.Ridge),
        LeastSquaresBaseline => nameof(RegressionPromptResult.LeastSquares),
        NearestNeighboursBaseline => nameof(RegressionPromptResult.NearestNeighbours),
        AveragingBaseline => nameof(RegressionPromptResult.Averaging),
        DmmseBaseline => nameof(RegressionPromptResult.Dmmse),
        _ => throw new IclPsException(RegressionErrorIds.InvalidOption, IclErrorKind.InvalidArgument,
            $"Baseline '{baseline.Name}' has no column in a regression prompt result (ridge, least-squares, k-nn, averaging, dmmse).", baseline),
    };
}
