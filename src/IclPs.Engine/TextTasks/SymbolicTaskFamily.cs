using IclPs.Engine.Data;

namespace IclPs.Engine.TextTasks;

/// <summary>
/// A family of single-symbol tasks for training a small character-level language model to learn in context:
/// named tasks (copy, successor, predecessor, shift-k, constant-s), a pool of random permutations and a pool of random
/// balanced category lookups, split into training and held-out tasks that never share a map.
/// </summary>
/// <remarks>
/// Why the default alphabet has 9 symbols: <c>Invoke-IclPrompt</c> (<see cref="Prompting.FewShotPromptBuilder"/>) never
/// shows a demonstration whose input equals the query's, and every input occurs once in a task's dataset. On a held-out
/// permutation the query's answer is then inferable only by elimination: it is the one output not yet shown. With n symbols
/// and k demonstrations the best possible accuracy is 1/(n-k), so 0-shot is chance (1/n) and accuracy rises with shots;
/// with n = 9 the 8-shot prompt shows all 8 other pairs and fixes the answer. Constant tasks are inferable from one
/// demonstration and balanced category tasks from the label counts of all n-1 other pairs. Training sequences that
/// do show the query's pair (induction / copying) can be sampled with <see cref="QueryPlacement.InContext"/>.
/// </remarks>
public sealed class SymbolicTaskFamily
{
    private readonly Dictionary<string, SymbolicTask> _byName;

    public SymbolicTaskFamily(SymbolicTaskFamilyOptions? options = null)
    {
        Options = options ?? new SymbolicTaskFamilyOptions();
        Alphabet = TaskFamilyCommon.ValidateSymbols(Options.Alphabet, "InvalidAlphabet", "alphabet", 3);
        var labels = TaskFamilyCommon.ValidateSymbols(Options.CategoryLabels, "InvalidCategoryLabels", "category labels", 2);
        if (labels.Length > Alphabet.Count || labels.Any(Alphabet.Contains))
            throw new IclPsException("InvalidCategoryLabels", IclErrorKind.InvalidArgument,
                $"Category labels '{Options.CategoryLabels}' must be at most {Alphabet.Count} (the alphabet size) and share no symbol with the alphabet '{Options.Alphabet}'.", Options.CategoryLabels);
        TaskFamilyCommon.RequireCount(Options.TrainPermutations, nameof(Options.TrainPermutations), 0);
        TaskFamilyCommon.RequireCount(Options.HeldOutPermutations, nameof(Options.HeldOutPermutations), 0);
        TaskFamilyCommon.RequireCount(Options.TrainCategoryTasks, nameof(Options.TrainCategoryTasks), 0);
        TaskFamilyCommon.RequireCount(Options.HeldOutCategoryTasks, nameof(Options.HeldOutCategoryTasks), 0);
        ArgumentNullException.ThrowIfNull(Options.HeldOutNamedTasks);

        var named = NamedTasks();
        var namedByName = named.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var name in Options.HeldOutNamedTasks)
        {
            if (!namedByName.ContainsKey(name))
                throw new IclPsException("UnknownHeldOutTask", IclErrorKind.InvalidArgument,
                    $"Held-out task '{name}' is not a named task of this alphabet; named tasks: {string.Join(", ", namedByName.Keys)}.", name);
        }
        var heldOutNames = Options.HeldOutNamedTasks.ToHashSet(StringComparer.Ordinal);

        // Every map already taken, so no random task repeats another or a named one under a different name.
        var taken = named.Select(t => t.MapKey).ToHashSet(StringComparer.Ordinal);
        var trainPerms = DrawDistinct(Options.TrainPermutations, 1, "perm-", SymbolicTaskKind.Permutation, RandomPermutation, taken);
        var heldOutPerms = DrawDistinct(Options.HeldOutPermutations, 2, "heldout-perm-", SymbolicTaskKind.Permutation, RandomPermutation, taken);
        var trainCats = DrawDistinct(Options.TrainCategoryTasks, 3, "cat-", SymbolicTaskKind.Category, rng => RandomCategories(rng, labels), taken);
        var heldOutCats = DrawDistinct(Options.HeldOutCategoryTasks, 4, "heldout-cat-", SymbolicTaskKind.Category, rng => RandomCategories(rng, labels), taken);

