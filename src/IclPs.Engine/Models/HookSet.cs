using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Models;

/// <summary>Which sequence positions a capture or intervention touches. With left padding the prediction position is always the last one.</summary>
public sealed record PositionFilter
{
    private PositionFilter(int? lastCount) => LastCount = lastCount;
    /// <summary>Null for every position, else the number of trailing positions.</summary>
    public int? LastCount { get; }
    public static PositionFilter All { get; } = new((int?)null);
    public static PositionFilter Last { get; } = new(1);
    public static PositionFilter LastN(int count) => count > 0 ? new(count) : throw new ArgumentOutOfRangeException(nameof(count));
    public override string ToString() => LastCount is null ? "All" : LastCount == 1 ? "Last" : $"Last{LastCount}";
}

/// <summary>
/// The one mechanism for capture and intervention during a forward pass: functions registered on hook names.
/// Captures keep only the requested names and positions, so memory stays proportional to what was asked.
/// </summary>
public sealed class HookSet : IDisposable
{
    private readonly List<(string Name, Func<string, bool> Matches, Func<Tensor, Tensor> Edit)> _edits = new();
    private readonly List<(string Pattern, Func<string, bool> Matches, PositionFilter Positions, bool KeepGraph)> _captures = new();
    // The model whose hook points the registered names were last checked against, and how many registrations that covered.
    private TransformerModel? _checkedFor;
    private int _checkedCount;
    private long _changedPositions;
    private InterventionTally? _tally;
    private readonly Dictionary<string, bool> _activeCache = new();
    private readonly Dictionary<string, Tensor> _captured = new(StringComparer.Ordinal);
    private readonly List<Tensor> _owned = new();

    /// <summary>Captured activations by hook name. Tensors live until this HookSet is disposed.</summary>
    public IReadOnlyDictionary<string, Tensor> Captured => _captured;

    /// <summary>How many times an edit (intervention) ran, over every forward pass this set was given to.</summary>
    public int EditApplications { get; private set; }

    /// <summary>
    /// How many (batch row, position) pairs the edits changed, summed over every application: an intervention that leaves
    /// every value as it was (a zero vector, a replacement by the same value) counts 0. hook_pattern counts query positions.
    /// </summary>
    public long ChangedPositions => _changedPositions;

    /// <summary>Adds this set's <see cref="EditApplications"/> and <see cref="ChangedPositions"/> to <paramref name="tally"/> when it is disposed; returns this set.</summary>
    public HookSet ReportTo(InterventionTally? tally)
    {
        _tally = tally;
        return this;
    }

    /// <summary>
    /// Capture activations whose name matches <paramref name="namePattern"/> ('*' matches within a name, e.g. <c>blocks.*.hook_resid_post</c>).
    /// Captured tensors are copies (detached unless <paramref name="keepGraph"/>), cut to <paramref name="positions"/>:
    /// Last gives [b, ...] without the position axis (the query axis of hook_pattern), LastN(k) and All keep it.
    /// </summary>
    public HookSet Capture(string namePattern, PositionFilter? positions = null, bool keepGraph = false)
    {
        ArgumentNullException.ThrowIfNull(namePattern);
        _captures.Add((namePattern, Matcher(namePattern), positions ?? PositionFilter.Last, keepGraph));
        _activeCache.Clear();
        return this;
    }

    /// <summary>Replace the activation at <paramref name="hookName"/> by <paramref name="edit"/>(activation).</summary>
    public HookSet Edit(string hookName, Func<Tensor, Tensor> edit)
    {
        ArgumentNullException.ThrowIfNull(hookName);
        _edits.Add((hookName, n => n == hookName, edit));
        _activeCache.Clear();
        return this;
    }

    /// <summary>Add <paramref name="vector"/> ([d] or [b, d]) at the given positions of a [b, pos, d] activation (e.g. resid_post).</summary>
    public HookSet AddVector(string hookName, Tensor vector, PositionFilter? positions = null) =>
        Edit(hookName, x => x + PositionMask(x, positions ?? PositionFilter.Last, 3) * Broadcastable(vector, x));

