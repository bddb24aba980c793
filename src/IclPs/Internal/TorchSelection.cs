using IclPs.Engine;
using IclPs.Engine.Models;
using TorchSharp;

namespace IclPs.Internal;

/// <summary>The -Device and -DType words cmdlets accept, and the TorchSharp values they mean.</summary>
internal static class TorchSelection
{
    public static readonly string[] DeviceNames = ["auto", "cpu", "cuda"];
    public static readonly string[] DTypeNames = ["float32", "float16", "bfloat16"];

    /// <summary>Only call after the engine is loaded: it touches TorchSharp statics.</summary>
    public static torch.Device Device(string name) => name.ToLowerInvariant() switch
    {
        "auto" => TransformerModel.DefaultDevice(),
        "cpu" => torch.CPU,
        "cuda" when torch.cuda.is_available() => torch.CUDA,
        "cuda" => throw new IclPsException("CudaNotAvailable", IclErrorKind.InvalidOperation,
            "CUDA was requested but TorchSharp reports no usable CUDA device (this build uses the CPU libtorch unless built with IclPsTorchBackend=cuda-linux/cuda-windows).", name),
        _ => throw new IclPsException("UnknownDevice", IclErrorKind.InvalidArgument, $"device '{name}' is not one of {string.Join(", ", DeviceNames)}.", name),
    };

    public static torch.ScalarType DType(string name) => name.ToLowerInvariant() switch
    {
        "float32" => torch.ScalarType.Float32,
        "float16" => torch.ScalarType.Float16,
        "bfloat16" => torch.ScalarType.BFloat16,
        _ => throw new IclPsException("UnknownDType", IclErrorKind.InvalidArgument, $"dtype '{name}' is not one of {string.Join(", ", DTypeNames)}.", name),
    };
}
