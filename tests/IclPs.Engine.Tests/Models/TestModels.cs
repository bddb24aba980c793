using IclPs.Engine.Models;
using IclPs.Engine.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Tests.Models;

/// <summary>The tiny architectures the model tests sweep, and seeded models whose every parameter matters.</summary>
public static class TestModels
{
    /// <summary>The presets plus odd shapes: one layer, three heads, 4-to-1 grouped-query attention, untied heads, rope_theta != 10000.</summary>
    public static IReadOnlyDictionary<string, ModelConfig> Configs { get; } = new Dictionary<string, ModelConfig>
    {
        ["gpt2-tiny"] = ModelConfig.Presets["gpt2-tiny"],
        ["llama-tiny"] = ModelConfig.Presets["llama-tiny"],
        ["gpt2-1layer-3heads-untied"] = new()
        {
            Family = ModelFamily.Gpt2, VocabSize = 61, ContextLength = 24, DModel = 48, Layers = 1, Heads = 3, KvHeads = 3,
            MlpHidden = 100, NormEps = 1e-3, TieEmbeddings = false,
        },
        ["llama-gqa4to1-theta100-untied"] = new()
        {
            Family = ModelFamily.Llama, VocabSize = 67, ContextLength = 24, DModel = 32, Layers = 2, Heads = 4, KvHeads = 1,
            MlpHidden = 40, NormEps = 1e-5, RopeTheta = 100, TieEmbeddings = false,
        },
        ["llama-1layer-3heads-tied"] = new()
        {
            Family = ModelFamily.Llama, VocabSize = 53, ContextLength = 24, DModel = 36, Layers = 1, Heads = 3, KvHeads = 3,
            MlpHidden = 50, NormEps = 1e-6, RopeTheta = 500000, TieEmbeddings = true,
        },
    };

    public static TheoryData<string> Names => new(Configs.Keys);

    public static TheoryData<string> Gpt2Names => new(Configs.Where(c => c.Value.Family == ModelFamily.Gpt2).Select(c => c.Key));

    /// <summary>
    /// A float32 CPU model with every parameter random at a scale where attention is far from uniform and positions
    /// matter: matrices N(0, 1/sqrt(smaller side)), norm gains 1 + N(0, 0.2), biases N(0, 0.2). The engine's own
    /// initialisation (unit gains, zero biases, std 0.02) would leave bias and gain handling untested.
    /// </summary>
    public static TransformerModel Create(string name, long seed = 11)
    {
        TorchNativeLoader.EnsureLoaded();
        var model = TransformerModel.Create(Configs[name], torch.CPU, ScalarType.Float32, seed);
        Scramble(model, seed);
        return model;
    }

    /// <summary>
    /// Overwrites every parameter as <see cref="Create"/> describes, from a generator seeded with seed + 1000; the noise is
    /// drawn in <paramref name="noiseDtype"/> and rounded to the parameter's dtype.
    /// </summary>
    public static void Scramble(TransformerModel model, long seed, ScalarType noiseDtype = ScalarType.Float32)
    {
        using var _ = no_grad();
        using var gen = new Generator((ulong)seed + 1000, torch.CPU);
        foreach (var (key, p) in model.CheckpointTensors())
        {
            using var scope = NewDisposeScope();
            var noise = randn(p.shape, dtype: noiseDtype, generator: gen).to(p.dtype);
            if (p.dim() == 2) p.copy_(noise / Math.Sqrt(Math.Min(p.shape[0], p.shape[1])));
            else if (key.EndsWith("bias", StringComparison.Ordinal)) p.copy_(noise * 0.2);
            else p.copy_(noise * 0.2 + 1);
        }
    }

    /// <summary>A model of another dtype with the same parameter values (rounded to that dtype).</summary>
    public static TransformerModel CopyTo(TransformerModel source, ScalarType dtype)
    {
        var copy = TransformerModel.Create(source.Config, torch.CPU, dtype);
        using (no_grad())
        {
            var targets = copy.CheckpointTensors().ToDictionary(p => p.Name, p => p.Tensor);
            foreach (var (key, p) in source.CheckpointTensors()) targets[key].copy_(p);
        }
        return copy;
    }

    /// <summary>Seeded random token ids in [0, vocab).</summary>
    public static int[] Prompt(ModelConfig config, int length, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => rng.Next(config.VocabSize)).ToArray();
    }

    /// <summary>[1, t] int64 ids.</summary>
    public static Tensor Ids(int[] tokens) => tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Length], ScalarType.Int64);

    /// <summary>Left-pads prompts to one length with <paramref name="padId"/>.</summary>
    public static PaddedBatch LeftPadded(IReadOnlyList<int[]> prompts, int padId)
    {
        var t = prompts.Max(p => p.Length);
        var ids = new long[prompts.Count * t];
        var mask = new long[prompts.Count * t];
        for (var b = 0; b < prompts.Count; b++)
        {
            var pad = t - prompts[b].Length;
            for (var i = 0; i < t; i++)
            {
                ids[b * t + i] = i < pad ? padId : prompts[b][i - pad];
                mask[b * t + i] = i < pad ? 0 : 1;
            }
        }
        return new PaddedBatch(tensor(ids, [prompts.Count, t], ScalarType.Int64), tensor(mask, [prompts.Count, t], ScalarType.Int64));
    }
}

/// <summary>Left-padded token ids [b, t] and attention mask [b, t] (1 = real token, 0 = padding).</summary>
public sealed record PaddedBatch(Tensor Ids, Tensor Mask) : IDisposable
{
    public void Dispose()
    {
        Ids.Dispose();
        Mask.Dispose();
    }
}
