using IclPs.Engine.Models;

namespace IclPs;

/// <summary>A model's architecture and placement as flat values (PSTypeName IclPs.ModelInfo), for display and comparison.</summary>
public sealed class ModelInfo
{
    public required string Name { get; init; }
    public required ModelFamily Family { get; init; }
    public required int Layers { get; init; }
    public required int DModel { get; init; }
    public required int Heads { get; init; }
    public required int KvHeads { get; init; }
    public required int DHead { get; init; }
    public required int MlpHidden { get; init; }
    public required int VocabSize { get; init; }
    public required int ContextLength { get; init; }
    public required long Parameters { get; init; }
    public required string Device { get; init; }
    public required string DType { get; init; }
    public required string Tokenizer { get; init; }
    public required string Source { get; init; }

    public static ModelInfo From(IclModel model)
    {
        var c = model.Config;
        return new ModelInfo
        {
            Name = model.Name,
            Family = c.Family,
            Layers = c.Layers,
            DModel = c.DModel,
            Heads = c.Heads,
            KvHeads = c.KvHeads,
            DHead = c.DHead,
            MlpHidden = c.MlpHidden,
            VocabSize = c.VocabSize,
            ContextLength = c.ContextLength,
            Parameters = c.ParameterCount,
            Device = model.Network.Device.ToString(),
            // ScalarType names lower-cased are exactly the -DType words (float32, float16, bfloat16).
            DType = model.Network.DType.ToString().ToLowerInvariant(),
            Tokenizer = model.Tokenizer.Name,
            Source = model.Source,
        };
    }

    public override string ToString() => $"{Name} ({Family} L={Layers} d={DModel} H={Heads})";
}
