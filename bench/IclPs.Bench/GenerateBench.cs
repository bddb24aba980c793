using System.Diagnostics;
using IclPs.Engine.Models;
using static TorchSharp.torch;

namespace IclPs.Bench;

/// <summary>
/// <c>generate</c>: greedy decoding of <c>--new-tokens</c> tokens after a random prompt, on the key/value cache
/// (<see cref="TransformerModel.ForwardColumns"/> records the prompt, then one <see cref="TransformerModel.ForwardNext"/>
/// per token) and uncached (the whole sequence re-run through <see cref="TransformerModel.Forward"/> for every token, as
/// the prompt runner did before the cache), with a one-token forward pass as the yardstick of a cached step.
/// </summary>
public static class GenerateBench
{
    public static int Run(string[] args)
    {
        var options = new BenchOptions(args, [.. BenchSession.CommonOptions, "preset", "batches", "prompt-tokens", "new-tokens", "reps", "warmup"]);
        var batches = options.IntList("batches", [1, 8]);
        var promptTokens = options.Int("prompt-tokens", 32);
        var newTokens = options.Int("new-tokens", 64, min: 2);
        var reps = options.Int("reps", 3);
        var warmup = options.Int("warmup", 1, min: 0);
        using var session = BenchSession.Start("generate", options);
        using var workload = Gpt2Workload.Create(options);
        var model = workload.Model;
        session.ChooseThreads(workload.Config.ParameterCount);
        if (promptTokens + newTokens > workload.Config.ContextLength)
            throw new BenchOptionException($"--prompt-tokens + --new-tokens must be at most the context length {workload.Config.ContextLength}, got {promptTokens + newTokens}.");

        var cases = new List<BenchCase>();
        var stepSeconds = new Dictionary<int, List<double>>();
        foreach (var batch in batches)
        {
            var prompt = workload.Prompts(batch, promptTokens, seed: batch);
            var oneToken = workload.Prompts(batch, 1, seed: 100 + batch);
            var steps = stepSeconds[batch] = new List<double>();
            // Not timed: the cached tokens must be the uncached ones, or the speed-up compares different work.
            using (NewDisposeScope())
            {
                var same = Cached(model, prompt, newTokens, new List<double>()).eq(Uncached(model, prompt, newTokens)).all().item<bool>();
                session.Add($"b={batch}", "same tokens", same ? 1 : 0, same ? "yes" : "NO");
            }
            cases.Add(new BenchCase($"cached b={batch}", () => Cached(model, prompt, newTokens, steps)));
            cases.Add(new BenchCase($"uncached b={batch}", () => Uncached(model, prompt, newTokens)));
            cases.Add(new BenchCase($"one-token forward b={batch}", () => model.Forward(oneToken, lastPositionOnly: true)));
        }

        var timings = StopwatchHarness.Interleaved(cases, warmup, reps);
        for (var i = 0; i < batches.Length; i++)
        {
            var batch = batches[i];
            var (cached, uncached, single) = (timings[3 * i], timings[3 * i + 1], timings[3 * i + 2]);
            foreach (var t in new[] { cached, uncached, single })
            {
                session.Add(t.Name, "median", t.Median * 1e3, "ms");
                session.Add(t.Name, "spread", t.Spread * 100, "%");
            }
            session.Add(cached.Name, "tokens/s", batch * newTokens / cached.Median, "tok/s");
            session.Add(uncached.Name, "tokens/s", batch * newTokens / uncached.Median, "tok/s");
            session.Add($"b={batch}", "cached_speedup", uncached.PairedRatio(cached), "x");
            session.Add($"b={batch}", "cached_speedup of medians", uncached.Median / cached.Median, "x");
            // The step loop's own time, per token, in the rounds the harness timed (the list also holds the warm-up calls).
            var perStep = new Timing("cached step", stepSeconds[batch].TakeLast(reps).Select(s => s / (newTokens - 1)).ToArray());
            session.Add(cached.Name, "per cached step", perStep.Median * 1e3, "ms");
            session.Add($"b={batch}", "cached step over one-token forward", perStep.PairedRatio(single), "x");
        }
        session.Note($"model: {workload.Config} ({workload.Config.ParameterCount / 1e6:0.#}M parameters), random weights seed 0; prompts of {promptTokens} random tokens, no padding.");
        session.Note($"Each case decodes {newTokens} tokens greedily: one pass over the prompt, then {newTokens - 1} steps. Cached: each step is one column");
        session.Note("  against the per-layer key/value cache; uncached: each step re-runs prompt + tokens so far (last-position logits).");
        session.Note("cached_speedup = median over rounds of uncached time / cached time in the same round (paired); 'of medians' from the medians.");
        session.Note("cached step over one-token forward = median over rounds of (cached steps' time / steps) / a [b, 1] forward pass's time in that round.");
        return session.Finish();
    }

    /// <summary>The generated tokens [b, n] from the cache; adds the steps' wall time (after the prompt pass) to <paramref name="stepSeconds"/>.</summary>
    private static Tensor Cached(TransformerModel model, Tensor prompt, int newTokens, List<double> stepSeconds)
    {
        var (b, p) = (prompt.shape[0], (int)prompt.shape[1]);
        using var cache = model.NewDecodingCache(p, newTokens - 1);
        var tokens = new List<Tensor> { model.ForwardColumns(prompt, null, p - 1, 1, cache: cache).select(1, 0).argmax(1).view(b, 1) };
        var watch = Stopwatch.StartNew();
        for (var step = 1; step < newTokens; step++)
        {
            using var logits = model.ForwardNext(cache, tokens[^1]);
            tokens.Add(logits.argmax(1).view(b, 1));
        }
        stepSeconds.Add(watch.Elapsed.TotalSeconds);
        return cat(tokens, 1);
    }

    /// <summary>The generated tokens [b, n], re-running the whole sequence for each.</summary>
    private static Tensor Uncached(TransformerModel model, Tensor prompt, int newTokens)
    {
        var b = prompt.shape[0];
        var sequence = prompt;
        for (var step = 0; step < newTokens; step++)
        {
            using var logits = model.Forward(sequence, lastPositionOnly: true);
            sequence = cat([sequence, logits.argmax(1).view(b, 1)], 1);
        }
        return sequence.narrow(1, prompt.shape[1], newTokens);
    }
}
