using System.Globalization;
using IclPs.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.TaskVectors;

/// <summary>
/// Hendel et al. 2023's task vector (docs/science.md §5): theta_l = the block output (resid_post) of layer l at the last
/// token, averaged over dummy-query prompts (k demonstrations, then a train item as query); it REPLACES layer L's
/// last-token hidden state of a zero-shot prompt, with L the layer whose replacement scores best on the validation split.
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
        var (means, prompts) = MeanBlockOutputs(problem, options, cancellationToken);
        var settings = new Dictionary<string, string>
        {
            ["averaged"] = $"blocks.*.hook_resid_post at the last token, mean over {prompts} DummyQuery prompts",
            ["prompt_kind"] = nameof(TaskPromptKind.DummyQuery),
            ["evaluation_prompt_kind"] = nameof(TaskPromptKind.ZeroShot),
        };
        int layer, validationPrompts = 0;
        if (options.Layer is int chosen)
        {
            layer = chosen;
            settings["layer_selection"] = "option";
        }
        else
        {
            var (metric, score, count) = ValidationSweep(problem, options, means, progress, cancellationToken);
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
            Shots = options.Shots,
            Seed = options.Seed,
            Prompts = prompts,
            ValidationPrompts = validationPrompts,
            Settings = settings,
        };
        return new TaskVector(TaskVectorMethod.TaskVector, problem.ModelName, TaskVectorModelShape.Of(config), TaskVectorInjection.Replace,
            [new TaskVectorLayer(layer, means[layer])], [], provenance);
    }

    /// <summary>Every layer's mean last-token block output over the dummy-query prompts, and the number of prompts.</summary>
    private static (float[][] Means, int Prompts) MeanBlockOutputs(TaskVectorProblem problem, HendelTaskVectorOptions options, CancellationToken cancellationToken)
    {
        var config = problem.Network.Config;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var sum = zeros(new long[] { config.Layers, config.DModel }, dtype: ScalarType.Float64, device: problem.Network.Device);
        var count = 0;
        foreach (var batch in problem.Prompts(TaskPromptKind.DummyQuery, TaskDataSplit.Train, options.Shots, options.Prompts, options.BatchSize, options.Seed))
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
                for (var l = 0; l < layers; l++)
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
                count += batch.Count;
                progress?.Report(new TaskVectorProgress(Stage, ++done, batches));
            }
        }
        return (metric.Select(m => m / count).ToArray(), score.Select(s => s / count).ToArray(), count);
    }
}
