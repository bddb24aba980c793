namespace IclPs;

/// <summary>
/// One report of Start-IclAdapterTraining (PSTypeName IclPs.AdapterTrainingProgress): after <see cref="Step"/> of
/// <see cref="Steps"/> updates of the LoRA adapter, the mean training loss (next-token cross-entropy on the output tokens)
/// of the updates since the previous report, and the wall time since tuning began.
/// </summary>
public sealed class AdapterTrainingProgress
{
    public required string Model { get; init; }
    public required int Step { get; init; }
    public required int Steps { get; init; }
    public required double Loss { get; init; }
    public required double LearningRate { get; init; }
    public required int Rank { get; init; }
    public required TimeSpan Elapsed { get; init; }

    public override string ToString() => $"{Model} adapter step {Step}/{Steps}: loss {Loss:0.0000}";
}
