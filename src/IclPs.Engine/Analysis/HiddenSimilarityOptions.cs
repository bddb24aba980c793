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
    /// <summary>
    /// Wrong labels: each query's demonstrations keep their inputs but their outputs are deranged among them (see
    /// <see cref="FewShotPromptBuilder"/>), in the Icl prompts and in what the instruction-tuned adapters learn alike.
    /// </summary>
    public bool ShuffleLabels { get; init; }
    /// <summary>
    /// Also the centred cosine: states minus the layer's mean state over every query and condition. It needs every query's
    /// last-token states (queries x conditions x layers x d_model doubles), kept until the end; without it memory does not
    /// grow with the number of queries beyond one cosine per query, layer and pair.
    /// </summary>
    public bool Centred { get; init; }
    /// <summary>Called on the calling thread after each batch of queries.</summary>
    public Action<IclRunProgress>? Progress { get; init; }
    /// <summary>Called on the calling thread after each input's adapter of an instruction-tuned condition is tuned.</summary>
    public Action<AdapterTuned>? AdapterTuned { get; init; }
    /// <summary>
    /// Called on the calling thread when an input's adapter diverges; that input is then left out and the run goes on.
    /// Without it the divergence ends the run (<see cref="Training.TrainingDivergedException"/>).
    /// </summary>
    public Action<AdapterFailed>? AdapterFailed { get; init; }
    /// <summary>Receives what the conditions' task-vector injections changed (see <see cref="Models.HookSet.ReportTo"/>).</summary>
    public Models.InterventionTally? Interventions { get; init; }
}
