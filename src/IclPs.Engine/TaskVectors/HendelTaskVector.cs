using System.Globalization;
using IclPs.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.TaskVectors;

/// <summary>
/// Hendel et al. 2023's task vector (docs/science.md §5): theta_l = the block output (resid_post) of layer l at the last
/// token, averaged over dummy-query prompts (k demonstrations, then a train item as query); it REPLACES layer L's
/// last-token hidden state of a zero-shot prompt, with L the layer whose replacement scores best on the validation split.
/// With <see cref="HendelTaskVectorOptions.Demonstrations"/> it is the paper's per-example vector: one test example's
/// demonstrations, each dummy-query prompt showing all of them, and L chosen on validation queries that each receive the
/// vector of their own demonstrations.
/// </summary>
public static class HendelTaskVector
{
    private const string Stage = "validation";

    public static TaskVector Build(TaskVectorProblem problem, HendelTaskVectorOptions? options = null, IProgress<TaskVectorProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        options ??= new HendelTaskVectorOptions();
        var config = problem.Network.Config;
        options.Validate(config.Layers);
        TextTaskVectorProblem? text = null;
        if (options.Demonstrations is not null)
        {
            text = problem as TextTaskVectorProblem ?? throw new IclPsException(TaskVectorErrorIds.InvalidOption, IclErrorKind.InvalidArgument,
                "Per-example task vectors (fixed demonstrations) need a text model and dataset.", problem.ModelName);
        }
        var (means, prompts) = MeanBlockOutputs(problem, text is null
            ? problem.Prompts(TaskPromptKind.DummyQuery, TaskDataSplit.Train, options.Shots, options.Prompts, options.BatchSize, options.Seed)
            : text.DummyQueryPrompts(options.Demonstrations!, options.Prompts, options.BatchSize, options.Seed), cancellationToken);
        var settings = new Dictionary<string, string>
        {
            ["averaged"] = $"blocks.*.hook_resid_post at the last token, mean over {prompts} DummyQuery prompts",
            ["prompt_kind"] = nameof(TaskPromptKind.DummyQuery),
            ["evaluation_prompt_kind"] = nameof(TaskPromptKind.ZeroShot),
            ["demonstrations"] = text is null ? "drawn per prompt" : string.Join(";", options.Demonstrations!.Select(d => $"{d.Input}->{d.Output}")),
        };
        int layer, validationPrompts = 0;
        if (options.Layer is int chosen)
        {
            layer = chosen;
            settings["layer_selection"] = "option";
        }
        else
        {
            var (metric, score, count) = text is null
                ? ValidationSweep(problem, options, means, progress, cancellationToken)
                : PerExampleValidationSweep(text, options, progress, cancellationToken);
            validationPrompts = count;
            var sign = problem.HigherMetricIsBetter ? 1 : -1;
            // Best metric; ties (common for accuracy on few prompts) go to the higher target score, then the earlier layer.
            layer = Enumerable.Range(0, config.Layers).OrderByDescending(l => sign * metric[l]).ThenByDescending(l => score[l]).ThenBy(l => l).First();
            settings["layer_selection"] = "validation";
            for (var l = 0; l < config.Layers; l++)
            {
                settings[$"validation_{problem.MetricName}.layer{l}"] = metric[l].ToString("R", CultureInfo.InvariantCulture);
                settings[$"validation_score.layer{l}"] = score[l].ToString("R", CultureInfo.InvariantCulture);
            }
        }
        settings["layer"] = layer.ToString(CultureInfo.InvariantCulture);
        var provenance = new TaskVectorProvenance
        {
            Source = problem.Source,
            Shots = options.Demonstrations?.Count ?? options.Shots,
            Seed = options.Seed,
            Prompts = prompts,
            ValidationPrompts = validationPrompts,
            Settings = settings,
        };
        return new TaskVector(TaskVectorMethod.TaskVector, problem.ModelName, TaskVectorModelShape.Of(config), TaskVectorInjection.Replace,
            [new TaskVectorLayer(layer, means[layer])], [], provenance);
    }

