namespace IclPs.Engine.Training;

/// <summary>
/// A progress report after update <paramref name="Step"/> (1-based count of completed updates): that update's training
/// loss, the mean training loss since the previous report of this run, the learning rate it used, the wall time since
/// the run (or resume) began, and whatever the evaluation function measured (empty without one).
/// </summary>
public sealed record TrainingEvaluation(
    int Step,
    double Loss,
    double MeanLoss,
    double LearningRate,
    TimeSpan Elapsed,
    IReadOnlyDictionary<string, double> Metrics);
