using IclPs.Engine.Models;
using IclPs.Engine.Native;

namespace IclPs.Engine.Tests.Prompting;

internal static class TestModels
{
    /// <summary>A random-weight gpt2-tiny (vocab 512, context 256) with the byte tokenizer.</summary>
    public static IclModel Tiny(int seed, string preset = "gpt2-tiny")
    {
        TorchNativeLoader.EnsureLoaded();
        var network = TransformerModel.Create(ModelConfig.Presets[preset], seed: seed);
        return new IclModel(network, new TestByteTokenizer(), $"{preset}-{seed}", $"preset:{preset} seed:{seed}");
    }
}
