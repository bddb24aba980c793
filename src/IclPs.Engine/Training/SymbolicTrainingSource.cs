using System.Globalization;
using IclPs.Engine.TextTasks;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Training;

/// <summary>
/// Feeds <see cref="IclTrainer"/> few-shot sequences of symbolic tasks: the settings of a <see cref="SymbolicBatchSource"/>
/// (tasks, sampler, tokenizer, context length, shots, loss scope, BOS), the trainer's batch size, and the per-step sample
/// drawn from the trainer's generator, so the trainer's seed fixes the data as <see cref="IBatchSource"/> requires.
/// Batches are in next-token form (<see cref="SymbolicBatch.ToTrainingBatch"/>) for a causal language model.
/// </summary>
public sealed class SymbolicTrainingSource : IBatchSource
{
    public SymbolicTrainingSource(SymbolicBatchSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Source = source;
        var f = source.Sampler.Format;
        Description = string.Create(CultureInfo.InvariantCulture,
            $"symbolic text: {source.Tasks.Count} tasks [{string.Join(",", source.Tasks.Select(t => t.Name))}]; {source.Shots} shots, {source.Sampler.Placement}, " +
            $"format '{f.Description}'+'{f.InputTemplate}'+'{f.TargetDelimiter}'+...+'{f.FewShotDelimiter}'; loss {source.Scope}; bos {source.AddBos}; " +
            $"tokenizer {source.Tokenizer.Name}; context {source.ContextLength}; seed {source.Seed}");
    }

    public SymbolicBatchSource Source { get; }
    public string Description { get; }

    public TrainingBatch Next(int step, int batchSize, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        // One draw picks the sampler's stream for this step; the sampler then fixes tasks, demonstrations and queries.
        long stream;
        using (var draw = randint(0, long.MaxValue, [1], dtype: ScalarType.Int64, generator: generator)) stream = draw.item<long>();
        var s = Source;
        var sequences = s.Sampler.Sample(batchSize, s.Shots, s.Seed, stream, s.Tasks);
        using var batch = SymbolicSequenceSampler.Encode(sequences, s.Tokenizer, s.ContextLength, s.Scope, s.AddBos);
        return batch.ToTrainingBatch();
    }
}