    /// <summary>Replace a [b, pos, d] activation by <paramref name="vector"/> ([d] or [b, d]) at the given positions.</summary>
    public HookSet ReplaceVector(string hookName, Tensor vector, PositionFilter? positions = null) =>
        Edit(hookName, x =>
        {
            var mask = PositionMask(x, positions ?? PositionFilter.Last, 3);
            return x * (1 - mask) + mask * Broadcastable(vector, x);
        });

    /// <summary>
    /// Add <paramref name="vector"/> ([d] or [b, d]) at one sequence column of a [b, pos, d] activation. Prompts are left-padded,
    /// so one column is every prompt's prediction position; the edit keeps the autograd graph of <paramref name="vector"/>.
    /// </summary>
    public HookSet AddVectorAt(string hookName, Tensor vector, int column) =>
        Edit(hookName, x => x + ColumnMask(x, column) * Broadcastable(vector, x));

    /// <summary>Replace a [b, pos, d] activation by <paramref name="vector"/> ([d] or [b, d]) at one sequence column.</summary>
    public HookSet ReplaceVectorAt(string hookName, Tensor vector, int column) =>
        Edit(hookName, x =>
        {
            var mask = ColumnMask(x, column);
            return x * (1 - mask) + mask * Broadcastable(vector, x);
        });

    /// <summary>Replace head <paramref name="head"/>'s z ([d_head] or [b, d_head]) at layer <paramref name="layer"/>; W_O is then applied as usual.</summary>
    public HookSet ReplaceHeadZ(int layer, int head, Tensor value, PositionFilter? positions = null) =>
        Edit(HookNames.Z(layer), z =>
        {
            // z: [b, pos, H, d_head]
            var mask = PositionMask(z, positions ?? PositionFilter.Last, 4);
            var headMask = zeros(1, 1, z.shape[2], 1, dtype: z.dtype, device: z.device);
            headMask[0, 0, head, 0] = tensor(1.0f, dtype: z.dtype);
            var where = mask * headMask;
            var v = value.to(z.dtype, z.device);
            v = v.dim() == 1 ? v.view(1, 1, 1, -1) : v.view(v.shape[0], 1, 1, v.shape[1]);
            return z * (1 - where) + where * v;
        });

    /// <summary>
    /// Checks every registered hook name and capture pattern against <paramref name="model"/>'s hook points
    /// (<see cref="HookNames.For"/>): a name that resolves to none is an <see cref="IclPsException"/> listing the nearest valid
    /// names, rather than a capture or intervention that silently never runs. Called by the model before each forward pass.
    /// </summary>
    public void CheckNames(TransformerModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var count = _edits.Count + _captures.Count;
        if (ReferenceEquals(_checkedFor, model) && _checkedCount == count) return;
        var valid = model.HookPoints;
        var description = $"this {model.Config.Family} model ({model.Config})";
        foreach (var (name, matches, _) in _edits) HookNames.Resolve(name, valid, description, matches);
        foreach (var (pattern, matches, _, _) in _captures) HookNames.Resolve(pattern, valid, description, matches);
        (_checkedFor, _checkedCount) = (model, count);
    }

    internal bool IsActive(string name)
    {
        if (_activeCache.TryGetValue(name, out var active)) return active;
        active = _edits.Any(e => e.Matches(name)) || _captures.Any(c => c.Matches(name));
        _activeCache[name] = active;
        return active;
    }

    /// <summary>Called by the model at each hook point: applies edits in registration order, then captures the result.</summary>
    internal Tensor Run(string name, Tensor x)
    {
        if (!IsActive(name)) return x;
        foreach (var (_, matches, edit) in _edits)
        {
            if (!matches(name)) continue;
            var edited = edit(x);
            CountChanges(name, x, edited);
            x = edited;
        }
        foreach (var (_, matches, positions, keepGraph) in _captures)
        {
            if (!matches(name)) continue;
            // hook_pattern is [b, H, query, key]: its positions are the queries; every other hook has them on axis 1.
            var axis = name.EndsWith(".hook_pattern", StringComparison.Ordinal) ? 2 : 1;
            var slice = positions.LastCount switch
            {
                null => x,
                1 => x.select(axis, -1),
                int n => x.narrow(axis, x.shape[axis] - n, n),
            };
            // A copy, so a kept slice never pins the whole activation's storage.
            var stored = (keepGraph ? slice.clone() : slice.detach().clone()).DetachFromDisposeScope();
            // A HookSet reused for another forward pass keeps the newest activations, never stale ones.
            if (_captured.Remove(name, out var previous)) previous.Dispose();
            _captured[name] = stored;
        }
        return x;
    }

