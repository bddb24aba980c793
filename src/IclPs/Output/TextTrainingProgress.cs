namespace IclPs;

/// <summary>
/// One evaluation during Start-IclTraining -TextFamily (PSTypeName IclPs.TextTrainingProgress): after <see cref="Step"/> of
/// <see cref="Steps"/> updates, the mean training loss (next-token cross-entropy on answer tokens) since the previous row,
/// the learning rate of the last update, the first-token accuracy at <see cref="Shots"/> demonstrations on a fixed subset
/// of training tasks and of held-out tasks of <see cref="Family"/> (measured as Invoke-IclPrompt measures it), and the
/// wall time since this session of the run began. A run on a mixture of families writes one row per family per report.
/// </summary>
public sealed class TextTrainingProgress
{
    public required string Model { get; init; }
    /// <summary>The task family the accuracies are of (KeyedLookup, Rules or Transduction); a mixture writes one row per family.</summary>
    public required string Family { get; init; }
    public required int Step { get; init; }
    public required int Steps { get; init; }
    public required double Loss { get; init; }
    public required double LearningRate { get; init; }
    public required int Shots { get; init; }
    public required double TrainAccuracy { get; init; }
    public required double HeldOutAccuracy { get; init; }
    public required TimeSpan Elapsed { get; init; }

    public override string ToString() => $"{Model} step {Step}/{Steps} ({Family}): loss {Loss:0.0000}, {Shots}-shot accuracy train {TrainAccuracy:0.000}, held-out {HeldOutAccuracy:0.000}";
}
