using IclPs.Engine.Data;

namespace IclPs.Engine.TextTasks;

/// <summary>
/// Keyed category lookup in the style of Chan et al. (2022): an input is a two-character word, a key followed by an
/// instance ("a3", "b7"), and a task maps each key to an output symbol, whatever the instance: "a3=x,b7=y,a1=x,a5=" -> "x".
/// Each task is named after its map, <c>keyed-</c> followed by the outputs of the keys in key order (keys "abc" mapped to
/// x, y, x: <c>keyed-xyx</c>). Training and held-out tasks are disjoint pools of random maps.
/// </summary>
/// <remarks>
/// Why this family: <c>Invoke-IclPrompt</c> (<see cref="Prompting.FewShotPromptBuilder"/>) never shows the query's own pair,
/// which on the one-input-one-output families leaves the held-out answer to elimination. Here a demonstration with the same
/// key and another instance shows the answer, so a held-out map is answered by reading the context (match the key, copy its
/// output), not by recalling training maps; without such a demonstration the key's output is unconstrained, so 0-shot
/// accuracy is chance, 1 / |outputs|, and accuracy rises with the chance that some demonstration shares the query's key
/// (<see cref="AccuracyCeiling"/>).
/// </remarks>
public sealed class KeyedLookupTaskFamily
{
    private readonly Dictionary<string, SymbolicTask> _byName;

    public KeyedLookupTaskFamily(KeyedLookupTaskFamilyOptions? options = null)
    {
        Options = options ?? new KeyedLookupTaskFamilyOptions();
        Keys = TaskFamilyCommon.ValidateSymbols(Options.Keys, "InvalidKeys", "keys", 1);
        Instances = TaskFamilyCommon.ValidateSymbols(Options.Instances, "InvalidInstances", "instances", 2);
        Outputs = TaskFamilyCommon.ValidateSymbols(Options.Outputs, "InvalidOutputs", "outputs", 2);
        var overlap = Keys.Intersect(Instances).Concat(Keys.Intersect(Outputs)).Concat(Instances.Intersect(Outputs)).FirstOrDefault();
        if (overlap is not null)
            throw new IclPsException("SymbolSetsOverlap", IclErrorKind.InvalidArgument,
                $"Keys '{Options.Keys}', instances '{Options.Instances}' and outputs '{Options.Outputs}' must not share a symbol; '{overlap}' is in two of them.", overlap);
        TaskFamilyCommon.RequireCount(Options.TrainTasks, nameof(Options.TrainTasks), 1);
        TaskFamilyCommon.RequireCount(Options.HeldOutTasks, nameof(Options.HeldOutTasks), 0);
        // Counted in double: |outputs|^|keys| overflows long long before the option counts could reach it.
        var distinctMaps = Math.Pow(Outputs.Count, Keys.Count);
        if ((double)Options.TrainTasks + Options.HeldOutTasks > distinctMaps)
            throw new IclPsException("TooManyTasks", IclErrorKind.InvalidArgument,
                $"{Options.TrainTasks} training plus {Options.HeldOutTasks} held-out tasks ({Options.TrainTasks + Options.HeldOutTasks}) exceed the {distinctMaps:0} distinct maps of {Keys.Count} keys to {Outputs.Count} outputs.",
                Options.TrainTasks + Options.HeldOutTasks);

        Inputs = Keys.SelectMany(k => Instances.Select(i => k + i)).ToArray();
        var taken = new HashSet<string>(StringComparer.Ordinal);
        // Held-out maps are drawn first, from their own stream, so growing the training pool never changes them.
        HeldOutTasks = DrawDistinct(Options.HeldOutTasks, 2, taken);
        TrainTasks = DrawDistinct(Options.TrainTasks, 1, taken);
        _byName = TrainTasks.Concat(HeldOutTasks).ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public KeyedLookupTaskFamilyOptions Options { get; }
    public IReadOnlyList<string> Keys { get; }
    public IReadOnlyList<string> Instances { get; }
    public IReadOnlyList<string> Outputs { get; }
    /// <summary>Every input word, key-major: a1, a2, ..., b1, ...; each task's examples follow this order.</summary>
    public IReadOnlyList<string> Inputs { get; }
    public IReadOnlyList<SymbolicTask> TrainTasks { get; }
    /// <summary>Tasks never to be trained on; no held-out map equals a training map.</summary>
    public IReadOnlyList<SymbolicTask> HeldOutTasks { get; }
    /// <summary>Accuracy of a guess that ignores the context: 1 / |outputs|.</summary>
    public double Chance => 1.0 / Outputs.Count;

    public SymbolicTask Task(string name) => TaskFamilyCommon.Find(_byName, name);

    /// <summary>The key of an input word (its first character).</summary>
    public string KeyOf(string input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Length == 2 && Keys.Contains(input[..1]) && Instances.Contains(input[1..])
            ? input[..1]
            : throw new IclPsException("UnknownSymbol", IclErrorKind.InvalidArgument, $"'{input}' is not a key followed by an instance of this family.", input);
    }

    /// <summary>
    /// The chance that none of <paramref name="shots"/> demonstrations, drawn without replacement from a task's other
    /// inputs (as <see cref="Prompting.FewShotPromptBuilder"/> draws them from the whole task), shares the query's key:
    /// C(N - I, k) / C(N - 1, k) with N inputs and I instances per key.
    /// </summary>
    public double QueryKeyMissProbability(int shots)
    {
        var others = Inputs.Count - 1;
        if (shots < 0 || shots > others)
            throw new IclPsException("InvalidShots", IclErrorKind.InvalidArgument, $"Shots must lie in [0, {others}] for {Inputs.Count} inputs, got {shots}.", shots);
        var otherKeys = Inputs.Count - Instances.Count;
        var miss = 1.0;
        // Product form of the binomial ratio: the j-th draw avoids the I - 1 same-key inputs.
        for (var j = 0; j < shots; j++) miss *= Math.Max(0, otherKeys - j) / (double)(others - j);
        return miss;
    }

    /// <summary>
    /// The best first-token accuracy any predictor reaches on a random map at <paramref name="shots"/> demonstrations drawn
    /// from the whole task: right whenever a demonstration shares the query's key, chance otherwise.
    /// </summary>
    public double AccuracyCeiling(int shots)
    {
        var miss = QueryKeyMissProbability(shots);
        return 1 - miss + miss * Chance;
    }

    /// <summary>Writes each task as <c>{directory}/{name}.json</c> in the Function Vector format; returns the paths in task order.</summary>
    public IReadOnlyList<string> Export(string directory, IEnumerable<SymbolicTask> tasks) => TaskFamilyCommon.Export(directory, tasks);

    /// <summary>Draws maps from stream <paramref name="stream"/> of the task seed until <paramref name="count"/> not yet taken are found.</summary>
    private List<SymbolicTask> DrawDistinct(int count, long stream, HashSet<string> taken) =>
        TaskFamilyCommon.DrawDistinct(count, new SeededRandom(Options.TaskSeed, stream), (rng, _) =>
            {
                var keyOutputs = Keys.Select(_ => Outputs[rng.NextInt(Outputs.Count)]).ToArray();
                var outputs = keyOutputs.SelectMany(o => Enumerable.Repeat(o, Instances.Count)).ToArray();
                return new SymbolicTask("keyed-" + string.Concat(keyOutputs), SymbolicTaskKind.KeyedLookup, Inputs, outputs);
            },
            task => task.Name, taken,
            $"Cannot find {count} more distinct maps of {Keys.Count} keys to {Outputs.Count} outputs; ask for fewer.");
}
