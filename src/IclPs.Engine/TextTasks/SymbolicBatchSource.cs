using IclPs.Engine.Tokenization;
using static TorchSharp.torch;

namespace IclPs.Engine.TextTasks;

/// <summary>
/// Training batches for a language-model loop: batch <c>step</c> is <see cref="SymbolicSequenceSampler.Sample"/> at
/// (seed, step), encoded with the model's tokenizer and context length. The same source and step always give the same batch.
/// </summary>
public sealed class SymbolicBatchSource
{
    public SymbolicBatchSource(IReadOnlyList<SymbolicTask> tasks, SymbolicSequenceSampler sampler, ITextTokenizer tokenizer, int contextLength,
        int batchSize, int shots, long seed, LossScope scope = LossScope.Answers, bool addBos = true)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentNullException.ThrowIfNull(tokenizer);
        Tasks = tasks;
        Sampler = sampler;
        Tokenizer = tokenizer;
        ContextLength = contextLength;
        BatchSize = batchSize;
        Shots = shots;
        Seed = seed;
        Scope = scope;
        AddBos = addBos;
        // Draw and encode one batch now so bad settings fail here, not at the first training step.
        using var probe = Next(0);
    }

    public IReadOnlyList<SymbolicTask> Tasks { get; }
    public SymbolicSequenceSampler Sampler { get; }
    public ITextTokenizer Tokenizer { get; }
    public int ContextLength { get; }
    public int BatchSize { get; }
    public int Shots { get; }
    public long Seed { get; }
    public LossScope Scope { get; }
    public bool AddBos { get; }

    public SymbolicBatch Next(long step, Device? device = null) =>
        SymbolicSequenceSampler.Encode(Sampler.Sample(BatchSize, Shots, Seed, step, Tasks), Tokenizer, ContextLength, Scope, AddBos, device);
}
