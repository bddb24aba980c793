using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Bench;

/// <summary>The machine's reference float32 throughput: an n x n by n x n matmul of seeded random matrices, 2 n^3 FLOPs.</summary>
public sealed class SquareMatmul
{
    private readonly Tensor _a;
    private readonly Tensor _b;

    public SquareMatmul(int size, long seed)
    {
        Size = size;
        var generator = new Generator((ulong)seed);
        _a = randn([size, size], generator: generator);
        _b = randn([size, size], generator: generator);
    }

    public int Size { get; }
    public double Flops => 2.0 * Size * Size * Size;
    public BenchCase Case(string? name = null) => new(name ?? $"matmul {Size}x{Size}", () => _a.matmul(_b));
}
