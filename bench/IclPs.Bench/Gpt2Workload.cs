using IclPs.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Bench;

/// <summary>A GPT-2-family model with seeded random weights on the CPU, and seeded random prompts of a fixed length.</summary>
public sealed class Gpt2Workload : IDisposable
{
    private Gpt2Workload(TransformerModel model) => Model = model;

    public TransformerModel Model { get; }
    public ModelConfig Config => Model.Config;

    /// <summary>The model of option <c>--preset</c>, else of <paramref name="defaultPreset"/>.</summary>
    public static Gpt2Workload Create(BenchOptions options, string defaultPreset = "gpt2-small")
    {
        var preset = options.String("preset") ?? defaultPreset;
        if (!ModelConfig.Presets.TryGetValue(preset, out var config) || config.Family != ModelFamily.Gpt2)
        {
            var gpt2 = ModelConfig.Presets.Where(p => p.Value.Family == ModelFamily.Gpt2).Select(p => p.Key);
            throw new BenchOptionException($"option '--preset' must name a GPT-2 preset ({string.Join(", ", gpt2)}), got '{preset}'.");
        }
        return new Gpt2Workload(TransformerModel.Create(config, CPU, ScalarType.Float32, seed: 0));
    }

    /// <summary>Token ids [batch, tokens], uniform over the vocabulary.</summary>
    public Tensor Prompts(int batch, int tokens, long seed)
    {
        if (tokens > Config.ContextLength)
            throw new BenchOptionException($"option '--tokens' must be at most the context length {Config.ContextLength}, got {tokens}.");
        return randint(0, Config.VocabSize, [batch, tokens], dtype: ScalarType.Int64, generator: new Generator((ulong)seed));
    }

    public void Dispose() => Model.Dispose();
}
