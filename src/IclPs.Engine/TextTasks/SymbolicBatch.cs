using IclPs.Engine.Training;
using static TorchSharp.torch;

namespace IclPs.Engine.TextTasks;

/// <summary>
/// Token tensors of a batch of <see cref="SymbolicSequence"/>s, right-padded to the longest. Owns its tensors.
/// <see cref="LossMask"/>[r, j] = 1 means: score the prediction of token j, i.e. cross-entropy of logits[r, j-1] against
/// InputIds[r, j]; column 0 is always 0.
/// </summary>
public sealed class SymbolicBatch : IDisposable
{
    internal SymbolicBatch(IReadOnlyList<SymbolicSequence> sequences, Tensor inputIds, Tensor attentionMask, Tensor lossMask)
    {
        Sequences = sequences;
        InputIds = inputIds;
        AttentionMask = attentionMask;
        LossMask = lossMask;
    }

    public IReadOnlyList<SymbolicSequence> Sequences { get; }
    /// <summary>Token ids [b, t], int64; padding uses the tokenizer's pad id.</summary>
    public Tensor InputIds { get; }
    /// <summary>[b, t] int64, 1 for real tokens and 0 for padding (the model's attention-mask convention).</summary>
    public Tensor AttentionMask { get; }
    /// <summary>[b, t] float32, 1 on tokens whose prediction is scored (see the class summary), 0 elsewhere.</summary>
    public Tensor LossMask { get; }

    public int BatchSize => (int)InputIds.shape[0];
    public int Length => (int)InputIds.shape[1];

    /// <summary>
    /// The batch in <see cref="IclTrainer.Loss"/>'s next-token form, as new tensors: logits at position j are scored against
    /// Targets[j], so Inputs = InputIds[:, :-1], Targets = InputIds[:, 1:], LossMask = LossMask[:, 1:] (the prediction of
    /// token j+1 is scored where token j+1 is an answer) and AttentionMask = AttentionMask[:, :-1]. The padding is on the
    /// right, which a causal model never attends to from a real token, and position ids count real tokens only.
    /// </summary>
    public TrainingBatch ToTrainingBatch()
    {
        if (Length < 2)
            throw new IclPsException("SequenceTooShort", IclErrorKind.InvalidArgument, $"A next-token batch needs at least 2 positions, got {Length}.", Length);
        var t = Length - 1;
        return new TrainingBatch(
            InputIds.narrow(1, 0, t).contiguous(),
            InputIds.narrow(1, 1, t).contiguous(),
            LossMask.narrow(1, 1, t).contiguous(),
            AttentionMask.narrow(1, 0, t).contiguous());
    }

    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        LossMask.Dispose();
    }
}
