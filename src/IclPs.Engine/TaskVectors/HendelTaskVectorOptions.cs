namespace IclPs.Engine.TaskVectors;

/// <summary>Settings of <see cref="HendelTaskVector.Build"/>; defaults follow Hendel et al. 2023 (docs/science.md §5).</summary>
public sealed record HendelTaskVectorOptions
{
    /// <summary>Demonstrations per dummy-query prompt.</summary>
    public int Shots { get; init; } = 5;
    /// <summary>Dummy-query prompts whose last-token block outputs are averaged (the paper averages over 2 dummy queries).</summary>
    public int Prompts { get; init; } = 2;
    /// <summary>Zero-shot prompts of the validation split that choose the layer.</summary>
    public int ValidationPrompts { get; init; } = 25;
    /// <summary>Inject at this layer instead of choosing one on the validation split.</summary>
    public int? Layer { get; init; }
    public int BatchSize { get; init; } = 8;
    public int Seed { get; init; }

    public void Validate(int layers)
    {
        void Require(bool ok, string message, object value)
        {
            if (!ok) throw new IclPsException(TaskVectorErrorIds.InvalidOption, IclErrorKind.InvalidArgument, message, value);
        }
        Require(Shots >= 1, $"Shots must be at least 1, got {Shots}.", Shots);
        Require(Prompts >= 1, $"Prompts must be at least 1, got {Prompts}.", Prompts);
        Require(ValidationPrompts >= 1, $"ValidationPrompts must be at least 1, got {ValidationPrompts}.", ValidationPrompts);
        Require(BatchSize >= 1, $"BatchSize must be at least 1, got {BatchSize}.", BatchSize);
        Require(Layer is null || (Layer >= 0 && Layer < layers), $"Layer {Layer} is outside the model's {layers} layers.", Layer ?? 0);
    }
}