    /// <summary>Makes this set dispose <paramref name="tensor"/> with its captures (e.g. a vector its edits inject); returns it.</summary>
    public Tensor Own(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        _owned.Add(tensor.DetachFromDisposeScope());
        return tensor;
    }

    public void Dispose()
    {
        if (_tally is not null)
        {
            _tally.Add(EditApplications, ChangedPositions);
            _tally = null;
        }
        foreach (var t in _owned) t.Dispose();
        _owned.Clear();
        foreach (var t in _captured.Values) t.Dispose();
        _captured.Clear();
    }

    /// <summary>Takes ownership of a captured tensor away from this set (the caller disposes it).</summary>
    public Tensor Take(string name)
    {
        if (!_captured.Remove(name, out var t)) throw new KeyNotFoundException($"Hook '{name}' was not captured.");
        return t;
    }

    /// <summary>Adds the (batch row, position) pairs where <paramref name="edited"/> differs from <paramref name="original"/>.</summary>
    private void CountChanges(string name, Tensor original, Tensor edited)
    {
        EditApplications++;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        // An edit that reshapes the activation changed every position it kept.
        var differs = edited.shape.SequenceEqual(original.shape)
            ? edited.detach().ne(original.detach())
            : ones(edited.shape, dtype: ScalarType.Bool, device: edited.device);
        Tensor changed;
        if (differs.dim() < 2)
        {
            changed = differs.any().to(ScalarType.Int64);
        }
        else
        {
            // Positions are axis 1, except hook_pattern's queries on axis 2 ([b, H, query, key]).
            var axis = name.EndsWith(".hook_pattern", StringComparison.Ordinal) && differs.dim() > 2 ? 2 : 1;
            var perPosition = differs.transpose(1, axis);
            if (perPosition.dim() > 2) perPosition = perPosition.flatten(2).any(2);
            changed = perPosition.sum();
        }
        _changedPositions += changed.to(ScalarType.Int64).item<long>();
    }

    private static Func<string, bool> Matcher(string pattern)
    {
        if (!pattern.Contains('*')) return n => n == pattern;
        var regex = new Regex("^" + Regex.Escape(pattern).Replace(@"\*", ".*") + "$", RegexOptions.CultureInvariant);
        return regex.IsMatch;
    }

    private static Tensor PositionMask(Tensor x, PositionFilter positions, int rank)
    {
        var t = x.shape[1];
        var shape = Enumerable.Repeat(1L, rank).ToArray();
        shape[1] = t;
        if (positions.LastCount is null) return ones(shape, dtype: x.dtype, device: x.device);
        var n = Math.Min(positions.LastCount.Value, (int)t);
        var m = zeros(shape, dtype: x.dtype, device: x.device);
        m.narrow(1, t - n, n).fill_(1);
        return m;
    }

    /// <summary>[1, pos, 1] with a 1 at <paramref name="column"/> (negative counts from the end).</summary>
    internal static Tensor ColumnMask(Tensor x, int column)
    {
        var t = x.shape[1];
        var index = column < 0 ? t + column : column;
        if (index < 0 || index >= t)
            throw new IclPsException("InjectionColumnOutOfRange", IclErrorKind.InvalidArgument,
                $"Column {column} is outside the {t} positions of this forward pass.", column);
        var m = zeros(1, t, 1, dtype: x.dtype, device: x.device);
        m[0, index, 0] = tensor(1.0f, dtype: x.dtype);
        return m;
    }

    private static Tensor Broadcastable(Tensor vector, Tensor x)
    {
        var v = vector.to(x.dtype, x.device);
        return v.dim() == 1 ? v.view(1, 1, -1) : v.unsqueeze(1);
    }
}
