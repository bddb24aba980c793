using IclPs.Engine.Models;
using static TorchSharp.torch;

namespace IclPs.Engine.Adapters;

/// <summary>
/// One LoRA pair on one projection, in PEFT's layout: A [r, in] (lora_A.weight), B [out, r] (lora_B.weight); the
/// projection's output gains scaling * x A^T B^T, which is x (scaling B A)^T, i.e. the weight W + scaling B A.
/// </summary>
public sealed class LoraLayer : IDisposable
{
    internal LoraLayer(string modulePath, Tensor a, Tensor b, double scaling, bool fanInFanOut)
    {
        (ModulePath, A, B, Scaling, FanInFanOut) = (modulePath, a, b, scaling, fanInFanOut);
    }

    /// <summary>The projection's module path in the model (e.g. model.layers.0.self_attn.q_proj).</summary>
    public string ModulePath { get; }

    /// <summary>lora_A.weight [r, in].</summary>
    public Tensor A { get; }

    /// <summary>lora_B.weight [out, r].</summary>
    public Tensor B { get; }

    /// <summary>lora_alpha / r (or lora_alpha / sqrt(r) with rsLoRA).</summary>
    public double Scaling { get; }

    /// <summary>The projection stores its weight [in, out] (GPT-2 Conv1D), so the merged delta is (scaling B A)^T.</summary>
    public bool FanInFanOut { get; }

    public long Rank => A.shape[0];

    /// <summary>scaling * x A^T B^T for x [..., in]: what the pair adds to the projection's output.</summary>
    public Tensor Delta(Tensor x) => x.matmul(A.t()).matmul(B.t()).mul_(Scaling);

    /// <summary>The weight delta in the projection's own storage layout: scaling B A [out, in], transposed for Conv1D.</summary>
    public Tensor WeightDelta()
    {
        var delta = B.matmul(A).mul_(Scaling);
        return FanInFanOut ? delta.t() : delta;
    }

    /// <summary>The projection's weight as the forward pass applies it: with its attached pair's delta added, if any.</summary>
    internal static Tensor EffectiveWeight(IAdaptableProjection projection) =>
        projection.Lora is null ? projection.Weight : projection.Weight + projection.Lora.WeightDelta();

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }
}
