using System.Globalization;
using IclPs.Engine.Models;

namespace IclPs.Engine.TaskVectors;

/// <summary>
/// How <see cref="LearnableTaskVector"/> trains theta (docs/science.md §5). Null fields take the family's default:
/// language models use mean activations and zero-shot prompts, regression models live activations and clean prompts
/// (whose shot count, the model's training length, must be given).
/// </summary>
public sealed record LearnableTaskVectorOptions
{
    /// <summary>Where a_{l,h} comes from; null: <see cref="HeadActivationSource.Live"/> for regression models, else <see cref="HeadActivationSource.Mean"/>.</summary>
    public HeadActivationSource? ActivationSource { get; init; }
    /// <summary>Clean ICL prompts the mean activations average over (Todd et al.: 100); ignored for live activations.</summary>
    public int MeanPrompts { get; init; } = 100;
    /// <summary>Demonstrations in each of those prompts (Todd et al.: 10).</summary>
    public int MeanShots { get; init; } = 10;

    /// <summary>The prompts theta is trained on; null: zero-shot for language models, clean ICL prompts for regression models.</summary>
    public TaskPromptKind? TrainingKind { get; init; }
    /// <summary>
    /// Demonstrations per training prompt (ignored for zero-shot); null: 5 for language models (the authors' default), and
    /// required for regression models, whose training prompts are ordinary prompts at the model's training length.
    /// </summary>
    public int? Shots { get; init; }
    /// <summary>Training prompts (queries from <see cref="TaskDataSplit.Train"/>), fixed for the run; each epoch visits their batches in a new seeded order.</summary>
    public int TrainPrompts { get; init; } = 512;
    /// <summary>Validation prompts (queries from <see cref="TaskDataSplit.Valid"/>) for early stopping.</summary>
    public int ValidationPrompts { get; init; } = 128;
    /// <summary>Prompts per mini-batch (the authors: 32 for language, 256 for regression).</summary>
    public int BatchSize { get; init; } = 32;
    public int MaxEpochs { get; init; } = 100;
    /// <summary>Stop after this many epochs without a lower validation loss; the best theta seen is kept.</summary>
    public int Patience { get; init; } = 10;

    /// <summary>
    /// Adam's learning rate. 0.01 with zero initialisation moves theta by O(1) (the scale of a head's own contribution)
    /// within a few hundred updates on the CPU-sized models here; the authors' 5e-5 (language) and 2.5e-5 (regression)
    /// start from N(0, 1) on 6B-parameter models and run for up to 10^5 updates.
    /// </summary>
    public double LearningRate { get; init; } = 1e-2;
    public LtvThetaInit Init { get; init; } = LtvThetaInit.Zeros;
    public LtvLoss Loss { get; init; } = LtvLoss.Task;
    /// <summary>delta of <see cref="LtvLoss.Huber"/> (PyTorch's and the authors' default: 1).</summary>
    public double HuberDelta { get; init; } = 1.0;
    /// <summary>Every random choice: prompts (mean, training and validation sets from seed, seed + 1, seed + 2), theta's initialisation and the batch order.</summary>
    public int Seed { get; init; }
    /// <summary>Build v_l as the authors' code does rather than by the formula; see <see cref="LtvAuthorsVariant"/>.</summary>
    public bool AuthorsVariant { get; init; }

    /// <summary>The options with every null field resolved for <paramref name="config"/>, checked; bad values throw <see cref="TaskVectorErrorIds.InvalidOption"/>.</summary>
    public LearnableTaskVectorOptions Resolve(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var regression = config.Family == ModelFamily.Regression;
        var kind = TrainingKind ?? (regression ? TaskPromptKind.Clean : TaskPromptKind.ZeroShot);
        Require(TrainingKind is null || Enum.IsDefined(TrainingKind.Value), nameof(TrainingKind), TrainingKind, "must be Clean, ZeroShot, ShuffledLabels or DummyQuery");
        var resolved = this with
        {
            ActivationSource = ActivationSource ?? (regression ? HeadActivationSource.Live : HeadActivationSource.Mean),
            TrainingKind = kind,
            Shots = kind == TaskPromptKind.ZeroShot ? 0 : Shots ?? (regression ? null : 5),
        };
        resolved.Validate();
        Require(resolved.Shots is not null, nameof(Shots), Shots,
            $"must be given for {kind} prompts on a regression model (the model's training length, in examples)");
        return resolved;
    }

    private void Validate()
    {
        Require(ActivationSource is null || Enum.IsDefined(ActivationSource.Value), nameof(ActivationSource), ActivationSource, "must be Mean or Live");
        if (ActivationSource == HeadActivationSource.Mean)
        {
            Require(MeanPrompts > 0, nameof(MeanPrompts), MeanPrompts, "must be positive");
            Require(MeanShots > 0, nameof(MeanShots), MeanShots, "must be positive");
        }
        Require(Shots is null or >= 0, nameof(Shots), Shots, "must not be negative");
        Require(TrainPrompts > 0, nameof(TrainPrompts), TrainPrompts, "must be positive");
        Require(ValidationPrompts > 0, nameof(ValidationPrompts), ValidationPrompts, "must be positive");
        Require(BatchSize > 0, nameof(BatchSize), BatchSize, "must be positive");
        Require(MaxEpochs > 0, nameof(MaxEpochs), MaxEpochs, "must be positive");
        Require(Patience > 0, nameof(Patience), Patience, "must be positive");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "must be a positive number");
        Require(Enum.IsDefined(Init), nameof(Init), Init, "must be Zeros or Normal");
        Require(Enum.IsDefined(Loss), nameof(Loss), Loss, "must be Task or Huber");
        Require(HuberDelta > 0 && double.IsFinite(HuberDelta), nameof(HuberDelta), HuberDelta, "must be a positive number");
    }

    /// <summary>The settings recorded in the vector's provenance, as invariant strings (resolved options).</summary>
    internal Dictionary<string, string> Settings()
    {
        var settings = new Dictionary<string, string>
        {
            [nameof(ActivationSource)] = Format(ActivationSource),
            [nameof(TrainingKind)] = Format(TrainingKind),
            [nameof(BatchSize)] = Format(BatchSize),
            [nameof(MaxEpochs)] = Format(MaxEpochs),
            [nameof(Patience)] = Format(Patience),
            [nameof(LearningRate)] = Format(LearningRate),
            [nameof(Init)] = Init.ToString(),
            [nameof(Loss)] = Loss.ToString(),
            [nameof(AuthorsVariant)] = AuthorsVariant ? "true" : "false",
            ["Optimizer"] = "Adam(beta1 0.9, beta2 0.999, eps 1e-8)",
        };
        if (ActivationSource == HeadActivationSource.Mean)
        {
            settings[nameof(MeanPrompts)] = Format(MeanPrompts);
            settings[nameof(MeanShots)] = Format(MeanShots);
        }
        if (Loss == LtvLoss.Huber) settings[nameof(HuberDelta)] = Format(HuberDelta);
        return settings;
    }

    private static void Require(bool ok, string field, object? value, string what)
    {
        if (!ok) throw new IclPsException(TaskVectorErrorIds.InvalidOption, IclErrorKind.InvalidArgument,
            $"LTV option {field} {what}; got {Format(value)}.", field);
    }

    private static string Format(object? value) => value switch
    {
        null => "null",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
