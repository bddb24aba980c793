namespace IclPs.Bench;

/// <summary>
/// <c>forward</c>: GPT-2-small forward passes on batches of random prompts, all logits and last-position logits,
/// as tokens/s and as achieved FLOP/s relative to a square matmul timed in the same interleaved rounds.
/// </summary>
public static class ForwardBench
{
    private const double TargetShare = 0.5;

    public static int Run(string[] args)
    {
        var options = new BenchOptions(args, [.. BenchSession.CommonOptions, "preset", "batches", "tokens", "reps", "warmup", "ref-size"]);
        var batches = options.IntList("batches", [1, 4, 8]);
        var tokens = options.Int("tokens", 128);
        var reps = options.Int("reps", 5);
        var warmup = options.Int("warmup", 1, min: 0);
        var reference = new SquareMatmul(options.Int("ref-size", 2048), seed: 1);
        using var session = BenchSession.Start("forward", options);
        using var workload = Gpt2Workload.Create(options);
        var config = workload.Config;

        var runs = new List<(string Name, int Batch, bool LastOnly)>();
        var cases = new List<BenchCase> { reference.Case() };
        foreach (var batch in batches)
        {
            var ids = workload.Prompts(batch, tokens, seed: batch);
            foreach (var lastOnly in new[] { false, true })
            {
                var name = $"forward b={batch} t={tokens} {(lastOnly ? "last logits" : "all logits")}";
                runs.Add((name, batch, lastOnly));
                cases.Add(new BenchCase(name, () => workload.Model.Forward(ids, lastPositionOnly: lastOnly)));
            }
        }

        var timings = StopwatchHarness.Interleaved(cases, warmup, reps);
        var referenceRate = reference.Flops / timings[0].Median;
        session.Add(timings[0].Name, "median", timings[0].Median * 1e3, "ms");
        session.Add(timings[0].Name, "spread", timings[0].Spread * 100, "%");
        session.Add(timings[0].Name, "achieved", referenceRate / 1e9, "GFLOP/s");
        foreach (var (run, timing) in runs.Zip(timings.Skip(1)))
        {
            var flops = ForwardFlops.Gpt2(config, run.Batch, tokens, run.LastOnly);
            var rate = flops.Total / timing.Median;
            session.Add(run.Name, "median", timing.Median * 1e3, "ms");
            session.Add(run.Name, "spread", timing.Spread * 100, "%");
            session.Add(run.Name, "tokens/s", run.Batch * tokens / timing.Median);
            session.Add(run.Name, "work", flops.Total / 1e9, "GFLOP");
            session.Add(run.Name, "achieved", rate / 1e9, "GFLOP/s");
            session.Add(run.Name, "of matmul", rate / referenceRate * 100, "%");
            session.Add(run.Name, "of matmul, paired", Share(flops, timing, reference, timings[0]) * 100, "%");
            session.Add(run.Name, "of matmul, best", flops.Total / timing.Min / (reference.Flops / timings[0].Min) * 100, "%");
        }

        var perSequence = ForwardFlops.Gpt2(config, 1, tokens, lastPositionOnly: false);
        session.Note($"model: {config} ({config.ParameterCount / 1e6:0.#}M parameters), random weights seed 0; prompts of {tokens} random tokens.");
        session.Note("FLOPs (multiply-add = 2, matrix products only) = 2*b*t*L*(4d^2 + 2*d*m)  [2 x matmul params x tokens]");
        session.Note("  + 4*b*t^2*d*L  [Q K^T and pattern V over the full t x t square]  + 2*b*t'*d*V  [LM head; t' = t, or 1 for last logits].");
        session.Note($"  per {tokens}-token sequence: linear {perSequence.Linear / 1e9:0.###} + attention {perSequence.Attention / 1e9:0.###} + LM head {perSequence.LmHead / 1e9:0.###} GFLOP (all logits).");
        session.Note($"'of matmul' = achieved FLOP/s / FLOP/s of the {reference.Size}^2 matmul timed in the same {reps} interleaved rounds (medians);");
        session.Note("  'paired' = the same from the median over rounds of forward time / matmul time in that round; 'best' = from the fastest of each.");
        foreach (var (run, timing) in runs.Zip(timings.Skip(1)))
        {
            var share = Share(ForwardFlops.Gpt2(config, run.Batch, tokens, run.LastOnly), timing, reference, timings[0]);
            session.Note($"  {run.Name}: {share:P0} of matmul (paired) -> {(share >= TargetShare ? "meets" : "below")} target >= {TargetShare:P0}");
        }
        return session.Finish();
    }

    /// <summary>Forward FLOP/s over matmul FLOP/s, from the median of per-round time ratios, which cancels load that shifts between rounds.</summary>
    private static double Share(ForwardFlops flops, Timing forward, SquareMatmul reference, Timing matmul) =>
        flops.Total / reference.Flops / forward.PairedRatio(matmul);
}
