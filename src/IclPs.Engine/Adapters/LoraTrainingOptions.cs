namespace IclPs.Engine.Adapters;

/// <summary>How <see cref="LoraTrainer"/> tunes an adapter: AdamW on A and B only, a constant learning rate, seeded batches.</summary>
public sealed record LoraTrainingOptions
{
    public int Steps { get; init; } = 100;

    /// <summary>Examples per update; a dataset no larger than this is used whole at every update.</summary>
    public int BatchSize { get; init; } = 8;

    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Seeds which examples each update sees (the adapter's A has its own seed, given when it is made).</summary>
    public long Seed { get; init; }

    /// <summary>Global gradient-norm clip over A and B; null for none.</summary>
    public double? MaxGradNorm { get; init; } = 1.0;

    public double WeightDecay { get; init; }

    /// <summary>A loss above this (or non-finite) stops the run as diverged.</summary>
    public double MaxLoss { get; init; } = 1e4;

    /// <summary>Where checkpoints (step-NNNNNNNN folders) go; null for none. The folder is locked while the run lasts.</summary>
    public string? CheckpointFolder { get; init; }

    /// <summary>A checkpoint every this many updates (0: only at the end), and one when the run is stopped.</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>How many of the newest checkpoints to keep.</summary>
    public int KeepCheckpoints { get; init; } = 2;

    /// <summary>Continue from the newest checkpoint in <see cref="CheckpointFolder"/>; without it, existing checkpoints are an error.</summary>
    public bool Resume { get; init; }

    public void Validate()
    {
        void Fail(string what, object value) =>
            throw new IclPsException(LoraErrorIds.InvalidAdapterSettings, IclErrorKind.InvalidArgument, $"{what}, got {value}.", value);
        if (Steps < 0) Fail("Steps must be 0 or more", Steps);
        if (BatchSize < 1) Fail("BatchSize must be at least 1", BatchSize);
        if (!double.IsFinite(LearningRate) || LearningRate <= 0) Fail("LearningRate must be a positive number", LearningRate);
        if (MaxGradNorm is double g && (!double.IsFinite(g) || g <= 0)) Fail("MaxGradNorm must be a positive number", g);
        if (!double.IsFinite(WeightDecay) || WeightDecay < 0) Fail("WeightDecay must be 0 or more", WeightDecay);
        if (!double.IsFinite(MaxLoss) || MaxLoss <= 0) Fail("MaxLoss must be a positive number", MaxLoss);
        if (CheckpointEvery < 0) Fail("CheckpointEvery must be 0 or more", CheckpointEvery);
        if (KeepCheckpoints < 1) Fail("KeepCheckpoints must be at least 1", KeepCheckpoints);
        if (Resume && CheckpointFolder is null) Fail("Resume needs a CheckpointFolder", "no folder");
    }
}
