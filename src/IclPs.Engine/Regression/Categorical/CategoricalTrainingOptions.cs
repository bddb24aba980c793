using System.Globalization;

namespace IclPs.Engine.Regression.Categorical;

/// <summary>
/// How <see cref="CategoricalTrainer"/> fits a model: the authors' optimisers (Adam, lr 1e-3 for the GD model; AdamW, lr 1e-3,
/// betas (0.9, 0.98) for the transformer; no weight decay), minibatches of <see cref="BatchSize"/> from a fixed training set of
/// <see cref="TrainContexts"/> contexts reshuffled every epoch, and early stopping on the validation loss: the weights of the
/// best validation loss are kept, and <see cref="Patience"/> evaluations without improvement end the run.
/// </summary>
public sealed record CategoricalTrainingOptions
{
    /// <summary>The most updates (an early stop ends sooner).</summary>
    public int Steps { get; init; } = 2000;
    public int BatchSize { get; init; } = 512;
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Adam's beta2; null: 0.999 for the GD model, 0.98 for the transformer (the authors').</summary>
    public double? Beta2 { get; init; }
    public double WeightDecay { get; init; }
    /// <summary>The fixed training set (the authors: 2048 or 32768 contexts).</summary>
    public int TrainContexts { get; init; } = 2048;
    public int ValidationContexts { get; init; } = 2048;
    /// <summary>Updates between validation evaluations; 0: one epoch (the authors).</summary>
    public int EvaluateEvery { get; init; }
    /// <summary>Evaluations without a new best validation loss before stopping; 0: never stop early (the best weights are still kept).</summary>
    public int Patience { get; init; }
    /// <summary>Clip the global gradient norm to this; null: no clipping.</summary>
    public double? MaxGradNorm { get; init; }
    /// <summary>Initialisation (unless a model is given) and the minibatch order.</summary>
    public long Seed { get; init; }
    public string? CheckpointFolder { get; init; }
    /// <summary>Updates between checkpoints; 0: only at the end (and on Ctrl+C).</summary>
    public int CheckpointEvery { get; init; }
    public int KeepCheckpoints { get; init; } = 2;
    public bool Resume { get; init; }

    public int UpdatesPerEpoch => (TrainContexts + BatchSize - 1) / BatchSize;
    public int EffectiveEvaluateEvery => EvaluateEvery > 0 ? EvaluateEvery : UpdatesPerEpoch;

    public double EffectiveBeta2(CategoricalModelKind kind) => Beta2 ?? (kind == CategoricalModelKind.Gd ? 0.999 : 0.98);

    public void Validate()
    {
        CategoricalTaskSettings.AtLeast(nameof(Steps), Steps, 1);
        CategoricalTaskSettings.AtLeast(nameof(BatchSize), BatchSize, 1);
        CategoricalTaskSettings.Positive(nameof(LearningRate), LearningRate);
        if (Beta2 is double b && !(b > 0 && b < 1))
            throw new IclPsException(CategoricalErrorIds.InvalidOption, IclErrorKind.InvalidArgument, $"Beta2 must lie in (0, 1); got {b}.", b);
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay))
            throw new IclPsException(CategoricalErrorIds.InvalidOption, IclErrorKind.InvalidArgument, $"WeightDecay must be finite and >= 0; got {WeightDecay}.", WeightDecay);
        CategoricalTaskSettings.AtLeast(nameof(TrainContexts), TrainContexts, 1);
        CategoricalTaskSettings.AtLeast(nameof(ValidationContexts), ValidationContexts, 1);
        CategoricalTaskSettings.AtLeast(nameof(EvaluateEvery), EvaluateEvery, 0);
        CategoricalTaskSettings.AtLeast(nameof(Patience), Patience, 0);
        CategoricalTaskSettings.AtLeast(nameof(CheckpointEvery), CheckpointEvery, 0);
        CategoricalTaskSettings.AtLeast(nameof(KeepCheckpoints), KeepCheckpoints, 1);
        if (MaxGradNorm is double m) CategoricalTaskSettings.Positive(nameof(MaxGradNorm), m);
        if (Resume && CheckpointFolder is null)
            throw new IclPsException(CategoricalErrorIds.InvalidOption, IclErrorKind.InvalidArgument, "Resume needs a checkpoint folder.", nameof(Resume));
    }

    /// <summary>What a resumed run must share with the checkpoint (Steps may grow).</summary>
    internal IEnumerable<(string Key, string Value)> DefiningFields(CategoricalModelKind kind)
    {
        string D(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        string I(long v) => v.ToString(CultureInfo.InvariantCulture);
        yield return ("batch_size", I(BatchSize));
        yield return ("learning_rate", D(LearningRate));
        yield return ("beta2", D(EffectiveBeta2(kind)));
        yield return ("weight_decay", D(WeightDecay));
        yield return ("train_contexts", I(TrainContexts));
        yield return ("validation_contexts", I(ValidationContexts));
        yield return ("evaluate_every", I(EffectiveEvaluateEvery));
        yield return ("patience", I(Patience));
        yield return ("max_grad_norm", MaxGradNorm is double m ? D(m) : "none");
        yield return ("seed", I(Seed));
    }
}

/// <summary>After one update: the minibatch loss and, on evaluation updates, the validation scores.</summary>
public sealed record CategoricalTrainingReport(int Step, double Loss, CategoricalScore? Validation, bool IsBest, int BestStep, double BestValidationLoss, TimeSpan Elapsed);

/// <summary>How a run ended: completed updates, the best validation point (whose weights the model now holds), early stop or Ctrl+C.</summary>
public sealed record CategoricalTrainingResult(int FirstStep, int FinalStep, int BestStep, double BestValidationLoss, double BestValidationAccuracy,
    bool StoppedEarly, bool Cancelled, string? LastCheckpoint);
