using TorchSharp;
using static TorchSharp.torch;
using GeluApproximation = TorchSharp.Modules.GELU.Approximate;

namespace IclPs.Bench;

/// <summary>
/// <c>profile</c>: where a GPT-2 forward pass spends its time. Each operation of a block, the LM head and a few alternative
/// formulations are timed with plain torch ops on the model's shapes and layouts, interleaved with the real forward pass and a
/// square matmul, so the per-forward sum can be checked against the measured pass and each op compared with the matmul's FLOP/s.
/// </summary>
public static class ProfileBench
{
    /// <summary>An op timed on its own: how often one forward pass runs it (0 for alternatives) and its FLOPs per call.</summary>
    private sealed record Op(string Name, int CallsPerForward, double Flops, Action Body);

    public static int Run(string[] args)
    {
        var options = new BenchOptions(args, [.. BenchSession.CommonOptions, "preset", "batch", "tokens", "reps", "warmup", "ref-size"]);
        var batch = options.Int("batch", 8);
        var tokens = options.Int("tokens", 128);
        var reps = options.Int("reps", 5);
        var warmup = options.Int("warmup", 1, min: 0);
        var reference = new SquareMatmul(options.Int("ref-size", 2048), seed: 1);
        using var session = BenchSession.Start("profile", options);
        using var workload = Gpt2Workload.Create(options);
        var c = workload.Config;
        var threads = session.Machine.TorchThreads;
        var ids = workload.Prompts(batch, tokens, seed: batch);

        long b = batch, t = tokens, d = c.DModel, m = c.MlpHidden, h = c.Heads, dh = c.DHead, v = c.VocabSize, layers = c.Layers;
        var gen = new Generator(7);
        Tensor Rand(params long[] shape) => randn(shape, generator: gen) * 0.02;
        var x = Rand(b, t, d);
        var lnWeight = ones(d);
        var lnBias = zeros(d);
        var (wQkv, bQkv, wO, bO, wFc, bFc, wProj, bProj) = (Rand(d, 3 * d), zeros(3 * d), Rand(d, d), zeros(d), Rand(d, m), zeros(m), Rand(m, d), zeros(d));
        var wQkvOutIn = wQkv.t().contiguous();
        var wte = Rand(v, d);
        var wteInOut = wte.t().contiguous();
        var wpe = Rand(c.ContextLength, d);
        var positions = arange(t).unsqueeze(0).expand(b, t);
        // q, k, v as the model makes them: views of the fused QKV output, [b, H, t, d_head].
        var qkv = x.matmul(wQkv).add_(bQkv).view(b, t, 3, h, dh).permute(2, 0, 3, 1, 4);
        var (q, k, vv) = (qkv[0], qkv[1], qkv[2]);
        var (qc, kc, vc) = (q.contiguous(), k.contiguous(), vv.contiguous());
        var causal = ones(t, t, dtype: ScalarType.Bool).tril();
        var attnBias = zeros(b, 1, t, t).masked_fill(causal.logical_not().view(1, 1, t, t), -3.4e38);
        var z = nn.functional.scaled_dot_product_attention(q, k, vv, attnBias).transpose(1, 2);
        var hidden = Rand(b, t, m);
        var linearPerToken = 2.0 * b * t;

        var ops = new List<Op>
        {
            new("embedding lookup + positions", 1, 0, () => { _ = wte.index_select(0, ids.flatten()).view(b, t, d) + wpe.index_select(0, positions.flatten()).view(b, t, d); }),
            new("layer_norm", (int)(2 * layers + 1), 0, () => nn.functional.layer_norm(x, [d], lnWeight, lnBias, c.NormEps)),
            new("qkv x@W[in,out]+b (model)", (int)layers, linearPerToken * d * 3 * d, () => x.matmul(wQkv).add_(bQkv)),
            new("attn sdpa + additive mask (model)", (int)layers, 4.0 * b * t * t * d, () => nn.functional.scaled_dot_product_attention(q, k, vv, attnBias)),
            new("out proj z.reshape@W+b (model)", (int)layers, linearPerToken * d * d, () => z.reshape(b, t, d).matmul(wO).add_(bO)),
            new("mlp c_fc x@W+b", (int)layers, linearPerToken * d * m, () => x.matmul(wFc).add_(bFc)),
            new("gelu tanh", (int)layers, 0, () => nn.functional.gelu(hidden, GeluApproximation.tanh)),
            new("mlp c_proj h@W+b", (int)layers, linearPerToken * m * d, () => hidden.matmul(wProj).add_(bProj)),
            new("residual add", (int)(2 * layers), 0, () => { _ = x + x; }),
            new("lm head all x@wte.T (model)", 1, linearPerToken * d * v, () => x.matmul(wte.t())),
            new("alt: qkv linear(x, W[out,in], b)", 0, linearPerToken * d * 3 * d, () => nn.functional.linear(x, wQkvOutIn, bQkv)),
            new("alt: attn sdpa is_causal, no mask", 0, 4.0 * b * t * t * d, () => nn.functional.scaled_dot_product_attention(q, k, vv, null, 0.0, true)),
            new("alt: attn sdpa contiguous q,k,v + mask", 0, 4.0 * b * t * t * d, () => nn.functional.scaled_dot_product_attention(qc, kc, vc, attnBias)),
            new("alt: lm head x@wte.T contiguous", 0, linearPerToken * d * v, () => x.matmul(wteInOut)),
            new("alt: lm head last position only", 0, 2.0 * b * d * v, () => x.select(1, -1).matmul(wte.t())),
        };

        var model = workload.Model;
        var cases = new List<BenchCase>
        {
            reference.Case(),
            OneThread(reference.Case($"matmul {reference.Size}x{reference.Size}, 1 thread"), threads),
            new("model forward, all logits", () => model.Forward(ids)),
            new("model forward, last logits", () => model.Forward(ids, lastPositionOnly: true)),
            OneThread(new("model forward, all logits, 1 thread", () => model.Forward(ids)), threads),
        };
        cases.AddRange(ops.Select(op => new BenchCase(op.Name, op.Body)));
        var timings = StopwatchHarness.Interleaved(cases, warmup, reps);
        var referenceRate = reference.Flops / timings[0].Median;
        var forwardAll = timings[2].Median;

        foreach (var timing in timings.Take(2))
        {
            session.Add(timing.Name, "ms/call", timing.Median * 1e3, "ms");
            session.Add(timing.Name, "spread", timing.Spread * 100, "%");
            session.Add(timing.Name, "achieved", reference.Flops / timing.Median / 1e9, "GFLOP/s");
        }
        foreach (var (timing, lastOnly) in new[] { (timings[2], false), (timings[3], true), (timings[4], false) })
        {
            var rate = ForwardFlops.Gpt2(c, batch, tokens, lastOnly).Total / timing.Median;
            session.Add(timing.Name, "ms/call", timing.Median * 1e3, "ms");
            session.Add(timing.Name, "spread", timing.Spread * 100, "%");
            session.Add(timing.Name, "ms/forward", timing.Median * 1e3, "ms");
            session.Add(timing.Name, "achieved", rate / 1e9, "GFLOP/s");
            session.Add(timing.Name, "of matmul", rate / referenceRate * 100, "%");
        }
        var accounted = 0.0;
        foreach (var (op, timing) in ops.Zip(timings.Skip(5)))
        {
            session.Add(op.Name, "ms/call", timing.Median * 1e3, "ms");
            session.Add(op.Name, "spread", timing.Spread * 100, "%");
            session.Add(op.Name, "calls", op.CallsPerForward);
            if (op.CallsPerForward > 0)
            {
                var perForward = op.CallsPerForward * timing.Median;
                accounted += perForward;
                session.Add(op.Name, "ms/forward", perForward * 1e3, "ms");
                session.Add(op.Name, "share", perForward / forwardAll * 100, "% fwd");
            }
            if (op.Flops > 0)
            {
                session.Add(op.Name, "achieved", op.Flops / timing.Median / 1e9, "GFLOP/s");
                session.Add(op.Name, "of matmul", op.Flops / timing.Median / referenceRate * 100, "%");
            }
        }
        session.Add("sum of model ops", "ms/forward", accounted * 1e3, "ms");
        session.Add("sum of model ops", "share", accounted / forwardAll * 100, "% fwd");
        session.Add("unaccounted (forward - sum)", "ms/forward", (forwardAll - accounted) * 1e3, "ms");
        session.Add("unaccounted (forward - sum)", "share", (forwardAll - accounted) / forwardAll * 100, "% fwd");

        session.Note($"model: {c}, random weights seed 0; batch {batch} x {tokens} random tokens; {reps} interleaved rounds after {warmup} warm-up calls.");
        session.Note("ops run on random tensors of the model's shapes and layouts; 'calls' = times one all-logits forward runs the op (0: an alternative, not summed);");
        session.Note("'share' = calls x ms/call over the measured all-logits forward; the attention-bias build and hook checks fall under 'unaccounted'.");
        return session.Finish();
    }

    /// <summary>The same work with torch limited to one thread, restored afterwards: how much the second core buys.</summary>
    private static BenchCase OneThread(BenchCase inner, int threads) => new(inner.Name, () =>
    {
        torch.set_num_threads(1);
        try { inner.Body(); }
        finally { torch.set_num_threads(threads); }
    });
}
