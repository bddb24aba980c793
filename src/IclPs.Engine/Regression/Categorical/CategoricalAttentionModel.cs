using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Categorical;

/// <summary>
/// The attention model of Wang, Henao and Carin (docs/science.md §4). Not a GPT-2/LLaMA stack: no norms, no MLP, non-causal,
/// and the query is not among the keys. Each block is
/// <code>
/// h = h + SelfAttention(h)   // over all N+1 tokens, keys/values the N context tokens: head 1 writes the GD step into f, head 2 clears E
/// h = h + CrossAttention(h)  // query f, keys and values the C columns of W_e: E += softmax(W_e^T f) W_e
/// </code>
/// and the output is the query's logits W_e^T f_L(x_q). The two subclasses differ only in how the blocks' projections are
/// parametrised: <see cref="CategoricalGdModel"/> (alpha, beta and W_e) and <see cref="CategoricalTransformerModel"/> (all free).
/// </summary>
public abstract class CategoricalAttentionModel : nn.Module
{
    protected CategoricalAttentionModel(string name, CategoricalModelConfig config) : base(name)
    {
        config.Validate();
        Config = config;
        Tokens = new CategoricalTokens(config.Dimension, config.EmbeddingDim);
    }

    public CategoricalModelConfig Config { get; }
    public CategoricalTokens Tokens { get; }

    /// <summary>W_e [d', C]: the label embeddings in the tokens, the cross-attention's keys and values, and the read-out.</summary>
    public abstract Tensor Embedding { get; }

    /// <summary>The learned tensors by name: what the optimizer updates and a checkpoint stores.</summary>
    public abstract IReadOnlyList<(string Name, Tensor Parameter)> Weights();

    /// <summary>The dtype of the weights.</summary>
    public ScalarType DType => Embedding.dtype;

    /// <summary>x [b, N+1, d], labels [b, N+1] (the query's ignored) -> the tokens after all L blocks, [b, N+1, width].</summary>
    public Tensor Forward(Tensor x, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var h = Tokens.Build(x, labels, Embedding);
        var n = (int)x.shape[1] - 1;
        for (var layer = 0; layer < Config.Layers; layer++)
        {
            h = h + SelfAttention(layer, h, n);
            h = h + CrossAttention(layer, h);
        }
        return h.MoveToOuterDisposeScope();
    }

    /// <summary>The query's logits W_e^T f_L(x_q), [b, C].</summary>
    public Tensor QueryLogits(Tensor x, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var f = Tokens.Function(Forward(x, labels)).select(1, x.shape[1] - 1);                     // [b, d']
        return f.matmul(Embedding).MoveToOuterDisposeScope();
    }

    public Tensor QueryLogits(CategoricalBatch batch) => QueryLogits(batch.X.to(DType), batch.Labels);

    /// <summary>Mean cross-entropy of the query labels.</summary>
    public Tensor Loss(CategoricalBatch batch)
    {
        using var scope = NewDisposeScope();
        return nn.functional.cross_entropy(QueryLogits(batch), batch.QueryLabels).MoveToOuterDisposeScope();
    }

    /// <summary>Block <paramref name="layer"/>'s self-attention update for tokens h [b, T, width] (the first <paramref name="contextPoints"/> are the context).</summary>
    public Tensor SelfAttentionUpdate(int layer, Tensor h, int contextPoints) => SelfAttention(layer, h, contextPoints);

    /// <summary>Block <paramref name="layer"/>'s cross-attention update for tokens h [b, T, width].</summary>
    public Tensor CrossAttentionUpdate(int layer, Tensor h) => CrossAttention(layer, h);

    /// <summary>
    /// Self-attention of block <paramref name="layer"/>: the update [b, T, width] for tokens h [b, T, width] whose first
    /// <paramref name="contextPoints"/> are the context (the only keys and values).
    /// </summary>
    protected abstract Tensor SelfAttention(int layer, Tensor h, int contextPoints);

    /// <summary>Cross-attention of block <paramref name="layer"/> onto the C columns of W_e: the update [b, T, width].</summary>
    protected abstract Tensor CrossAttention(int layer, Tensor h);

    /// <summary>A new model of the same kind and config with these weights, in <paramref name="dtype"/>.</summary>
    public CategoricalAttentionModel Copy(ScalarType dtype)
    {
        var copy = Create(Config, seed: 0, dtype, Embedding.device);
        copy.LoadWeights(Weights());
        return copy;
    }

    /// <summary>Copies <paramref name="weights"/> (by name, any dtype) into this model's weights.</summary>
    public void LoadWeights(IEnumerable<(string Name, Tensor Parameter)> weights)
    {
        using var noGrad = no_grad();
        var mine = Weights().ToDictionary(w => w.Name, w => w.Parameter);
        foreach (var (name, value) in weights)
        {
            if (!mine.TryGetValue(name, out var target) || !target.shape.SequenceEqual(value.shape))
                throw new IclPsException(CategoricalErrorIds.ShapeMismatch, IclErrorKind.InvalidArgument,
                    $"Weight '{name}' {CategoricalBatch.Shape(value)} does not fit the {Config.Kind} model ({Config}).", name);
            target.copy_(value.to(target.dtype, target.device));
        }
    }

    /// <summary>A fresh model: GD as the authors initialise it (alpha ~ N(0, 1), beta = 1, W_e ~ N(0, 1)); transformer projections N(0, s^2).</summary>
    public static CategoricalAttentionModel Create(CategoricalModelConfig config, long seed, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        config.Kind == CategoricalModelKind.Gd
            ? new CategoricalGdModel(config, seed, dtype, device)
            : new CategoricalTransformerModel(config, seed, dtype, device);
}
