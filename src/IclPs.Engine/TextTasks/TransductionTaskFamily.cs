using System.Globalization;
using IclPs.Engine.Data;

namespace IclPs.Engine.TextTasks;

/// <summary>
/// Per-symbol transduction, a toy analogue of word-by-word translation: an input is a word over the alphabet ("BD"), and
/// a task, a one-to-one map of the alphabet onto the output symbols in a random order (a random permutation), rewrites each
/// of its symbols: with B -> K and D -> M, "BD=KM,DB=MK,BB=" -> "KK". Each task is named <c>perm-</c> followed by the
/// images of the alphabet in order. Training and held-out tasks are disjoint pools of random permutations.
/// </summary>
/// <remarks>
/// Why words and not single symbols: <c>Invoke-IclPrompt</c> (<see cref="Prompting.FewShotPromptBuilder"/>) never shows the
/// query's own pair, so a held-out single-symbol permutation can only be answered by elimination. A word's symbols also
/// occur in other demonstrations, so its translation is read from the context, as in keyed lookups; without such a
/// demonstration the symbol's image is one of those not yet shown (<see cref="AccuracyCeiling"/>).
/// </remarks>
public sealed class TransductionTaskFamily
{
    /// <summary>Inputs per task at most: every task's dataset holds them all.</summary>
    public const int MaxInputs = 10_000;

    private readonly Dictionary<string, SymbolicTask> _byName;

