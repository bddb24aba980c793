using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Models;

/// <summary>
/// What <see cref="TransformerModel.CachePrefix"/> keeps of one clean pass over a left-padded batch so that
/// <see cref="TransformerModel.ForwardLastFrom"/> can recompute the last column alone: per layer, the keys and values of
/// every other column (after RoPE, before grouped-query repetition) and the residual entering the block at the last column.
/// Interventions at the last column (patching a head, adding a vector) cost one column per layer instead of the whole prompt.
/// </summary>
public sealed class KeyValueCache : IDisposable
{
    private readonly Tensor?[] _keys;
    private readonly Tensor?[] _values;
    private readonly Tensor?[] _residualPre;
    private Tensor? _prefixBias;
    private Tensor? _lastPositions;
    private Tensor? _output;

    internal KeyValueCache(int layers)
    {
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
        _residualPre = new Tensor?[layers];
    }

    public int Layers => _keys.Length;
    public int BatchSize { get; private set; }
    /// <summary>Columns of the cached pass, the last one included.</summary>
    public int Length { get; private set; }
    internal bool IsComplete => _output is not null;

    /// <summary>The clean pass's read-out at the last column: [b, vocab], or [b, 1] for the regression family.</summary>
    public Tensor Output => _output ?? throw new InvalidOperationException("The cache is not complete.");

    /// <summary>The residual entering block <paramref name="layer"/> (after its hook_resid_pre) at the last column: [b, d_model].</summary>
    public Tensor ResidualPre(int layer) => _residualPre[layer] ?? throw new InvalidOperationException($"Layer {layer} was not cached.");

    /// <summary>Position id of each prompt's last column: [b] (int64).</summary>
    internal Tensor LastPositions => _lastPositions!;

    /// <summary>Additive attention bias of the last column's query over the cached columns: [b, 1, 1, t - 1].</summary>
    internal Tensor PrefixBias => _prefixBias!;

    internal void Start(Tensor mask, Tensor positions, Tensor attnBias)
    {
        (BatchSize, Length) = ((int)mask.shape[0], (int)mask.shape[1]);
        _lastPositions = positions.select(1, -1).clone().DetachFromDisposeScope();
        // The full pass's last query row, without its own (last) key, which each recomputed copy supplies itself.
        _prefixBias = attnBias.narrow(2, Length - 1, 1).narrow(3, 0, Length - 1).clone().DetachFromDisposeScope();
    }

    /// <summary>
    /// In the clean pass, records layer <paramref name="layer"/>'s residual at the last column and the keys and values
    /// ([b, heads, t, d_head]) of the other columns, returning them unchanged; in a last-column pass, puts the cached
    /// keys and values in front of the copies' own.
    /// </summary>
    internal (Tensor Keys, Tensor Values) Apply(int layer, Tensor residualPre, Tensor keys, Tensor values)
    {
        if (IsComplete)
            return (cat([_keys[layer]!, keys], 2), cat([_values[layer]!, values], 2));
        var prefix = keys.shape[2] - 1;
        _residualPre[layer] = residualPre.select(1, -1).clone().DetachFromDisposeScope();
        _keys[layer] = keys.narrow(2, 0, prefix).clone().DetachFromDisposeScope();
        _values[layer] = values.narrow(2, 0, prefix).clone().DetachFromDisposeScope();
        return (keys, values);
    }

    internal void Finish(Tensor output) => _output = output.clone().DetachFromDisposeScope();

    public void Dispose()
    {
        foreach (var t in _keys.Concat(_values).Concat(_residualPre)) t?.Dispose();
        Array.Clear(_keys);
        Array.Clear(_values);
        Array.Clear(_residualPre);
        _prefixBias?.Dispose();
        _lastPositions?.Dispose();
        _output?.Dispose();
        (_prefixBias, _lastPositions, _output) = (null, null, null);
    }
}
