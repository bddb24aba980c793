using IclPs.Engine.Models;
using TorchSharp;

namespace IclPs.Engine.Tests.Reference;

/// <summary>Float64 copies of a model's parameters, keyed by their Hugging Face checkpoint names.</summary>
public sealed class ReferenceWeights
{
    private readonly IReadOnlyDictionary<string, RefTensor> _tensors;

    public ReferenceWeights(IReadOnlyDictionary<string, RefTensor> tensors) => _tensors = tensors;

    public IEnumerable<string> Names => _tensors.Keys;

    public RefTensor this[string name] =>
        _tensors.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"reference weight '{name}' is missing.");

    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>Copies every parameter of <paramref name="model"/> (any dtype or device) to float64.</summary>
    public static ReferenceWeights FromModel(TransformerModel model)
    {
        var tensors = new Dictionary<string, RefTensor>(StringComparer.Ordinal);
        foreach (var (name, parameter) in model.CheckpointTensors())
        {
            using var scope = torch.NewDisposeScope();
            var copy = parameter.detach().to(torch.ScalarType.Float64, torch.CPU).contiguous();
            tensors.Add(name, new RefTensor(parameter.shape.Select(s => (int)s).ToArray(), copy.data<double>().ToArray()));
        }
        return new ReferenceWeights(tensors);
    }

    /// <summary>Reads an F32 safetensors checkpoint with the reference's own reader.</summary>
    public static ReferenceWeights FromSafetensors(string path) => new(ReferenceSafetensorsReader.Read(path));
}
