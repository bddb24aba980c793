using IclPs.Engine.Data;
using IclPs.Engine.Prompting;
using IclPs.Engine.Tokenization;
using static TorchSharp.torch;

namespace IclPs.Engine.TextTasks;

/// <summary>
/// Draws few-shot training sequences from symbolic tasks and turns them into token tensors with a loss mask. The sequences
/// use the same <see cref="PromptFormat"/> layout as <c>Invoke-IclPrompt</c>, so a model trained on them is evaluated on
/// prompts of exactly the shape it saw.
/// </summary>
public sealed class SymbolicSequenceSampler
{
    /// <summary>
    /// Compact layout for character-level models, <c>a=d,b=e,c=</c>. The target delimiter is empty (the "=" lives in the
    /// input template) so the first token the runner scores is the answer symbol itself, not a predictable delimiter.
    /// </summary>
    public static PromptFormat DefaultFormat { get; } = new() { InputTemplate = PromptFormat.InputPlaceholder + "=", TargetDelimiter = "", FewShotDelimiter = "," };

    public SymbolicSequenceSampler(PromptFormat? format = null, QueryPlacement placement = QueryPlacement.Excluded)
    {
        Format = format ?? DefaultFormat;
        Format.Validate();
        if (!Enum.IsDefined(placement))
            throw new IclPsException("InvalidQueryPlacement", IclErrorKind.InvalidArgument, $"Unknown query placement {placement}.", placement);
        Placement = placement;
    }

    public PromptFormat Format { get; }
    public QueryPlacement Placement { get; }

    /// <summary>
    /// <paramref name="batchSize"/> sequences of <paramref name="shots"/> distinct demonstrations and one query, each from a task
    /// drawn uniformly from <paramref name="tasks"/>, query input uniform over the alphabet. The result depends only on
    /// (seed, step), the tasks and the settings, so a training run can be replayed from any step.
    /// </summary>
    public IReadOnlyList<SymbolicSequence> Sample(int batchSize, int shots, long seed, long step, IReadOnlyList<SymbolicTask> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        if (batchSize < 1)
            throw new IclPsException("InvalidBatchSize", IclErrorKind.InvalidArgument, $"Batch size must be at least 1, got {batchSize}.", batchSize);
        if (tasks.Count == 0)
            throw new IclPsException("NoTasks", IclErrorKind.InvalidArgument, "No tasks to sample from.", tasks);
        var minShots = Placement == QueryPlacement.InContext ? 1 : 0;
        foreach (var task in tasks)
        {
            // Excluded leaves n-1 candidate demonstrations, InContext n.
            var maxShots = task.Inputs.Count - 1 + minShots;
            if (shots < minShots || shots > maxShots)
                throw new IclPsException("InvalidShots", IclErrorKind.InvalidArgument,
                    $"Task '{task.Name}' has {task.Inputs.Count} symbols, so {Placement} placement allows {minShots} to {maxShots} shots, got {shots}.", shots);
            RequireSymbolsFitFormat(task);
        }

        var rng = new SeededRandom(seed, step);
        var sequences = new SymbolicSequence[batchSize];
        for (var r = 0; r < batchSize; r++)
        {
            var task = tasks[rng.NextInt(tasks.Count)];
            var examples = task.Examples;
            var queryIndex = rng.NextInt(examples.Count);
            var others = Enumerable.Range(0, examples.Count).Where(i => i != queryIndex).ToArray();
            var otherShots = Placement == QueryPlacement.InContext ? shots - 1 : shots;
            rng.ShuffleFront(others, otherShots);
            var picked = others.Take(otherShots).ToList();
            if (Placement == QueryPlacement.InContext)
            {
                picked.Add(queryIndex);
                var order = picked.ToArray();
                rng.ShuffleFront(order, order.Length);
                picked = order.ToList();
            }
            sequences[r] = new SymbolicSequence(task, picked.Select(i => examples[i]).ToArray(), examples[queryIndex], Format);
        }
        return sequences;
    }

