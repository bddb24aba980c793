using IclPs.Engine.Regression.Categorical;
using IclPs.Engine.Training;
using static TorchSharp.torch;

namespace IclPs.Bench;

/// <summary>
/// <c>categorical-step</c>: the two models of docs/science.md §4 (GD model and trained transformer, softmax kernel) at the sizes
/// of docs/results (C = 25, d = 10, d' = 5, N = 40 context points, batch 512, L = 2 by default): a forward pass without autograd,
/// a forward + backward, and a whole update (forward, backward, Adam step), as updates/s, with the forward's achieved FLOP/s
/// over a square matmul timed in the same interleaved rounds.
/// </summary>
public static class CategoricalStepBench
{
    public static int Run(string[] args)
    {
        var options = new BenchOptions(args, [.. BenchSession.CommonOptions, "points", "batch", "layers", "reps", "warmup", "ref-size"]);
        var points = options.Int("points", 40);
        var batchSize = options.Int("batch", 512);
        var layers = options.Int("layers", 2);
        var reps = options.Int("reps", 7);
        var warmup = options.Int("warmup", 2, min: 0);
        var reference = new SquareMatmul(options.Int("ref-size", 1024), seed: 1);
        using var session = BenchSession.Start("categorical-step", options);

        var settings = new CategoricalTaskSettings { ContextPoints = points };
        using var tasks = new CategoricalTasks(settings);
        using var batch = tasks.Sample(CategoricalDataSplit.Train, batchSize);
        var models = new[] { CategoricalModelKind.Gd, CategoricalModelKind.Transformer }
            .Select(kind => CategoricalAttentionModel.Create(CategoricalModelConfig.For(kind, layers, CategoricalKernel.Softmax, null, settings), seed: 0)).ToList();
        var optimizers = models.Select(m => new AdamWOptimizer(m.Weights(), beta2: m.Config.Kind == CategoricalModelKind.Gd ? 0.999 : 0.98)).ToList();
        try
        {
            var cases = new List<BenchCase> { reference.Case() };
            foreach (var (model, optimizer) in models.Zip(optimizers))
            {
                var kind = model.Config.Kind;
                cases.Add(new BenchCase($"{kind} forward", () => model.QueryLogits(batch)));
                cases.Add(new BenchCase($"{kind} forward+backward", () =>
                {
                    using var grad = enable_grad();
                    model.zero_grad();
                    model.Loss(batch).backward();
                }));
                cases.Add(new BenchCase($"{kind} update", () =>
                {
                    // The session runs under no_grad; an update needs the graph.
                    using var grad = enable_grad();
                    model.zero_grad();
                    model.Loss(batch).backward();
                    optimizer.Step(1e-3);
                }));
            }
            var timings = StopwatchHarness.Interleaved(cases, warmup, reps);
            var matmul = timings[0];
            var referenceRate = reference.Flops / matmul.Median;
            session.Add(matmul.Name, "median", matmul.Median * 1e3, "ms");
            session.Add(matmul.Name, "achieved", referenceRate / 1e9, "GFLOP/s");
            for (var m = 0; m < models.Count; m++)
            {
                var (forward, backward, update) = (timings[1 + 3 * m], timings[2 + 3 * m], timings[3 + 3 * m]);
                var flops = Flops(models[m].Config, batchSize, points);
                foreach (var t in new[] { forward, backward, update })
                {
                    session.Add(t.Name, "median", t.Median * 1e3, "ms");
                    session.Add(t.Name, "spread", t.Spread * 100, "%");
                }
                session.Add(update.Name, "updates/s", 1 / update.Median);
                session.Add(forward.Name, "work", flops / 1e6, "MFLOP");
                session.Add(forward.Name, "achieved", flops / forward.Median / 1e9, "GFLOP/s");
                session.Add(forward.Name, "of matmul, paired", flops / reference.Flops / forward.PairedRatio(matmul) * 100, "%");
                session.Add(update.Name, "forward share", forward.Median / update.Median * 100, "%");
                session.Add(update.Name, "backward share", (backward.Median - forward.Median) / update.Median * 100, "%");
                session.Add(update.Name, "optimizer share", (update.Median - backward.Median) / update.Median * 100, "%");
                session.Note($"{models[m].Config.Kind}: {models[m].Config}, {models[m].Weights().Sum(w => w.Parameter.numel())} parameters, random weights seed 0.");
            }
            session.Note($"batch {batchSize} contexts x {points + 1} tokens (N = {points} context points + query), width {settings.Width}, float32, softmax kernel.");
            session.Note("FLOPs (multiply-add = 2, matrix products only; softmax, exp and adds left out): Transformer per layer");
            session.Note("  2bTw^2 (2 Q) + 2bNw^2 (2 K) + 2bNw^2 (2 V) + 2 x 4bTNw (2 heads: scores, pattern V) + 2bTw^2 (2 out)");
            session.Note("  + cross: 2bTw^2 (Q) + 2bTwC (scores) + 2bTCw (pattern V) + 2bTw^2 (out); GD per layer: 2bTNd (kernel) + 2bTNd' (step)");
            session.Note("  + 2bTd'C x 2 (cross) [+ 2bTNd + 2bTNd' for the authors' eraser]; read-out 2bd'C. T = N + 1.");
            session.Note("'of matmul, paired' = forward FLOP/s over the matmul's, from the median over rounds of forward time / matmul time in that round.");
            return session.Finish();
        }
        finally
        {
            foreach (var o in optimizers) o.Dispose();
            foreach (var m in models) m.Dispose();
        }
    }

    /// <summary>Matrix-product FLOPs of one forward over <paramref name="batch"/> contexts of <paramref name="points"/> + 1 tokens.</summary>
    public static double Flops(CategoricalModelConfig c, int batch, int points)
    {
        double b = batch, n = points, t = points + 1, w = c.Width, d = c.Dimension, e = c.EmbeddingDim, C = c.Categories;
        var perLayer = c.Kind == CategoricalModelKind.Transformer
            ? 2 * (2 * b * t * w * w) + 2 * (2 * b * n * w * w) * 2 + 2 * (4 * b * t * n * w) + 2 * (2 * b * t * w * w)
              + 2 * b * t * w * w + 2 * b * t * w * C + 2 * b * t * C * w + 2 * b * t * w * w
            : 2 * b * t * n * d + 2 * b * t * n * e + 2 * (2 * b * t * e * C)
              + (c.Eraser == CategoricalEraser.Authors ? 2 * b * t * n * d + 2 * b * t * n * e : 0);
        return c.Layers * perLayer + 2 * b * e * C;
    }
}
