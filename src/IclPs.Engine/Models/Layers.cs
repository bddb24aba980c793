using IclPs.Engine.Adapters;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace IclPs.Engine.Models;

// Small layers whose parameters are allocated uninitialised on the target device and dtype, so loading a
// checkpoint writes straight into them and random initialisation is one explicit, seeded step.

internal static class ParameterFactory
{
    public static Parameter Empty(Device device, ScalarType dtype, params long[] shape) =>
        new(empty(shape, dtype: dtype, device: device));
}

/// <summary>A linear projection a LoRA adapter can target, as PEFT does (nn.Linear and GPT-2's Conv1D).</summary>
internal interface IAdaptableProjection
{
    Tensor Weight { get; }
    long InFeatures { get; }
    long OutFeatures { get; }
    /// <summary>True where the weight is stored [in, out] (Conv1D): PEFT's fan_in_fan_out, so a merged delta is transposed.</summary>
    bool FanInFanOut { get; }
    /// <summary>The adapter's pair on this projection, added to its output while attached; null when none.</summary>
    LoraLayer? Lora { get; set; }
}

/// <summary>Hugging Face GPT-2 Conv1D: weight stored [in, out] (the transpose of Linear), y = x W + b.</summary>
internal sealed class Conv1D : nn.Module, IAdaptableProjection
{
    private readonly Parameter weight;
    private readonly Parameter bias;

    public Conv1D(long inFeatures, long outFeatures, Device device, ScalarType dtype) : base(nameof(Conv1D))
    {
        weight = ParameterFactory.Empty(device, dtype, inFeatures, outFeatures);
        bias = ParameterFactory.Empty(device, dtype, outFeatures);
        RegisterComponents();
    }

    public Tensor Weight => weight;
    public Tensor Bias => bias;
    public long InFeatures => weight.shape[0];
    public long OutFeatures => weight.shape[1];
    public bool FanInFanOut => true;
    public LoraLayer? Lora { get; set; }

    // x: [..., in] -> [..., out]
    public Tensor Forward(Tensor x)
    {
        var y = x.matmul(weight).add_(bias);
        return Lora is null ? y : y.add_(Lora.Delta(x));
    }
}

/// <summary>Linear without bias, weight [out, in] as in LLaMA checkpoints.</summary>
internal sealed class LinearNoBias : nn.Module, IAdaptableProjection
{
    private readonly Parameter weight;

    public LinearNoBias(long inFeatures, long outFeatures, Device device, ScalarType dtype) : base(nameof(LinearNoBias))
    {
        weight = ParameterFactory.Empty(device, dtype, outFeatures, inFeatures);
        RegisterComponents();
    }

    public Tensor Weight => weight;
    public long InFeatures => weight.shape[1];
    public long OutFeatures => weight.shape[0];
    public bool FanInFanOut => false;
    public LoraLayer? Lora { get; set; }

    public Tensor Forward(Tensor x)
    {
        var y = nn.functional.linear(x, weight);
        return Lora is null ? y : y.add_(Lora.Delta(x));
    }
}

internal sealed class LayerNormParams : nn.Module
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly long[] _shape;
    private readonly double _eps;

    public LayerNormParams(long dim, double eps, Device device, ScalarType dtype) : base("LayerNorm")
    {
        weight = ParameterFactory.Empty(device, dtype, dim);
        bias = ParameterFactory.Empty(device, dtype, dim);
        _shape = [dim];
        _eps = eps;
        RegisterComponents();
    }

    public Tensor Weight => weight;
    public Tensor Bias => bias;
    public Tensor Forward(Tensor x) => nn.functional.layer_norm(x, _shape, weight, bias, _eps);
}

/// <summary>RMSNorm as in LLaMA: normalised in float32, cast back, then scaled.</summary>
internal sealed class RmsNorm : nn.Module
{
    private readonly Parameter weight;
    private readonly double _eps;

    public RmsNorm(long dim, double eps, Device device, ScalarType dtype) : base(nameof(RmsNorm))
    {
        weight = ParameterFactory.Empty(device, dtype, dim);
        _eps = eps;
        RegisterComponents();
    }

    public Tensor Weight => weight;

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var x32 = x.to(ScalarType.Float32);
        var normed = x32 * rsqrt(x32.pow(2).mean([-1], keepdim: true) + _eps);
        return (weight * normed.to(x.dtype)).MoveToOuterDisposeScope();
    }
}

internal sealed class EmbeddingParams : nn.Module
{
    private readonly Parameter weight;

    public EmbeddingParams(long count, long dim, Device device, ScalarType dtype) : base("Embedding")
    {
        weight = ParameterFactory.Empty(device, dtype, count, dim);
        RegisterComponents();
    }

    public Tensor Weight => weight;

    // ids: [b, t] -> [b, t, dim]
    public Tensor Forward(Tensor ids) => weight.index_select(0, ids.flatten()).view([.. ids.shape, weight.shape[1]]);
}

/// <summary>Linear with bias, weight [out, in] (nn.Linear layout), as the regression read-out stores it.</summary>
internal sealed class LinearWithBias : nn.Module
{
    private readonly Parameter weight;
    private readonly Parameter bias;

    public LinearWithBias(long inFeatures, long outFeatures, Device device, ScalarType dtype) : base(nameof(LinearWithBias))
    {
        weight = ParameterFactory.Empty(device, dtype, outFeatures, inFeatures);
        bias = ParameterFactory.Empty(device, dtype, outFeatures);
        RegisterComponents();
    }

    public Tensor Weight => weight;
    public Tensor Bias => bias;
    public Tensor Forward(Tensor x) => nn.functional.linear(x, weight, bias);
}
