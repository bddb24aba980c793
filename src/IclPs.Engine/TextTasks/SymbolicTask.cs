using IclPs.Engine.Data;

namespace IclPs.Engine.TextTasks;

/// <summary>
/// One task of a <see cref="SymbolicTaskFamily"/>: a map from every symbol of the alphabet to one output symbol.
/// <see cref="Name"/> is stable for a given family configuration, so it can name an exported dataset or serve as an instruction.
/// </summary>
public sealed class SymbolicTask
{
    private readonly Dictionary<string, string> _map;

    internal SymbolicTask(string name, SymbolicTaskKind kind, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs)
    {
        Name = name;
        Kind = kind;
        Inputs = inputs;
        Outputs = outputs;
        _map = new Dictionary<string, string>(inputs.Count, StringComparer.Ordinal);
        for (var i = 0; i < inputs.Count; i++) _map.Add(inputs[i], outputs[i]);
        Examples = inputs.Select((x, i) => new IclExample(x, outputs[i])).ToArray();
        IsBijection = outputs.Distinct(StringComparer.Ordinal).Count() == inputs.Count && outputs.All(_map.ContainsKey);
    }

    public string Name { get; }
    public SymbolicTaskKind Kind { get; }
    /// <summary>The alphabet, in alphabet order.</summary>
    public IReadOnlyList<string> Inputs { get; }
    /// <summary>Outputs[i] is the image of Inputs[i].</summary>
    public IReadOnlyList<string> Outputs { get; }
    /// <summary>Every (input, output) pair, in alphabet order.</summary>
    public IReadOnlyList<IclExample> Examples { get; }
    /// <summary>True when the map permutes the alphabet (permutations, copy, successor, predecessor, shifts).</summary>
    public bool IsBijection { get; }
    /// <summary>Key that is equal exactly for tasks with the same map; used to keep held-out tasks distinct from training ones.</summary>
    internal string MapKey => string.Join('\u0001', Outputs);

    public IReadOnlyDictionary<string, string> Map => _map;

    public string Apply(string input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return _map.TryGetValue(input, out var output)
            ? output
            : throw new IclPsException("UnknownSymbol", IclErrorKind.InvalidArgument,
                $"Task '{Name}' has no symbol '{input}'; its alphabet is {string.Concat(Inputs)}.", input);
    }

    /// <summary>The whole map as a dataset named after the task, one {"input", "output"} item per symbol.</summary>
    public IclDataset ToDataset() => new(Name, Examples);

    public override string ToString() => $"{Name} ({Kind}: {string.Concat(Inputs)} -> {string.Concat(Outputs)})";
}
