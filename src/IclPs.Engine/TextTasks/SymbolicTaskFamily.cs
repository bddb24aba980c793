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
        Alphabet = ValidateSymbols(Options.Alphabet, "InvalidAlphabet", "alphabet", 3);
        var labels = ValidateSymbols(Options.CategoryLabels, "InvalidCategoryLabels", "category labels", 2);
        if (labels.Length > Alphabet.Count || labels.Any(Alphabet.Contains))
            throw new IclPsException("InvalidCategoryLabels", IclErrorKind.InvalidArgument,
                $"Category labels '{Options.CategoryLabels}' must be at most {Alphabet.Count} (the alphabet size) and share no symbol with the alphabet '{Options.Alphabet}'.", Options.CategoryLabels);
        RequireCount(Options.TrainPermutations, nameof(Options.TrainPermutations));
        RequireCount(Options.HeldOutPermutations, nameof(Options.HeldOutPermutations));
        RequireCount(Options.TrainCategoryTasks, nameof(Options.TrainCategoryTasks));
        RequireCount(Options.HeldOutCategoryTasks, nameof(Options.HeldOutCategoryTasks));
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

    public SymbolicTask Task(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _byName.TryGetValue(name, out var task)
            ? task
            : throw new IclPsException("UnknownTask", IclErrorKind.ObjectNotFound, $"No task named '{name}' in this family.", name);
    }

    /// <summary>Writes each task as <c>{directory}/{name}.json</c> in the Function Vector format; returns the paths in task order.</summary>
    public IReadOnlyList<string> Export(string directory, IEnumerable<SymbolicTask> tasks)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(tasks);
        return tasks.Select(t => FunctionVectorJsonWriter.Write(t.ToDataset(), Path.Combine(directory, t.Name + ".json"))).ToArray();
    }

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
        var rng = new SeededRandom(Options.TaskSeed, stream);
        var digits = Math.Max(3, (count - 1).ToString(System.Globalization.CultureInfo.InvariantCulture).Length);
        var tasks = new List<SymbolicTask>(count);
        // A generous cap on rejections: reached only when the requested pool exceeds (nearly) all distinct maps.
        var attemptsLeft = 100L * count + 1000;
        while (tasks.Count < count)
        {
            if (attemptsLeft-- == 0)
                throw new IclPsException("TooManyTasks", IclErrorKind.InvalidArgument,
                    $"Cannot find {count} distinct {kind} tasks over the alphabet '{Options.Alphabet}'; ask for fewer or use a larger alphabet.", count);
            var task = new SymbolicTask(prefix + tasks.Count.ToString("D" + digits, System.Globalization.CultureInfo.InvariantCulture), kind, Alphabet, draw(rng));
            if (taken.Add(task.MapKey)) tasks.Add(task);
        }
        return tasks;
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

    private static string[] ValidateSymbols(string? symbols, string errorId, string what, int minimum)
    {
        if (symbols is null || symbols.Length < minimum || symbols.Distinct().Count() != symbols.Length || symbols.Any(c => char.IsWhiteSpace(c) || char.IsSurrogate(c)))
            throw new IclPsException(errorId, IclErrorKind.InvalidArgument,
                $"The {what} '{symbols}' must be at least {minimum} distinct characters, none whitespace or outside the basic multilingual plane.", symbols);
        return symbols.Select(c => c.ToString()).ToArray();
    }

    private static void RequireCount(int value, string name)
    {
        if (value < 0)
            throw new IclPsException("InvalidTaskCount", IclErrorKind.InvalidArgument, $"{name} must be 0 or more, got {value}.", value);
    }
}
