using IclPs.Engine.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Training;

/// <summary>Passes another source's batches through, except that update <paramref name="poisonedStep"/> gets NaN targets.</summary>
internal sealed class PoisonedSource(IBatchSource inner, int poisonedStep) : IBatchSource
{
    public string Description => inner.Description;

    public TrainingBatch Next(int step, int batchSize, Generator generator)
    {
        var batch = inner.Next(step, batchSize, generator);
        if (step == poisonedStep) batch.Targets.fill_(double.NaN);
        return batch;
    }
}

/// <summary>
/// Text for a causal LM: each sequence counts up by a random stride from a random start (mod the vocabulary), so the
/// next token follows from the previous two; every position but the last is scored against its successor.
/// </summary>
internal sealed class CountingTextSource(int vocab, int positions) : IBatchSource
{
    public string Description => $"counting text vocab={vocab} positions={positions}";

    public TrainingBatch Next(int step, int batchSize, Generator generator)
    {
        using var scope = NewDisposeScope();
        var start = randint(0, vocab, [batchSize, 1], dtype: ScalarType.Int64, generator: generator);
        var stride = randint(1, 4, [batchSize, 1], dtype: ScalarType.Int64, generator: generator);
        var tokens = (start + stride * arange(positions + 1, dtype: ScalarType.Int64).view(1, -1)).remainder(vocab);
        var mask = ones(batchSize, positions);
        return new TrainingBatch(
            tokens[.., ..positions].contiguous().MoveToOuterDisposeScope(),
            tokens[.., 1..].contiguous().MoveToOuterDisposeScope(),
            mask.MoveToOuterDisposeScope());
    }
}