    /// <summary>
    /// Tokenizes <paramref name="sequences"/> (with the tokenizer's BOS first when <paramref name="addBos"/> is set and it has one,
    /// as <c>Invoke-IclPrompt</c> does by default) and right-pads them. Each segment is tokenized on its own so answer tokens are
    /// known exactly; a tokenizer whose tokens cross segment boundaries (BPE merges) is rejected rather than masked wrongly.
    /// </summary>
    public static SymbolicBatch Encode(IReadOnlyList<SymbolicSequence> sequences, ITextTokenizer tokenizer, int contextLength,
        LossScope scope = LossScope.Answers, bool addBos = true, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (sequences.Count == 0)
            throw new IclPsException("NoSequences", IclErrorKind.InvalidArgument, "No sequences to encode.", sequences);
        if (!Enum.IsDefined(scope))
            throw new IclPsException("InvalidLossScope", IclErrorKind.InvalidArgument, $"Unknown loss scope {scope}.", scope);

        var rows = new (List<long> Ids, List<float> Mask)[sequences.Count];
        for (var r = 0; r < sequences.Count; r++)
        {
            var sequence = sequences[r];
            var ids = new List<long>();
            var mask = new List<float>();
            if (addBos && tokenizer.BosTokenId is int bos) { ids.Add(bos); mask.Add(0); }
            foreach (var (text, isAnswer) in sequence.Segments)
            {
                foreach (var id in tokenizer.Encode(text))
                {
                    ids.Add(id);
                    mask.Add(scope == LossScope.AllTokens || isAnswer ? 1 : 0);
                }
            }
            mask[0] = 0;
            var whole = tokenizer.Encode(sequence.Text, addBos);
            if (!whole.Select(i => (long)i).SequenceEqual(ids))
                throw new IclPsException("TokensCrossSegments", IclErrorKind.InvalidArgument,
                    $"Tokenizer '{tokenizer.Name}' tokenizes '{sequence.Text}' differently from its pieces, so answer tokens cannot be marked; use a byte- or character-level tokenizer.", sequence.Text);
            if (ids.Count > contextLength)
                throw new IclPsException("SequenceTooLong", IclErrorKind.LimitsExceeded,
                    $"The {sequence.Shots}-shot sequence '{sequence.Text}' is {ids.Count} tokens, more than the context length {contextLength}; use fewer shots.", sequence.Text);
            rows[r] = (ids, mask);
        }

        var (b, t) = (rows.Length, rows.Max(row => row.Ids.Count));
        var idData = new long[b * t];
        var attention = new long[b * t];
        var loss = new float[b * t];
        Array.Fill(idData, tokenizer.PadTokenId);
        for (var r = 0; r < b; r++)
        {
            for (var j = 0; j < rows[r].Ids.Count; j++)
            {
                idData[r * t + j] = rows[r].Ids[j];
                attention[r * t + j] = 1;
                loss[r * t + j] = rows[r].Mask[j];
            }
        }
        device ??= CPU;
        var shape = new long[] { b, t };
        return new SymbolicBatch(sequences, tensor(idData, shape, device: device), tensor(attention, shape, device: device), tensor(loss, shape, device: device));
    }

    /// <summary>A symbol containing a delimiter or a stop string would make prompts ambiguous and cut generated answers short.</summary>
    private void RequireSymbolsFitFormat(SymbolicTask task)
    {
        string[] separators = [Format.FewShotDelimiter, "\n"];
        foreach (var symbol in task.Inputs.Concat(task.Outputs))
        {
            if (separators.Any(s => s.Length > 0 && symbol.Contains(s, StringComparison.Ordinal)))
                throw new IclPsException("SymbolClashesWithFormat", IclErrorKind.InvalidArgument,
                    $"Symbol '{symbol}' of task '{task.Name}' contains the few-shot delimiter '{Format.FewShotDelimiter}' or a newline.", symbol);
        }
    }
}
