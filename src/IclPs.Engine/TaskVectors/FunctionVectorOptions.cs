namespace IclPs.Engine.TaskVectors;

/// <summary>Settings of <see cref="FunctionVector.Build"/>; defaults follow Todd et al. 2024 (docs/science.md §5).</summary>
public sealed record FunctionVectorOptions
{
    /// <summary>Clean prompts whose last-token head activations are averaged.</summary>
    public int MeanPrompts { get; init; } = 100;
    public int MeanShots { get; init; } = 10;
    /// <summary>Shuffled-label prompts the indirect effects are averaged over.</summary>
    public int EffectPrompts { get; init; } = 25;
    public int EffectShots { get; init; } = 10;
    /// <summary>Heads summed into the vector (capped at layers x heads).</summary>
    public int TopK { get; init; } = 10;
    /// <summary>Block whose output receives the vector; null for layers / 3, rounded.</summary>
    public int? Layer { get; init; }
    /// <summary>Where both prompt sets take their queries.</summary>
    public TaskDataSplit Split { get; init; } = TaskDataSplit.Train;
    public int BatchSize { get; init; } = 8;
    public int Seed { get; init; }

    public void Validate(int layers)
    {
        void Require(bool ok, string message, object value)
        {
            if (!ok) throw new IclPsException(TaskVectorErrorIds.InvalidOption, IclErrorKind.InvalidArgument, message, value);
        }
        Require(MeanPrompts >= 1, $"MeanPrompts must be at least 1, got {MeanPrompts}.", MeanPrompts);
        Require(MeanShots >= 0, $"MeanShots must be 0 or more, got {MeanShots}.", MeanShots);
        Require(EffectPrompts >= 1, $"EffectPrompts must be at least 1, got {EffectPrompts}.", EffectPrompts);
        Require(EffectShots >= 2, $"EffectShots must be at least 2 (shuffled labels need two demonstrations), got {EffectShots}.", EffectShots);
        Require(TopK >= 1, $"TopK must be at least 1, got {TopK}.", TopK);
        Require(BatchSize >= 1, $"BatchSize must be at least 1, got {BatchSize}.", BatchSize);
        Require(Layer is null || (Layer >= 0 && Layer < layers), $"Layer {Layer} is outside the model's {layers} layers.", Layer ?? 0);
    }

    /// <summary>The injection layer: <see cref="Layer"/>, or layers / 3 rounded (Todd et al. inject at about a third of the depth).</summary>
    public int InjectionLayer(int layers) => Layer ?? Math.Min(layers - 1, (int)Math.Round(layers / 3.0, MidpointRounding.AwayFromZero));
}
