using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Prompting;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.TaskVectors;

/// <summary>
/// A language model and an input/output dataset as a task-vector problem. Demonstrations come from the train split through
/// <see cref="FewShotPromptBuilder"/> (never the query's own input); prompts are left-padded, so the prediction is read at
/// the last column; the target is the first token of the expected continuation (target delimiter + output). Candidates for
/// the first token are the ids the tokenizer can decode, as in <see cref="IclPromptRunner"/>.
/// </summary>
public sealed class TextTaskVectorProblem : TaskVectorProblem
{
    // Separate random streams for dummy queries and label shuffles, so neither changes the demonstrations a seed picks.
    private const long DummyQueryStream = 0x44554D4D59L;

    private readonly IclModel _model;
    private readonly IclDatasetSplit _data;
    private readonly PromptEncoder _encoder;

    /// <param name="format">Prompt layout; null for <see cref="PromptFormat.Default"/>, what IclPs runs prompts with unless told otherwise.</param>
    /// <param name="addBos">Prepend the tokenizer's beginning-of-sequence token, as <see cref="IclRunOptions.AddBos"/>.</param>
    public TextTaskVectorProblem(IclModel model, IclDatasetSplit data, PromptFormat? format = null, bool addBos = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        Format = format ?? PromptFormat.Default;
        Format.Validate();
        if (model.Config.Family == ModelFamily.Regression)
            throw new IclPsException(TaskVectorErrorIds.InvalidOption, IclErrorKind.InvalidArgument, $"Model {model.Name} is a regression model; use a regression task-vector problem.", model.Name);
        if (data.Train.Count == 0)
            throw new IclPsException(TaskVectorErrorIds.NotEnoughPrompts, IclErrorKind.InvalidArgument, $"The train split of {data.Train.Name} is empty; demonstrations come from it.", data.Train);
        _model = model;
        _data = data;
        _encoder = new PromptEncoder(model.Tokenizer, model.Config.ContextLength, model.Config.VocabSize, addBos);
    }

    public PromptFormat Format { get; }
    public override TransformerModel Network => _model.Network;
    public override string ModelName => $"{_model.Name} ({_model.Source})";
    public override string Source => $"{_data.Train.SourceFile ?? _data.Train.Name} (split seed {_data.Seed})";
    public override string MetricName => "Accuracy";
    public override bool HigherMetricIsBetter => true;

    /// <summary>
    /// Queries: a seeded sample of up to <paramref name="count"/> items of <paramref name="split"/> (the first n of a
    /// seeded shuffle, so a larger count extends a smaller one), except <see cref="TaskPromptKind.DummyQuery"/>, whose
    /// <paramref name="count"/> queries are seeded draws from the train split (Hendel's dummy queries). Shuffled labels
    /// permute the demonstrations' outputs by a seeded derangement, so no demonstration keeps its own output.
    /// </summary>
    public override IEnumerable<TaskPromptBatch> Prompts(TaskPromptKind kind, TaskDataSplit split, int shots, int count, int batchSize, int seed)
    {
        var prompts = BuildPrompts(kind, split, shots, count, seed);
        if (batchSize < 1)
            throw new IclPsException(TaskVectorErrorIds.InvalidOption, IclErrorKind.InvalidArgument, $"Batch size must be at least 1, got {batchSize}.", batchSize);
        return prompts.Chunk(batchSize).Select(Encode);
    }

    /// <summary>The prompts <see cref="Prompts"/> encodes, in order (for logs and tests).</summary>
    public IReadOnlyList<IclPrompt> BuildPrompts(TaskPromptKind kind, TaskDataSplit split, int shots, int count, int seed)
    {
        if (count < 1)
            throw new IclPsException(TaskVectorErrorIds.InvalidOption, IclErrorKind.InvalidArgument, $"Prompt count must be at least 1, got {count}.", count);
        if (kind == TaskPromptKind.ShuffledLabels && shots < 2)
            throw new IclPsException(TaskVectorErrorIds.InvalidOption, IclErrorKind.InvalidArgument, $"Shuffled labels need at least 2 demonstrations to permute, got {shots}.", shots);
        var train = _data.Train.Items;
        var builder = new FewShotPromptBuilder(Format, train, kind == TaskPromptKind.ZeroShot ? 0 : shots, seed, shuffleLabels: kind == TaskPromptKind.ShuffledLabels);
        if (kind == TaskPromptKind.DummyQuery)
        {
            var draw = new SeededRandom(new SeededRandom(seed, DummyQueryStream).NextInt(int.MaxValue));
            return Enumerable.Range(0, count).Select(i => builder.Build(train[draw.NextInt(train.Count)], i)).ToArray();
        }
        var items = Split(split).Items;
        if (items.Count == 0)
            throw new IclPsException(TaskVectorErrorIds.NotEnoughPrompts, IclErrorKind.InvalidArgument, $"The {split} split of {_data.Train.Name} is empty.", split);
        var n = Math.Min(count, items.Count);
        var order = Enumerable.Range(0, items.Count).ToArray();
        new SeededRandom(seed).ShuffleFront(order, n);
        return order.Take(n).Select((item, i) => builder.Build(items[item], i)).ToArray();
    }

