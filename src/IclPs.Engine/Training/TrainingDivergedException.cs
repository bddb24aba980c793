namespace IclPs.Engine.Training;

/// <summary>
/// The loss or gradient norm of update <see cref="Step"/> (0-based) was NaN, Inf or above the limit, or the weights after
/// update <see cref="Step"/> were about to be checkpointed with a non-finite tensor or such a loss. The model keeps the
/// weights of the update before, nothing is written, and <see cref="LastCheckpoint"/> (null if none) is the newest good checkpoint.
/// </summary>
public sealed class TrainingDivergedException(int step, string quantity, double value, string? lastCheckpoint)
    : IclPsException(TrainingErrorIds.Diverged, IclErrorKind.InvalidData,
        $"Training diverged at update {step}: {quantity} is {value}. " +
        (lastCheckpoint is null ? "No checkpoint was written." : $"The last good checkpoint is '{lastCheckpoint}'."), value)
{
    public int Step { get; } = step;
    public string Quantity { get; } = quantity;
    public double Value { get; } = value;
    public string? LastCheckpoint { get; } = lastCheckpoint;
}
