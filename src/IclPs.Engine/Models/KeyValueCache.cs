using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Models;

/// <summary>
/// Per-layer keys and values (after RoPE, before grouped-query repetition) kept from one pass over a left-padded batch,
/// in one of two kinds:
/// <list type="bullet">
/// <item><b>Last column</b> (<see cref="TransformerModel.CachePrefix"/>): the keys and values of every column but the last,
/// and the residual entering each block at the last column, so that <see cref="TransformerModel.ForwardLastFrom"/> can
/// recompute the last column alone. Interventions there cost one column per layer instead of the whole prompt.</item>
/// <item><b>Decoding</b> (<see cref="TransformerModel.NewDecodingCache"/>): the keys and values of the prompt's columns,
/// recorded by <see cref="TransformerModel.ForwardColumns"/>, then extended by one column per
/// <see cref="TransformerModel.ForwardNext"/>, so a generated token costs one column per layer instead of the whole
/// sequence. Buffers are allocated once for the prompt and every new column.</item>
/// </list>
/// </summary>
public sealed class KeyValueCache : IDisposable
{
    private readonly Tensor?[] _keys;
    private readonly Tensor?[] _values;
    private readonly Tensor?[] _residualPre;
    // Last column: the last query's bias over the other columns [b, 1, 1, t - 1]. Decoding: a new column's bias over
    // every column the buffers can hold [b, 1, 1, capacity] (padding masked, generated columns open).
    private Tensor? _bias;
    // Last column: the last column's position ids. Decoding: the next new column's. [b] int64.
    private Tensor? _positions;
    private Tensor? _output;
    private readonly int _promptColumns;
    private readonly int _capacity;

    private KeyValueCache(int layers, int promptColumns, int capacity)
    {
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
        _residualPre = new Tensor?[layers];
        (_promptColumns, _capacity) = (promptColumns, capacity);
    }

    internal static KeyValueCache ForLastColumn(int layers) => new(layers, 0, 0);

    internal static KeyValueCache ForDecoding(int layers, int promptColumns, int newColumns) => new(layers, promptColumns, promptColumns + newColumns);

    public int Layers => _keys.Length;
    public int BatchSize { get; private set; }

    /// <summary>
    /// Last column: the columns of the cached pass, the last one included. Decoding: the columns whose keys and values
    /// are held (0 until the prompt pass has run).
    /// </summary>
    public int Length { get; private set; }

    /// <summary>True for a decoding cache.</summary>
    public bool IsDecoding => _capacity > 0;

    /// <summary>Decoding: the prompt's columns, which the first pass records.</summary>
    public int PromptColumns => _promptColumns;

    /// <summary>Decoding: the most columns the buffers hold (prompt plus new columns).</summary>
    public int Capacity => _capacity;

    internal bool IsComplete => _output is not null;

    /// <summary>The clean pass's read-out at the last column: [b, vocab], or [b, 1] for the regression family.</summary>
    public Tensor Output => _output ?? throw new InvalidOperationException("The cache is not complete.");

    /// <summary>The residual entering block <paramref name="layer"/> (after its hook_resid_pre) at the last column: [b, d_model].</summary>
    public Tensor ResidualPre(int layer) => _residualPre[layer] ?? throw new InvalidOperationException($"Layer {layer} was not cached.");

    /// <summary>Last column: position id of each prompt's last column; decoding: of the next new column. [b] (int64).</summary>
    internal Tensor Positions => _positions!;

    /// <summary>Last column: the last column's query bias over the cached columns, [b, 1, 1, t - 1].</summary>
    internal Tensor PrefixBias => _bias!;

    /// <summary>Decoding: the next new column's query bias over the held columns and itself, [b, 1, 1, Length + 1].</summary>
    internal Tensor NextBias => _bias!.narrow(3, 0, Length + 1);

