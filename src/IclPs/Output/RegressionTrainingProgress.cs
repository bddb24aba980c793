namespace IclPs;

/// <summary>
/// One evaluation during Start-IclTraining (PSTypeName IclPs.RegressionTrainingProgress): after <see cref="Step"/> of
/// <see cref="Steps"/> updates, the mean training loss since the previous row, the learning rate of the last update, the
/// model's error per position / D averaged over positions on held-out pool ("pretrain") and fresh tasks, Delta(model, Ridge)
/// and Delta(model, dMMSE) on those same sequences (mean squared difference of the predictions / D; null where the estimator
/// is undefined: dMMSE without a task pool, Ridge without noise, both for non-linear classes), and the wall time since this
/// session of the run began.
/// </summary>
public sealed class RegressionTrainingProgress
{
    public required string Model { get; init; }
    public required int Step { get; init; }
    public required int Steps { get; init; }
    public required double Loss { get; init; }
    public required double LearningRate { get; init; }
    public required double PretrainError { get; init; }
    public required double FreshError { get; init; }
    public double? PretrainDeltaRidge { get; init; }
    public double? PretrainDeltaDmmse { get; init; }
    public double? FreshDeltaRidge { get; init; }
    public double? FreshDeltaDmmse { get; init; }
    public required TimeSpan Elapsed { get; init; }

    public override string ToString() => $"{Model} step {Step}/{Steps}: loss {Loss:0.0000}, pretrain {PretrainError:0.0000}, fresh {FreshError:0.0000}";
}
