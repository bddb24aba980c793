using IclPs.Engine.Prompting;

namespace IclPs.Engine.Analysis;

/// <summary>How <see cref="HiddenSimilarity"/> builds and batches prompts.</summary>
public sealed record HiddenSimilarityOptions
{
    public PromptFormat Format { get; init; } = PromptFormat.Default;
    /// <summary>Fixes the demonstrations of every k-shot condition (per query index).</summary>
    public int Seed { get; init; }
    public int BatchSize { get; init; } = 8;
    public bool AddBos { get; init; } = true;
    public bool TruncateLongPrompts { get; init; }
    /// <summary>Called on the calling thread after each batch of queries.</summary>
    public Action<IclRunProgress>? Progress { get; init; }
    /// <summary>Receives what the conditions' task-vector injections changed (see <see cref="Models.HookSet.ReportTo"/>).</summary>
    public Models.InterventionTally? Interventions { get; init; }
}
