using IclPs.Engine.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Training;

/// <summary>
/// AdamW (Loshchilov and Hutter) with the update torch.optim.AdamW performs: p *= 1 - lr*wd; m = b1 m + (1 - b1) g;
/// v = b2 v + (1 - b2) g^2; p -= lr/(1 - b1^t) * m / (sqrt(v)/sqrt(1 - b2^t) + eps). Written out rather than taken from
/// TorchSharp so its state is plain named tensors that a training checkpoint stores and restores exactly.
/// </summary>
public sealed class AdamWOptimizer : IDisposable
{
    private readonly (string Name, Tensor Parameter, Tensor ExpAvg, Tensor ExpAvgSq)[] _slots;

    /// <param name="parameters">Named parameters, e.g. <see cref="Models.TransformerModel.CheckpointTensors"/>.</param>
    public AdamWOptimizer(IReadOnlyList<(string Name, Tensor Parameter)> parameters,
        double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
    {
        (Beta1, Beta2, Epsilon, WeightDecay) = (beta1, beta2, epsilon, weightDecay);
        using var noGrad = no_grad();
        _slots = parameters.Select(p => (p.Name, p.Parameter,
            zeros_like(p.Parameter).DetachFromDisposeScope(), zeros_like(p.Parameter).DetachFromDisposeScope())).ToArray();
    }

    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Epsilon { get; }
    public double WeightDecay { get; }

    /// <summary>Updates taken so far (t of the bias corrections).</summary>
    public long StepCount { get; internal set; }

    /// <summary>
    /// The global L2 norm of all gradients (the norm of the per-tensor norms, as torch's clip_grad_norm_ computes it);
    /// when it exceeds <paramref name="maxNorm"/> every gradient is scaled by maxNorm / (norm + 1e-6). Returns the norm
    /// before clipping (NaN or Inf if a gradient is not finite; nothing is scaled then).
    /// </summary>
    public double ClipGradNorm(double? maxNorm)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var grads = _slots.Select(s => s.Parameter.grad).Where(g => g is not null).Select(g => g!).ToList();
        if (grads.Count == 0) return 0;
        var norm = stack(grads.Select(g => g.norm()).ToArray()).norm().to(ScalarType.Float64).item<double>();
        if (maxNorm is double max && double.IsFinite(norm) && norm > max)
        {
            var coefficient = max / (norm + 1e-6);
            foreach (var g in grads) g.mul_(coefficient);
        }
        return norm;
    }

    /// <summary>One update of every parameter that has a gradient, at <paramref name="learningRate"/>.</summary>
    public void Step(double learningRate)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        StepCount++;
        var biasCorrection1 = 1 - Math.Pow(Beta1, StepCount);
        var sqrtBiasCorrection2 = Math.Sqrt(1 - Math.Pow(Beta2, StepCount));
        foreach (var (_, p, m, v) in _slots)
        {
            var g = p.grad;
            if (g is null) continue;
            if (WeightDecay != 0) p.mul_(1 - learningRate * WeightDecay);
            m.mul_(Beta1).add_(g, alpha: 1 - Beta1);
            v.mul_(Beta2).addcmul_(g, g, value: 1 - Beta2);
            var denominator = (v.sqrt() / sqrtBiasCorrection2).add_(Epsilon);
            p.addcdiv_(m, denominator, value: -learningRate / biasCorrection1);
        }
    }

    /// <summary>The moment estimates as named tensors: exp_avg.{name} and exp_avg_sq.{name}.</summary>
    internal IEnumerable<(string Name, Tensor Tensor)> StateTensors() =>
        _slots.SelectMany(s => new[] { ("exp_avg." + s.Name, s.ExpAvg), ("exp_avg_sq." + s.Name, s.ExpAvgSq) });

    /// <summary>Restores moments and step count written by <see cref="StateTensors"/>.</summary>
    internal void LoadState(SafetensorsReader reader, long stepCount)
    {
        foreach (var (name, tensor) in StateTensors()) reader.ReadInto(reader.GetEntry(name), tensor);
        StepCount = stepCount;
    }

    public void Dispose()
    {
        foreach (var (_, _, m, v) in _slots)
        {
            m.Dispose();
            v.Dispose();
        }
    }
}
