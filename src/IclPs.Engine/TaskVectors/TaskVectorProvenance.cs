namespace IclPs.Engine.TaskVectors;

/// <summary>
/// What is needed to rebuild a task vector: the demonstrations it came from, the prompt settings, the seeds and counts,
/// and for the LTV its training curve. <see cref="Settings"/> holds method-specific settings (learning rate, top-k, ...) as invariant strings.
/// </summary>
public sealed record TaskVectorProvenance
{
    /// <summary>The dataset or task family the demonstrations came from.</summary>
    public required string Source { get; init; }
    public int Shots { get; init; }
    public int Seed { get; init; }
    /// <summary>Prompts the vector was built (or trained) from.</summary>
    public int Prompts { get; init; }
    /// <summary>Validation prompts used to choose a layer or to stop training.</summary>
    public int ValidationPrompts { get; init; }
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<TaskVectorTrainingPoint> TrainingCurve { get; init; } = Array.Empty<TaskVectorTrainingPoint>();
}