    public TransductionTaskFamily(TransductionTaskFamilyOptions? options = null)
    {
        Options = options ?? new TransductionTaskFamilyOptions();
        Alphabet = TaskFamilyCommon.ValidateSymbols(Options.Alphabet, "InvalidAlphabet", "alphabet", 2);
        Outputs = TaskFamilyCommon.ValidateSymbols(Options.Outputs, "InvalidOutputs", "outputs", 2);
        if (Outputs.Count != Alphabet.Count)
            throw new IclPsException("InvalidOutputs", IclErrorKind.InvalidArgument,
                $"The outputs '{Options.Outputs}' must be as many symbols as the alphabet '{Options.Alphabet}' ({Alphabet.Count}), so each task is one-to-one.", Options.Outputs);
        if (Options.WordLength < 1 || Math.Pow(Alphabet.Count, Options.WordLength) > MaxInputs)
            throw new IclPsException("InvalidWordLength", IclErrorKind.InvalidArgument,
                string.Create(CultureInfo.InvariantCulture, $"Word length must be 1 or more and give at most {MaxInputs} words over the {Alphabet.Count} symbols '{Options.Alphabet}', got {Options.WordLength}."),
                Options.WordLength);
        TaskFamilyCommon.RequireCount(Options.TrainTasks, nameof(Options.TrainTasks), 1);
        TaskFamilyCommon.RequireCount(Options.HeldOutTasks, nameof(Options.HeldOutTasks), 0);
        var permutations = Enumerable.Range(1, Alphabet.Count).Aggregate(1.0, (p, i) => p * i);
        if ((double)Options.TrainTasks + Options.HeldOutTasks > permutations)
            throw new IclPsException("TooManyTasks", IclErrorKind.InvalidArgument,
                $"{Options.TrainTasks} training plus {Options.HeldOutTasks} held-out tasks ({Options.TrainTasks + Options.HeldOutTasks}) exceed the {permutations:0} permutations of {Alphabet.Count} symbols.",
                Options.TrainTasks + Options.HeldOutTasks);

        IEnumerable<string> words = [""];
        for (var i = 0; i < Options.WordLength; i++) words = words.SelectMany(w => Alphabet.Select(s => w + s));
        Inputs = words.ToArray();
        var taken = new HashSet<string>(StringComparer.Ordinal);
        // Held-out permutations are drawn first, from their own stream, so growing the training pool never changes them.
        HeldOutTasks = DrawDistinct(Options.HeldOutTasks, 2, taken);
        TrainTasks = DrawDistinct(Options.TrainTasks, 1, taken);
        _byName = TrainTasks.Concat(HeldOutTasks).ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public TransductionTaskFamilyOptions Options { get; }
    public IReadOnlyList<string> Alphabet { get; }
    /// <summary>The symbols translations are spelled in; a task maps <see cref="Alphabet"/>[i] to one of them, each used once.</summary>
    public IReadOnlyList<string> Outputs { get; }
    /// <summary>Every word, in lexicographic order of the alphabet; each task's examples follow this order.</summary>
    public IReadOnlyList<string> Inputs { get; }
    public IReadOnlyList<SymbolicTask> TrainTasks { get; }
    /// <summary>Tasks never to be trained on; no held-out permutation equals a training one.</summary>
    public IReadOnlyList<SymbolicTask> HeldOutTasks { get; }
    /// <summary>First-token accuracy of a guess that ignores the context: 1 / |outputs|.</summary>
    public double Chance => 1.0 / Alphabet.Count;

    public SymbolicTask Task(string name) => TaskFamilyCommon.Find(_byName, name);

    /// <summary>
    /// The best first-token accuracy any predictor reaches on a random permutation at <paramref name="shots"/>
    /// demonstrations drawn without replacement from a task's other inputs (as <see cref="Prompting.FewShotPromptBuilder"/>
    /// draws them): right when a demonstration's word contains the query's first symbol, else one over the images not yet
    /// shown, |alphabet| minus the distinct symbols of the demonstrated words. Estimated from <paramref name="samples"/>
    /// seeded draws (standard error at most 0.5 / sqrt(samples)); exact for words of one symbol, where it is 1 / (|alphabet| - shots).
    /// </summary>
    public double AccuracyCeiling(int shots, int samples = 100_000, long seed = 0)
    {
        var others = Inputs.Count - 1;
        if (shots < 0 || shots > others)
            throw new IclPsException("InvalidShots", IclErrorKind.InvalidArgument, $"Shots must lie in [0, {others}] for {Inputs.Count} inputs, got {shots}.", shots);
        if (samples < 1)
            throw new IclPsException("InvalidSampleCount", IclErrorKind.InvalidArgument, $"Samples must be 1 or more, got {samples}.", samples);
        var rng = new SeededRandom(seed, shots);
        var order = new int[others];
        var seen = new bool[Alphabet.Count];
        var symbolIndex = Alphabet.Select((s, i) => (s, i)).ToDictionary(p => p.s[0], p => p.i);
        var total = 0.0;
        for (var n = 0; n < samples; n++)
        {
            var query = rng.NextInt(Inputs.Count);
            for (var i = 0; i < others; i++) order[i] = i < query ? i : i + 1;
            rng.ShuffleFront(order, shots);
            Array.Clear(seen);
            for (var d = 0; d < shots; d++)
                foreach (var c in Inputs[order[d]]) seen[symbolIndex[c]] = true;
            total += seen[symbolIndex[Inputs[query][0]]] ? 1.0 : 1.0 / (Alphabet.Count - seen.Count(s => s));
        }
        return total / samples;
    }

    /// <summary>Writes each task as <c>{directory}/{name}.json</c> in the Function Vector format; returns the paths in task order.</summary>
    public IReadOnlyList<string> Export(string directory, IEnumerable<SymbolicTask> tasks) => TaskFamilyCommon.Export(directory, tasks);

    /// <summary>Draws permutations from stream <paramref name="stream"/> of the task seed until <paramref name="count"/> not yet taken are found.</summary>
    private List<SymbolicTask> DrawDistinct(int count, long stream, HashSet<string> taken) =>
        TaskFamilyCommon.DrawDistinct(count, new SeededRandom(Options.TaskSeed, stream), (rng, _) =>
            {
                var images = Outputs.ToArray();
                rng.ShuffleFront(images, images.Length);
                var map = Alphabet.Select((s, i) => (s[0], images[i][0])).ToDictionary(p => p.Item1, p => p.Item2);
                var outputs = Inputs.Select(w => new string(w.Select(c => map[c]).ToArray())).ToArray();
                return new SymbolicTask("perm-" + string.Concat(images), SymbolicTaskKind.Transduction, Inputs, outputs);
            },
            task => task.Name, taken,
            $"Cannot find {count} more distinct permutations of the {Outputs.Count} symbols '{Options.Outputs}'; ask for fewer.");
}
