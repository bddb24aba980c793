namespace IclPs.Bench;

/// <summary><c>matmul</c>: float32 square matmul FLOP/s at a few sizes, the yardstick the model benchmarks are compared with.</summary>
public static class MatmulBench
{
    public static int Run(string[] args)
    {
        var options = new BenchOptions(args, [.. BenchSession.CommonOptions, "sizes", "reps", "warmup"]);
        var sizes = options.IntList("sizes", [1024, 1536, 2048]);
        var reps = options.Int("reps", 7);
        var warmup = options.Int("warmup", 2, min: 0);
        using var session = BenchSession.Start("matmul", options);

        var matmuls = sizes.Select(n => new SquareMatmul(n, seed: n)).ToList();
        var timings = StopwatchHarness.Interleaved(matmuls.Select(m => m.Case()).ToList(), warmup, reps);
        foreach (var (m, t) in matmuls.Zip(timings))
        {
            session.Add(t.Name, "median", t.Median * 1e3, "ms");
            session.Add(t.Name, "spread", t.Spread * 100, "%");
            session.Add(t.Name, "median", m.Flops / t.Median / 1e9, "GFLOP/s");
            session.Add(t.Name, "best", m.Flops / t.Min / 1e9, "GFLOP/s");
        }
        session.Note($"FLOPs = 2 n^3 per n x n matmul; {reps} interleaved rounds after {warmup} warm-up calls per size; spread = (max - min) / median.");
        return session.Finish();
    }
}
