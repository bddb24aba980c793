using IclPs.Engine.Models;
using static TorchSharp.torch;

namespace IclPs.Engine.TaskVectors;

/// <summary>
/// Turns off requires_grad on every parameter of a model until disposed, then restores each flag: gradients still flow
/// through the model's operations to other leaves (theta), but none is computed for or accumulated on its parameters.
/// </summary>
internal sealed class FrozenParameters : IDisposable
{
    private readonly List<(Tensor Parameter, bool RequiresGrad)> _saved = new();

    public FrozenParameters(TransformerModel model)
    {
        foreach (var p in model.parameters())
        {
            _saved.Add((p, p.requires_grad));
            p.requires_grad = false;
        }
    }

    public void Dispose()
    {
        foreach (var (p, requiresGrad) in _saved) p.requires_grad = requiresGrad;
        _saved.Clear();
    }
}
