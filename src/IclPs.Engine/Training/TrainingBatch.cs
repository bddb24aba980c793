using static TorchSharp.torch;

namespace IclPs.Engine.Training;

/// <summary>
/// One training batch. Regression: <paramref name="Inputs"/> [b, t, d_in] float, <paramref name="Targets"/> [b, t] float
/// (the value to predict at each position). Text: <paramref name="Inputs"/> [b, t] token ids, <paramref name="Targets"/>
/// [b, t] next-token ids. <paramref name="LossMask"/> [b, t] is 1 where a position is scored (the x positions of a regression
/// sequence, the answer tokens of a text one), 0 elsewhere; the loss is the mean over scored positions.
/// <paramref name="AttentionMask"/> [b, t] (1 real, 0 left padding) is optional.
/// </summary>
public sealed record TrainingBatch(Tensor Inputs, Tensor Targets, Tensor LossMask, Tensor? AttentionMask = null) : IDisposable
{
    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
        LossMask.Dispose();
        AttentionMask?.Dispose();
    }
}
