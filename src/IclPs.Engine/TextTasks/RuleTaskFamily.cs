using System.Globalization;
using IclPs.Engine.Data;

namespace IclPs.Engine.TextTasks;

/// <summary>
/// One-rule tasks over single symbols whose answer is a function of the input: shifts through the alphabet (copy,
/// successor, predecessor, forward-k, back-k) and a few fixed random permutations. A model trained on every pair of every
/// rule knows the rules; the demonstrations of a prompt only say which rule is meant, the regime of Hendel et al. 2023 and
/// Todd et al. 2024 (docs/science.md §5).
/// </summary>
/// <remarks>
/// Every rule is a bijection and the rules disagree on almost every input (two shifts never agree; a permutation agrees
/// with a given shift on about one input), so without demonstrations the best guess is right for one rule in
/// <see cref="TrainTasks"/>.Count: zero-shot accuracy averaged over the rules is near <see cref="Chance"/>. Eight
/// demonstrations rule out every other rule almost surely. Held-out shifts are never trained on; they show whether the
/// model infers a new shift from its demonstrations.
/// </remarks>
public sealed class RuleTaskFamily
{
    private readonly Dictionary<string, SymbolicTask> _byName;

    public RuleTaskFamily(RuleTaskFamilyOptions? options = null)
    {
        Options = options ?? new RuleTaskFamilyOptions();
        Alphabet = TaskFamilyCommon.ValidateSymbols(Options.Alphabet, "InvalidAlphabet", "alphabet", 3);
        ArgumentNullException.ThrowIfNull(Options.Shifts);
        ArgumentNullException.ThrowIfNull(Options.HeldOutShifts);
        TaskFamilyCommon.RequireCount(Options.Permutations, nameof(Options.Permutations), 0);
        var n = Alphabet.Count;
        var residues = new HashSet<int>();
        foreach (var k in Options.Shifts.Concat(Options.HeldOutShifts))
        {
            if (!residues.Add(Mod(k, n)))
                throw new IclPsException("DuplicateRule", IclErrorKind.InvalidArgument,
                    string.Create(CultureInfo.InvariantCulture, $"Shift {k} repeats another shift modulo the alphabet size {n}; every rule must be a different map."), k);
        }
        if (Options.Shifts.Count + Options.Permutations == 0)
            throw new IclPsException("NoTasks", IclErrorKind.InvalidArgument, "The family needs at least one trained rule (a shift or a permutation).", Options.Shifts);

        var shifts = Options.Shifts.Select(Shift).ToList();
        var taken = shifts.Concat(Options.HeldOutShifts.Select(Shift)).Select(t => t.MapKey).ToHashSet(StringComparer.Ordinal);
        var permutations = TaskFamilyCommon.DrawDistinct(Options.Permutations, new SeededRandom(Options.TaskSeed, 1),
            (rng, found) =>
            {
                var outputs = Alphabet.ToArray();
                rng.ShuffleFront(outputs, outputs.Length);
                return new SymbolicTask(string.Create(CultureInfo.InvariantCulture, $"perm-{found + 1}"), SymbolicTaskKind.Permutation, Alphabet, outputs);
            },
            t => t.MapKey, taken, $"Cannot find {Options.Permutations} distinct permutations of '{Options.Alphabet}'; ask for fewer.");
        TrainTasks = shifts.Concat(permutations).ToArray();
        HeldOutTasks = Options.HeldOutShifts.Select(Shift).ToArray();
        _byName = TrainTasks.Concat(HeldOutTasks).ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public RuleTaskFamilyOptions Options { get; }
    public IReadOnlyList<string> Alphabet { get; }
    /// <summary>The rules a model is trained on: the shifts in option order, then the permutations.</summary>
    public IReadOnlyList<SymbolicTask> TrainTasks { get; }
    /// <summary>The held-out shifts, never trained on.</summary>
    public IReadOnlyList<SymbolicTask> HeldOutTasks { get; }
    /// <summary>Zero-shot chance among the trained rules: 1 / their count.</summary>
    public double Chance => 1.0 / TrainTasks.Count;

    public SymbolicTask Task(string name) => TaskFamilyCommon.Find(_byName, name);

    /// <summary>Writes each task as <c>{directory}/{name}.json</c> in the Function Vector format; returns the paths in task order.</summary>
    public IReadOnlyList<string> Export(string directory, IEnumerable<SymbolicTask> tasks) => TaskFamilyCommon.Export(directory, tasks);

    /// <summary>The name of shift k: copy, successor, predecessor, forward-k or back-k (k taken modulo the alphabet size, then as the shorter way round).</summary>
    public static string ShiftName(int k, int alphabetSize)
    {
        var r = Mod(k, alphabetSize);
        if (r == 0) return "copy";
        if (r == 1) return "successor";
        if (r == alphabetSize - 1) return "predecessor";
        return r <= alphabetSize / 2
            ? string.Create(CultureInfo.InvariantCulture, $"forward-{r}")
            : string.Create(CultureInfo.InvariantCulture, $"back-{alphabetSize - r}");
    }

    private SymbolicTask Shift(int k)
    {
        var n = Alphabet.Count;
        var r = Mod(k, n);
        var kind = r == 0 ? SymbolicTaskKind.Copy : r == 1 ? SymbolicTaskKind.Successor : r == n - 1 ? SymbolicTaskKind.Predecessor : SymbolicTaskKind.Shift;
        return new SymbolicTask(ShiftName(k, n), kind, Alphabet, Enumerable.Range(0, n).Select(i => Alphabet[(i + r) % n]).ToArray());
    }

    private static int Mod(int k, int n) => ((k % n) + n) % n;
}
