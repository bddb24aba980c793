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
    /// <summary>
    /// Hendel et al.'s per-example vector: every dummy-query prompt shows exactly these demonstrations (one test example's),
    /// each with a different dummy query from the train split outside them, and the layer (unless <see cref="Layer"/> is set)
    /// is the best on validation queries that each get the vector of their own demonstrations. Null: the per-task average,
    /// <see cref="Prompts"/> prompts with demonstrations drawn per prompt. Text problems only.
    /// </summary>
    public IReadOnlyList<Data.IclExample>? Demonstrations { get; init; }
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
        Require(Demonstrations is not { Count: 0 }, "Demonstrations must hold at least one example when given.", "no demonstrations");
        Require(Layer is null || (Layer >= 0 && Layer < layers), $"Layer {Layer} is outside the model's {layers} layers.", Layer ?? 0);
    }
}