    /// <summary>
    /// Hendel et al.'s per-example prompts: <paramref name="demonstrations"/> as given, in order, followed by each of
    /// <paramref name="count"/> distinct dummy queries, seeded draws from the train split items whose input is not a
    /// demonstration's.
    /// </summary>
    public IReadOnlyList<IclPrompt> BuildDummyQueryPrompts(IReadOnlyList<IclExample> demonstrations, int count, int seed)
    {
        ArgumentNullException.ThrowIfNull(demonstrations);
        if (count < 1)
            throw new IclPsException(TaskVectorErrorIds.InvalidOption, IclErrorKind.InvalidArgument, $"Prompt count must be at least 1, got {count}.", count);
        var shown = demonstrations.Select(d => d.Input).ToHashSet(StringComparer.Ordinal);
        var candidates = _data.Train.Items.Where(item => !shown.Contains(item.Input)).ToArray();
        if (candidates.Length < count)
            throw new IclPsException(TaskVectorErrorIds.NotEnoughPrompts, IclErrorKind.InvalidArgument,
                $"{count} dummy queries need as many train items outside the {demonstrations.Count} demonstrations; {_data.Train.Name} has {candidates.Length}.", count);
        new SeededRandom(seed, DummyQueryStream).ShuffleFront(candidates, count);
        return candidates.Take(count).Select((query, i) => new IclPrompt(i, query, demonstrations, Format)).ToArray();
    }

    /// <summary><see cref="BuildDummyQueryPrompts"/>, encoded in batches of <paramref name="batchSize"/>; the caller disposes each batch.</summary>
    public IEnumerable<TaskPromptBatch> DummyQueryPrompts(IReadOnlyList<IclExample> demonstrations, int count, int batchSize, int seed)
    {
        var prompts = BuildDummyQueryPrompts(demonstrations, count, seed);
        if (batchSize < 1)
            throw new IclPsException(TaskVectorErrorIds.InvalidOption, IclErrorKind.InvalidArgument, $"Batch size must be at least 1, got {batchSize}.", batchSize);
        return prompts.Chunk(batchSize).Select(Encode);
    }

    /// <summary>One batch of the given prompts (the caller disposes it).</summary>
    public TaskPromptBatch EncodePrompts(IReadOnlyList<IclPrompt> prompts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Count == 0)
            throw new IclPsException(TaskVectorErrorIds.NotEnoughPrompts, IclErrorKind.InvalidArgument, "No prompts to encode.", prompts);
        return Encode(prompts.ToArray());
    }

    public override Tensor Predict(TaskPromptBatch batch, HookSet? hooks)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return Network.Forward(batch.Inputs, batch.Mask, hooks, lastPositionOnly: true);
    }

    public override Tensor Loss(Tensor output, TaskPromptBatch batch) =>
        nn.functional.cross_entropy(Decodable(output), batch.Targets.to(output.device), reduction: nn.Reduction.None);

    public override Tensor Score(Tensor output, TaskPromptBatch batch)
    {
        using var scope = NewDisposeScope();
        var probabilities = Decodable(output).to(ScalarType.Float64).softmax(-1);
        return probabilities.gather(1, batch.Targets.to(output.device).view(-1, 1)).squeeze(1).MoveToOuterDisposeScope();
    }

    public override Tensor Metric(Tensor output, TaskPromptBatch batch)
    {
        using var scope = NewDisposeScope();
        return Decodable(output).argmax(1).eq(batch.Targets.to(output.device)).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    // Only ids the tokenizer can decode are candidates: preset models may have a larger vocabulary than their tokenizer.
    private Tensor Decodable(Tensor logits) => logits.narrow(1, 0, Math.Min(_model.Tokenizer.VocabSize, _model.Config.VocabSize));

    private IclDataset Split(TaskDataSplit split) => split switch
    {
        TaskDataSplit.Train => _data.Train,
        TaskDataSplit.Valid => _data.Valid,
        TaskDataSplit.Test => _data.Test,
        _ => throw new ArgumentOutOfRangeException(nameof(split)),
    };

    private TaskPromptBatch Encode(IclPrompt[] prompts)
    {
        using var scope = NewDisposeScope();
        var encoded = prompts.Select(p => _encoder.Encode(p)).ToArray();
        var batch = PromptBatch.Create(encoded, _model.Tokenizer.PadTokenId, Network.Device, withContinuations: false);
        var targets = tensor(encoded.Select(e => (long)e.ContinuationIds[0]).ToArray(), dtype: ScalarType.Int64, device: Network.Device);
        return new TaskPromptBatch(batch.InputIds, batch.AttentionMask, targets, prompts.Select(p => p.Query.ToString()).ToArray());
    }
}
