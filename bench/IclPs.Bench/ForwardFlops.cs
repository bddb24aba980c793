using IclPs.Engine.Models;

namespace IclPs.Bench;

/// <summary>
/// Floating-point operations of one GPT-2-family forward pass, counting a multiply-add as 2 and only the matrix products
/// (layer norms, GELU, softmax, bias and residual adds are O(b t d) and left out):
/// <list type="bullet">
/// <item>Linear = 2 * b * t * L * (d*3d + d*d + d*m + m*d): 2 x matmul parameters x tokens (QKV, W_O, MLP in and out).</item>
/// <item>Attention = L * (2*b*t*t*d for Q K^T + 2*b*t*t*d for pattern V) = 4 * b * t^2 * d * L, the full t x t square
/// that a kernel given an additive mask computes.</item>
/// <item>LmHead = 2 * b * t' * d * V with t' = t for all logits, 1 for the last position only.</item>
/// </list>
/// </summary>
public sealed record ForwardFlops(double Linear, double Attention, double LmHead)
{
    public double Total => Linear + Attention + LmHead;

    public static ForwardFlops Gpt2(ModelConfig c, int batch, int tokens, bool lastPositionOnly)
    {
        double b = batch, t = tokens, d = c.DModel, m = c.MlpHidden, layers = c.Layers;
        var linear = 2 * b * t * layers * (d * 3 * d + d * d + d * m + m * d);
        var attention = 4 * b * t * t * d * layers;
        var lmHead = 2 * b * (lastPositionOnly ? 1 : t) * d * c.VocabSize;
        return new ForwardFlops(linear, attention, lmHead);
    }
}
