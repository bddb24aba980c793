using IclPs.Engine.Models;

namespace IclPs.Bench;

/// <summary>
/// <c>capture</c>: cost of capturing activations relative to a plain forward pass, measured in interleaved rounds:
/// last-position resid_post of every layer, and hook_z of every layer at every position.
/// </summary>
public static class CaptureBench
{
    private const double ResidTarget = 0.05;

    public static int Run(string[] args)
    {
        var options = new BenchOptions(args, [.. BenchSession.CommonOptions, "preset", "batch", "tokens", "reps", "warmup", "logits"]);
        var batch = options.Int("batch", 4);
        var tokens = options.Int("tokens", 128);
        var reps = options.Int("reps", 10);
        var warmup = options.Int("warmup", 2, min: 0);
        var logits = options.String("logits") ?? "last";
        if (logits is not ("last" or "all"))
            throw new BenchOptionException($"option '--logits' must be 'last' or 'all', got '{logits}'.");
        var lastOnly = logits == "last";
        using var session = BenchSession.Start("capture", options);
        using var workload = Gpt2Workload.Create(options);
        var model = workload.Model;
        var layers = workload.Config.Layers;
        var ids = workload.Prompts(batch, tokens, seed: batch);

        var captures = new (string Name, string Pattern, PositionFilter Positions)[]
        {
            ("capture resid_post, last position", "blocks.*.hook_resid_post", PositionFilter.Last),
            ("capture hook_z, all positions", "blocks.*.attn.hook_z", PositionFilter.All),
        };
        var capturedBytes = new long[captures.Length];
        var cases = new List<BenchCase> { new("plain forward", () => model.Forward(ids, lastPositionOnly: lastOnly)) };
        cases.AddRange(captures.Select((c, i) => new BenchCase(c.Name, () =>
        {
            // A fresh HookSet per pass, as a caller capturing per batch would use it; disposing it frees the captures.
            using var hooks = new HookSet().Capture(c.Pattern, c.Positions);
            model.Forward(ids, hooks: hooks, lastPositionOnly: lastOnly);
            if (hooks.Captured.Count != layers)
                throw new InvalidOperationException($"'{c.Pattern}' captured {hooks.Captured.Count} tensors, expected {layers}.");
            capturedBytes[i] = hooks.Captured.Values.Sum(t => t.NumberOfElements * t.ElementSize);
        })));

        var timings = StopwatchHarness.Interleaved(cases, warmup, reps);
        var plain = timings[0];
        foreach (var (timing, i) in timings.Select((t, i) => (t, i)))
        {
            session.Add(timing.Name, "median", timing.Median * 1e3, "ms");
            session.Add(timing.Name, "spread", timing.Spread * 100, "%");
            if (i == 0) continue;
            session.Add(timing.Name, "overhead (medians)", (timing.Median / plain.Median - 1) * 100, "%");
            session.Add(timing.Name, "overhead (paired)", (timing.PairedRatio(plain) - 1) * 100, "%");
            session.Add(timing.Name, "overhead (best)", (timing.Min / plain.Min - 1) * 100, "%");
            session.Add(timing.Name, "captured", capturedBytes[i - 1] / 1048576.0, "MiB");
        }

        session.Note($"model: {workload.Config}, random weights seed 0; batch {batch} x {tokens} random tokens, {logits} logits; {reps} interleaved rounds after {warmup} warm-up calls.");
        session.Note("overhead (medians) = median(capture) / median(plain) - 1; (paired) = median over rounds of capture / plain in the same round - 1;");
        session.Note("  (best) = fastest capture / fastest plain - 1.");
        var resid = timings[1].PairedRatio(plain) - 1;
        session.Note($"resid_post capture target <= {ResidTarget:P0}: paired overhead {resid:P1} -> {(resid <= ResidTarget ? "meets" : "above")} target.");
        return session.Finish();
    }
}