    /// <summary>Every layer's mean last-token block output over <paramref name="dummyQueryPrompts"/> (disposed here), and their number.</summary>
    private static (float[][] Means, int Prompts) MeanBlockOutputs(TaskVectorProblem problem, IEnumerable<TaskPromptBatch> dummyQueryPrompts, CancellationToken cancellationToken)
    {
        var config = problem.Network.Config;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var sum = zeros(new long[] { config.Layers, config.DModel }, dtype: ScalarType.Float64, device: problem.Network.Device);
        var count = 0;
        foreach (var batch in dummyQueryPrompts)
        {
            using (batch)
            using (var hooks = new HookSet().Capture("blocks.*.hook_resid_post", PositionFilter.Last))
            using (var batchScope = NewDisposeScope())
            {
                cancellationToken.ThrowIfCancellationRequested();
                problem.Predict(batch, hooks);
                for (var l = 0; l < config.Layers; l++)
                    sum[l].add_(hooks.Captured[HookNames.ResidPost(l)].to(ScalarType.Float64).sum(0L));
                count += batch.Count;
            }
        }
        if (count == 0)
            throw new IclPsException(TaskVectorErrorIds.NotEnoughPrompts, IclErrorKind.InvalidArgument, "No dummy-query prompts to average block outputs over.", count);
        var mean = (sum / count).to(ScalarType.Float32).cpu();
        return (Enumerable.Range(0, config.Layers).Select(l => mean[l].data<float>().ToArray()).ToArray(), count);
    }

    /// <summary>
    /// Hendel's layer choice for per-example vectors: each of up to <see cref="HendelTaskVectorOptions.ValidationPrompts"/>
    /// validation queries draws <see cref="HendelTaskVectorOptions.Shots"/> demonstrations from the train split (as a clean
    /// prompt would), gets the vector of those demonstrations with its own dummy queries, and its zero-shot prompt is scored
    /// with that vector replacing each layer's last-token hidden state in turn.
    /// </summary>
    private static (double[] Metric, double[] Score, int Prompts) PerExampleValidationSweep(TextTaskVectorProblem problem, HendelTaskVectorOptions options,
        IProgress<TaskVectorProgress>? progress, CancellationToken cancellationToken)
    {
        var layers = problem.Network.Config.Layers;
        var metric = new double[layers];
        var score = new double[layers];
        var queries = problem.BuildPrompts(TaskPromptKind.Clean, TaskDataSplit.Valid, options.Shots, options.ValidationPrompts, options.Seed);
        using var noGrad = no_grad();
        for (var i = 0; i < queries.Count; i++)
        {
            // Each validation query's dummy queries come from its own seed, as a separate per-example vector would draw them.
            var (means, _) = MeanBlockOutputs(problem, problem.DummyQueryPrompts(queries[i].Demonstrations, options.Prompts, options.BatchSize, unchecked(options.Seed + i + 1)), cancellationToken);
            using var batch = problem.EncodePrompts([new Prompting.IclPrompt(i, queries[i].Query, [], problem.Format)]);
            AddReplacedLayerScores(problem, batch, means, metric, score, cancellationToken);
            progress?.Report(new TaskVectorProgress(Stage, i + 1, queries.Count));
        }
        return (metric.Select(m => m / queries.Count).ToArray(), score.Select(s => s / queries.Count).ToArray(), queries.Count);
    }

    /// <summary>Mean metric and score of zero-shot validation prompts with each layer's last-token hidden state replaced by its mean.</summary>
    private static (double[] Metric, double[] Score, int Prompts) ValidationSweep(TaskVectorProblem problem, HendelTaskVectorOptions options, float[][] means,
        IProgress<TaskVectorProgress>? progress, CancellationToken cancellationToken)
    {
        var layers = means.Length;
        var metric = new double[layers];
        var score = new double[layers];
        var count = 0;
        var batches = (options.ValidationPrompts + options.BatchSize - 1) / options.BatchSize;
        var done = 0;
        using var noGrad = no_grad();
        foreach (var batch in problem.Prompts(TaskPromptKind.ZeroShot, TaskDataSplit.Valid, options.Shots, options.ValidationPrompts, options.BatchSize, options.Seed))
        {
            using (batch)
            {
                AddReplacedLayerScores(problem, batch, means, metric, score, cancellationToken);
                count += batch.Count;
                progress?.Report(new TaskVectorProgress(Stage, ++done, batches));
            }
        }
        return (metric.Select(m => m / count).ToArray(), score.Select(s => s / count).ToArray(), count);
    }

    /// <summary>Adds, for each layer l, the batch's summed metric and score with the last-token hook_resid_post of l replaced by means[l].</summary>
    private static void AddReplacedLayerScores(TaskVectorProblem problem, TaskPromptBatch batch, float[][] means, double[] metric, double[] score,
        CancellationToken cancellationToken)
    {
        for (var l = 0; l < means.Length; l++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            using var hooks = new HookSet();
            var vector = hooks.Own(tensor(means[l], dtype: problem.Network.DType, device: problem.Network.Device));
            hooks.ReplaceVectorAt(HookNames.ResidPost(l), vector, batch.PredictionColumn);
            var output = problem.Predict(batch, hooks);
            metric[l] += problem.Metric(output, batch).to(ScalarType.Float64).sum().item<double>();
            score[l] += problem.Score(output, batch).to(ScalarType.Float64).sum().item<double>();
        }
    }
}
