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

    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        LossMask.Dispose();
    }
}
