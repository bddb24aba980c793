using IclPs.Engine.Tokenization;

namespace IclPs.Engine.Models;

/// <summary>A network with the tokenizer that feeds it: what cmdlets pass along the pipeline as "a model".</summary>
public sealed class IclModel(TransformerModel network, ITextTokenizer tokenizer, string name, string source) : IDisposable
{
    public TransformerModel Network { get; } = network;
    public ITextTokenizer Tokenizer { get; } = tokenizer;
    /// <summary>Short name shown in results (preset, folder name, or user-given).</summary>
    public string Name { get; } = name;
    /// <summary>Where it came from: a checkpoint path, or "preset:NAME seed:N", so results can be rerun.</summary>
    public string Source { get; } = source;
    public ModelConfig Config => Network.Config;

    public void Dispose() => Network.Dispose();

    public override string ToString() => $"{Name} ({Config})";
}
