using IclPs.Engine.Data;
using IclPs.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Prompting;

/// <summary>
/// Runs few-shot prompts through a model in left-padded batches and streams one <see cref="IclPromptResult"/> per query
/// as each batch finishes. Per batch: one teacher-forced Score pass over prompt + expected continuation (log-probability,
/// rank, first-token correctness, and the first generated token), which also records the prompt's keys and values; then
/// greedy Generate passes, one new column each against that key/value cache, until every prompt has hit a stop string,
/// the end-of-sequence token, MaxNewTokens or the context window.
/// </summary>
public sealed class IclPromptRunner
{
    private readonly IclModel _model;
    private readonly IclRunOptions _options;

    public IclPromptRunner(IclModel model, IclRunOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _model = model;
        _options = options;
    }

    internal IclModel Model => _model;
    internal IclRunOptions Options => _options;

    /// <summary>
    /// Streams results in query order, pulling one batch of queries at a time (<see cref="IclPromptQueue"/> fed from
    /// <paramref name="queries"/>). <paramref name="demonstrationPool"/> (normally the train split) supplies the
    /// demonstrations. Cancellation is checked before every forward pass and surfaces as <see cref="OperationCanceledException"/>.
    /// </summary>
    public IEnumerable<IclPromptResult> Run(IEnumerable<IclExample> queries, IReadOnlyList<IclExample> demonstrationPool, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queries);
        // Made here so a bad format or pool fails at the call, not at the first MoveNext.
        var queue = new IclPromptQueue(this, demonstrationPool, cancellationToken);
        return Stream(queries, queue);
    }

    private IEnumerable<IclPromptResult> Stream(IEnumerable<IclExample> queries, IclPromptQueue queue)
    {
        int? total = queries switch
        {
            IReadOnlyCollection<IclExample> c => c.Count,
            ICollection<IclExample> c => c.Count,
            _ => null,
        };
        var completed = 0;
        IEnumerable<IclPromptResult> Report(IReadOnlyList<IclPromptResult> batch)
        {
            if (batch.Count == 0) return batch;
            completed += batch.Count;
            _options.Progress?.Invoke(new IclRunProgress(completed, total));
            return batch;
        }
        foreach (var query in queries)
        {
            foreach (var result in Report(queue.Add(query))) yield return result;
        }
        foreach (var result in Report(queue.Flush())) yield return result;
    }

    /// <summary>
    /// One batch through the model: the Score pass, then generation. Computed apart from any iterator so no_grad and the
    /// dispose scope never stay open while the caller holds a result.
    /// </summary>
    internal IclPromptResult[] RunBatch(EncodedPrompt[] prompts, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var network = _model.Network;
        var batch = PromptBatch.Create(prompts, _model.Tokenizer.PadTokenId, network.Device, withContinuations: true);
        // The first token comes from the Score pass; each later one is a Generate pass, as long as the context window allows.
        var steps = Math.Min(_options.MaxNewTokens - 1, _model.Config.ContextLength - batch.PromptLength);
        using var cache = steps > 0 ? network.NewDecodingCache(batch.PromptLength, steps) : null;
        var score = Score(batch, prompts, cache);

        var generated = Generate(batch, score.FirstPredicted, cache, cancellationToken);
        return prompts.Select((p, r) =>
        {
            var predicted = generated[r];
            return new IclPromptResult
            {
                QueryIndex = p.Prompt.QueryIndex,
                Query = p.Prompt.Query.Input,
                Expected = p.Prompt.Query.Output,
                Predicted = predicted,
                FirstTokenCorrect = score.FirstPredicted[r] == p.ContinuationIds[0],
                ExactMatch = string.Equals(predicted.Trim(), p.Prompt.Query.Output.Trim(), StringComparison.Ordinal),
                ExpectedLogProb = score.LogProb[r],
                ExpectedRank = score.Rank[r],
                ExpectedTokens = p.ContinuationIds.Length,
                Shots = p.Shots,
                ShotsRequested = _options.Shots,
                Seed = _options.Seed,
                Model = _model.Name,
                ModelSource = _model.Source,
                PromptTokens = p.PromptIds.Length,
                ShuffledLabels = _options.ShuffleLabels,
                Intervention = _options.Intervention,
                Prompt = _options.IncludePrompt ? p.Prompt.Text : null,
            };
        }).ToArray();
    }

    private int DecodableVocabulary => Math.Min(_model.Tokenizer.VocabSize, _model.Config.VocabSize);

    private (double[] LogProb, int[] Rank, long[] FirstPredicted) Score(PromptBatch batch, EncodedPrompt[] prompts, KeyValueCache? cache)
    {
        var (b, p, c) = (batch.BatchSize, batch.PromptLength, batch.ContinuationLength);
        using var hooks = _options.Hooks?.Invoke(new IclForwardPass(IclPassKind.Score, b, batch.Length, batch.PromptEnd, 0, 0));
        // logits: [b, c, vocab] at columns p-1.., where column p-1+j predicts continuation token j; no other column is read.
        var logits = _model.Network.ForwardColumns(batch.InputIds, batch.AttentionMask, p - 1, c, hooks, cache);
        // Only ids the tokenizer can decode are candidates: preset models may have a larger vocabulary than their tokenizer.
        var predicting = logits.narrow(2, 0, DecodableVocabulary).to(ScalarType.Float64).log_softmax(-1);   // [b, c, vocab]
        var targets = new long[b * c];
        var real = new double[b * c];
        for (var r = 0; r < b; r++)
        {
            var ids = prompts[r].ContinuationIds;
            for (var j = 0; j < ids.Length; j++) { targets[r * c + j] = ids[j]; real[r * c + j] = 1; }
        }
        var targetTensor = tensor(targets, new long[] { b, c, 1 }, device: logits.device);
        var realTensor = tensor(real, new long[] { b, c }, device: logits.device);
        var tokenLogProbs = predicting.gather(2, targetTensor).squeeze(2) * realTensor;   // [b, c]
        var logProb = tokenLogProbs.sum(1).cpu().data<double>().ToArray();

        var first = predicting.select(1, 0);                                                 // [b, vocab]
        var firstTarget = first.gather(1, targetTensor.select(1, 0));                        // [b, 1]
        var rank = ((first > firstTarget).sum(1) + 1).cpu().data<long>().Select(x => (int)x).ToArray();
        var argmax = first.argmax(1).cpu().data<long>().ToArray();
        return (logProb, rank, argmax);
    }

    /// <summary>
    /// Greedy decoding; the first token comes from the Score pass, whose logits at the prompt end are the same computation.
    /// Each later token is one column against <paramref name="cache"/> (null when no later token can be generated).
    /// </summary>
    private string[] Generate(PromptBatch batch, long[] firstTokens, KeyValueCache? cache, CancellationToken cancellationToken)
    {
        var b = batch.BatchSize;
        var tokens = Enumerable.Range(0, b).Select(_ => new List<int>()).ToArray();
        var text = new string[b];
        var done = new bool[b];
        Array.Fill(text, "");
        if (_options.MaxNewTokens == 0) return text;

        var stops = _options.StopStrings;
        var eos = _model.Tokenizer.EosTokenId;
        var next = firstTokens;
        for (var step = 0; ; step++)
        {
            for (var r = 0; r < b; r++)
            {
                if (done[r]) continue;
                if (next[r] == eos) { done[r] = true; continue; }
                tokens[r].Add((int)next[r]);
                (text[r], done[r]) = Cut(_model.Tokenizer.Decode(tokens[r]), stops);
            }
            // The cache is sized for every step MaxNewTokens and the context window allow.
            if (done.All(d => d) || cache is null || cache.Length == cache.Capacity) break;
            cancellationToken.ThrowIfCancellationRequested();

            using var stepScope = NewDisposeScope();
            // Finished rows keep decoding a pad token (their output is no longer read) so the batch stays rectangular.
            var appended = tensor(next.Select((t, r) => done[r] ? _model.Tokenizer.PadTokenId : t).ToArray(), new long[] { b, 1 }, device: _model.Network.Device);
            var length = cache.Length + 1;
            using var hooks = _options.Hooks?.Invoke(new IclForwardPass(IclPassKind.Generate, b, length, batch.PromptEnd, step + 1, length - 1));
            next = _model.Network.ForwardNext(cache, appended, hooks).narrow(1, 0, DecodableVocabulary).argmax(1).cpu().data<long>().ToArray();
        }
        return text;
    }

    /// <summary>Removes the leading target delimiter, then cuts at the earliest stop string; reports whether one was found.</summary>
    private (string Text, bool Stopped) Cut(string decoded, IReadOnlyList<string> stops)
    {
        var delimiter = _options.Format.TargetDelimiter;
        if (delimiter.Length > 0 && decoded.StartsWith(delimiter, StringComparison.Ordinal)) decoded = decoded[delimiter.Length..];
        var cut = -1;
        foreach (var stop in stops)
        {
            var at = decoded.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        return cut < 0 ? (decoded, false) : (decoded[..cut], true);
    }
}
