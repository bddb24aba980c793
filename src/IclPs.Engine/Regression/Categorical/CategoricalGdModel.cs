using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Categorical;

/// <summary>
/// The "GD model": every block performs one step of functional gradient descent on the cross-entropy,
/// f_{l+1}(x) = f_l(x) + (1/N) sum_i alpha_l ⊙ k(x_i, x) [w_{e,y_i} - E_{l,i}], E_{l,i} = sum_c softmax_c(W_e^T f_l(x_i)) w_{e,c}.
/// Only alpha [L, d'], the kernel parameter beta and W_e [d', C] are learned. The projections are the construction's
/// (they read and write single slots), so they are written as slot reads and writes; <see cref="CategoricalTransformerModel.FromGd"/>
/// writes the same construction as full matrices.
/// </summary>
public sealed class CategoricalGdModel : CategoricalAttentionModel
{
    private readonly Parameter alpha;
    private readonly Parameter beta;
    private readonly Parameter embedding;

    /// <summary>The authors' initialisation from one generator: alpha ~ N(0, 1), W_e ~ N(0, 1) and beta = 1.</summary>
    public CategoricalGdModel(CategoricalModelConfig config, long seed, ScalarType dtype = ScalarType.Float32, Device? device = null)
        : base(nameof(CategoricalGdModel), config)
    {
        if (config.Kind != CategoricalModelKind.Gd)
            throw new IclPsException(CategoricalErrorIds.ModelKindMismatch, IclErrorKind.InvalidArgument, $"A GD model needs a Gd config; got {config.Kind}.", config.Kind);
        using var gen = new Generator((ulong)seed);
        Parameter Draw(long[] shape) => new(randn(shape, ScalarType.Float64, generator: gen).to(dtype, device ?? CPU));
        alpha = Draw([config.Layers, config.EmbeddingDim]);
        embedding = Draw([config.EmbeddingDim, config.Categories]);
        beta = new Parameter(ones(new long[] { 1 }, dtype, device ?? CPU));
        RegisterComponents();
    }

    /// <summary>alpha [L, d'], the per-layer, per-coordinate step sizes.</summary>
    public Tensor Alpha => alpha;
    /// <summary>beta [1], the kernel's parameter.</summary>
    public Tensor Beta => beta;
    public override Tensor Embedding => embedding;

    public override IReadOnlyList<(string Name, Tensor Parameter)> Weights() => [("alpha", alpha), ("beta", beta), ("embedding", embedding)];

    protected override Tensor SelfAttention(int layer, Tensor h, int contextPoints)
    {
        var z = Tokens;
        var context = h.narrow(1, 0, contextPoints);                                                       // [b, N, width]
        // Head 1, the GD step: f_i += sum_j k(x_i, x_j) alpha_l ⊙ (w_{e,y_j} - E_j).
        var kernel = CategoricalKernels.Pattern(Config.Kernel, z.X(h), z.X(context), beta, z.Width);      // [b, T, N]
        var step = kernel.matmul((z.Label(context) - z.Expectation(context)) * alpha[layer]);              // [b, T, d']
        // Head 2 clears the E slot: exactly (-E_i), or the authors' near-hard argmax_j x_i.x_j (-E_j*).
        var erase = Config.Eraser == CategoricalEraser.Exact
            ? -z.Expectation(h)
            : -CategoricalKernels.AuthorsErasePattern(z.X(h), z.X(context), z.Width).matmul(z.Expectation(context));
        return z.Write(erase, step, h);
    }

    protected override Tensor CrossAttention(int layer, Tensor h)
    {
        // Query f, keys and values the columns of W_e: E_new = sum_c softmax_c(W_e^T f) w_{e,c}.
        var pattern = nn.functional.softmax(Tokens.Function(h).matmul(embedding), -1);                   // [b, T, C]
        return Tokens.Write(pattern.matmul(embedding.t()), null, h);
    }
}