        TrainTasks = named.Where(t => !heldOutNames.Contains(t.Name)).Concat(trainPerms).Concat(trainCats).ToArray();
        HeldOutTasks = named.Where(t => heldOutNames.Contains(t.Name)).Concat(heldOutPerms).Concat(heldOutCats).ToArray();
        _byName = TrainTasks.Concat(HeldOutTasks).ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public SymbolicTaskFamilyOptions Options { get; }
    public IReadOnlyList<string> Alphabet { get; }
    public IReadOnlyList<SymbolicTask> TrainTasks { get; }
    /// <summary>Tasks never to be trained on; no held-out map equals a training map.</summary>
    public IReadOnlyList<SymbolicTask> HeldOutTasks { get; }

    public SymbolicTask Task(string name) => TaskFamilyCommon.Find(_byName, name);

    /// <summary>Writes each task as <c>{directory}/{name}.json</c> in the Function Vector format; returns the paths in task order.</summary>
    public IReadOnlyList<string> Export(string directory, IEnumerable<SymbolicTask> tasks) => TaskFamilyCommon.Export(directory, tasks);

    private List<SymbolicTask> NamedTasks()
    {
        var n = Alphabet.Count;
        SymbolicTask Shift(int k, string name, SymbolicTaskKind kind) =>
            new(name, kind, Alphabet, Enumerable.Range(0, n).Select(i => Alphabet[(i + k) % n]).ToArray());
        var tasks = new List<SymbolicTask>
        {
            Shift(0, "copy", SymbolicTaskKind.Copy),
            Shift(1, "successor", SymbolicTaskKind.Successor),
            Shift(n - 1, "predecessor", SymbolicTaskKind.Predecessor),
        };
        for (var k = 2; k <= n - 2; k++) tasks.Add(Shift(k, $"shift-{k}", SymbolicTaskKind.Shift));
        foreach (var s in Alphabet) tasks.Add(new SymbolicTask($"constant-{s}", SymbolicTaskKind.Constant, Alphabet, Enumerable.Repeat(s, n).ToArray()));
        return tasks;
    }

    /// <summary>Draws maps from stream <paramref name="stream"/> of the task seed until <paramref name="count"/> new ones are found.</summary>
    private List<SymbolicTask> DrawDistinct(int count, long stream, string prefix, SymbolicTaskKind kind, Func<SeededRandom, string[]> draw, HashSet<string> taken)
    {
        var digits = Math.Max(3, (count - 1).ToString(System.Globalization.CultureInfo.InvariantCulture).Length);
        return TaskFamilyCommon.DrawDistinct(count, new SeededRandom(Options.TaskSeed, stream),
            (rng, found) => new SymbolicTask(prefix + found.ToString("D" + digits, System.Globalization.CultureInfo.InvariantCulture), kind, Alphabet, draw(rng)),
            task => task.MapKey, taken,
            $"Cannot find {count} distinct {kind} tasks over the alphabet '{Options.Alphabet}'; ask for fewer or use a larger alphabet.");
    }

    private string[] RandomPermutation(SeededRandom rng)
    {
        var outputs = Alphabet.ToArray();
        rng.ShuffleFront(outputs, outputs.Length);
        return outputs;
    }

    /// <summary>Labels dealt round-robin, then shuffled: every label covers n/C symbols (the first n mod C one more).</summary>
    private string[] RandomCategories(SeededRandom rng, string[] labels)
    {
        var outputs = Enumerable.Range(0, Alphabet.Count).Select(i => labels[i % labels.Length]).ToArray();
        rng.ShuffleFront(outputs, outputs.Length);
        return outputs;
    }
}