    internal void Start(Tensor mask, Tensor positions, Tensor attnBias)
    {
        (BatchSize, var t) = ((int)mask.shape[0], (int)mask.shape[1]);
        if (!IsDecoding)
        {
            Length = t;
            _positions = positions.select(1, -1).clone().DetachFromDisposeScope();
            // The full pass's last query row, without its own (last) key, which each recomputed copy supplies itself.
            _bias = attnBias.narrow(2, t - 1, 1).narrow(3, 0, t - 1).clone().DetachFromDisposeScope();
            return;
        }
        if (t < _promptColumns)
            throw new ArgumentException($"The pass has {t} columns; the decoding cache was made for a prompt of {_promptColumns}.");
        var promptEnd = _promptColumns - 1;
        _positions?.Dispose();
        _bias?.Dispose();
        // Left padding puts a real token in the prompt's last column, so the next column's position is one past it.
        _positions = (positions.select(1, promptEnd) + 1).DetachFromDisposeScope();
        // The prompt's last query row is what any later query sees of the prompt: padding masked, real tokens open.
        // Generated columns are all real, so the rest of the row stays 0.
        _bias = zeros(BatchSize, 1, 1, _capacity, dtype: attnBias.dtype, device: attnBias.device).DetachFromDisposeScope();
        _bias.narrow(3, 0, _promptColumns).copy_(attnBias.narrow(2, promptEnd, 1).narrow(3, 0, _promptColumns));
    }

    /// <summary>
    /// Called by each block with its keys and values [b, heads, t, d_head]. Last column: the clean pass records the
    /// residual at the last column and the other columns' keys and values, returning them unchanged; a last-column pass
    /// gets the cached ones put in front of its copies' own. Decoding: the prompt pass records the prompt's columns and
    /// returns its own unchanged; a new column is written after the held ones and attends to all of them.
    /// </summary>
    internal (Tensor Keys, Tensor Values) Apply(int layer, Tensor residualPre, Tensor keys, Tensor values)
    {
        if (IsDecoding) return Extend(layer, keys, values);
        if (IsComplete)
            return (cat([_keys[layer]!, keys], 2), cat([_values[layer]!, values], 2));
        var prefix = keys.shape[2] - 1;
        _residualPre[layer] = residualPre.select(1, -1).clone().DetachFromDisposeScope();
        _keys[layer] = keys.narrow(2, 0, prefix).clone().DetachFromDisposeScope();
        _values[layer] = values.narrow(2, 0, prefix).clone().DetachFromDisposeScope();
        return (keys, values);
    }

    private (Tensor Keys, Tensor Values) Extend(int layer, Tensor keys, Tensor values)
    {
        if (Length == 0)
        {
            // A prompt pass that failed part-way may have left buffers behind.
            _keys[layer]?.Dispose();
            _values[layer]?.Dispose();
            _keys[layer] = Buffer(keys);
            _values[layer] = Buffer(values);
            _keys[layer]!.narrow(2, 0, _promptColumns).copy_(keys.narrow(2, 0, _promptColumns));
            _values[layer]!.narrow(2, 0, _promptColumns).copy_(values.narrow(2, 0, _promptColumns));
            return (keys, values);
        }
        _keys[layer]!.narrow(2, Length, 1).copy_(keys);
        _values[layer]!.narrow(2, Length, 1).copy_(values);
        return (_keys[layer]!.narrow(2, 0, Length + 1), _values[layer]!.narrow(2, 0, Length + 1));
    }

    private Tensor Buffer(Tensor like) =>
        empty(like.shape[0], like.shape[1], _capacity, like.shape[3], dtype: like.dtype, device: like.device).DetachFromDisposeScope();

    /// <summary>Last column: keeps the clean pass's read-out. Decoding: the prompt pass is recorded.</summary>
    internal void Finish(Tensor output)
    {
        if (IsDecoding) Length = _promptColumns;
        else _output = output.clone().DetachFromDisposeScope();
    }

    /// <summary>Decoding: a new column has been written; the next one goes after it.</summary>
    internal void Advance()
    {
        Length++;
        _positions!.add_(1);
    }

    public void Dispose()
    {
        foreach (var t in _keys.Concat(_values).Concat(_residualPre)) t?.Dispose();
        Array.Clear(_keys);
        Array.Clear(_values);
        Array.Clear(_residualPre);
        _bias?.Dispose();
        _positions?.Dispose();
        _output?.Dispose();
        (_bias, _positions, _output) = (null, null, null);
    }
}
