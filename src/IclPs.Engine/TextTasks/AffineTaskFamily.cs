using System.Globalization;
using IclPs.Engine.Data;

namespace IclPs.Engine.TextTasks;

/// <summary>
/// Affine maps over an alphabet of prime size p: symbol x (its index in the alphabet) goes to (a*x + b) mod p, a != 0,
/// so p*(p-1) tasks, all bijections. The shifts (a = 1) keep their names (copy, successor, predecessor, shift-k); the
/// other maps are named <c>affine-{a}-{b}</c>. A seeded subset, plus chosen named shifts, is held out of training.
/// </summary>
/// <remarks>
/// Why affine maps: <c>Invoke-IclPrompt</c> (<see cref="Prompting.FewShotPromptBuilder"/>) never shows the query's own pair,
/// so on a pool of arbitrary permutations a held-out query is answerable only by elimination once all other pairs are shown.
/// Here any two demonstrations with distinct inputs determine (a, b) (a = (y2-y1)/(x2-x1), since p is prime), so from two
/// shots on the answer follows from a rule the demonstrations reveal without containing it; one demonstration narrows it
/// to p-1 candidates and none leaves chance, 1/p. Held-out maps are chosen so every value of a and of b still occurs in
/// training: a held-out task is a new combination of coefficients the model has seen, the compositional generalisation
/// that rule inference (and a task vector encoding the rule) should deliver. Maps with a = 0 (constants) are left out:
/// one demonstration gives them away and they are not bijections.
/// </remarks>
public sealed class AffineTaskFamily
{
    private readonly Dictionary<string, SymbolicTask> _byName;
    private readonly Dictionary<string, (int A, int B)> _coefficients;

    public AffineTaskFamily(AffineTaskFamilyOptions? options = null)
    {
        Options = options ?? new AffineTaskFamilyOptions();
        var alphabet = Options.Alphabet;
        if (alphabet is null || alphabet.Length < 3 || !IsPrime(alphabet.Length) || alphabet.Distinct().Count() != alphabet.Length
            || alphabet.Any(c => char.IsWhiteSpace(c) || char.IsSurrogate(c)))
            throw new IclPsException("InvalidAlphabet", IclErrorKind.InvalidArgument,
                $"The alphabet '{alphabet}' must be a prime number (at least 3) of distinct characters, none whitespace or outside the basic multilingual plane.", alphabet);
        Alphabet = alphabet.Select(c => c.ToString()).ToArray();
        var p = Alphabet.Count;
        ArgumentNullException.ThrowIfNull(Options.HeldOutNamedTasks);

        var all = new List<(SymbolicTask Task, int A, int B)>();
        for (var a = 1; a < p; a++)
            for (var b = 0; b < p; b++)
                all.Add((Create(a, b), a, b));
        _coefficients = all.ToDictionary(t => t.Task.Name, t => (t.A, t.B), StringComparer.Ordinal);

        foreach (var name in Options.HeldOutNamedTasks)
        {
            if (!_coefficients.TryGetValue(name, out var ab) || ab.A != 1)
                throw new IclPsException("UnknownHeldOutTask", IclErrorKind.InvalidArgument,
                    $"Held-out task '{name}' is not a named shift of this alphabet; named tasks: {string.Join(", ", all.Where(t => t.A == 1).Select(t => t.Task.Name))}.", name);
        }
        var unnamed = all.Where(t => t.A != 1).ToArray();
        if (Options.HeldOutAffineTasks < 0 || Options.HeldOutAffineTasks > unnamed.Length - p)
            throw new IclPsException("InvalidTaskCount", IclErrorKind.InvalidArgument,
                $"HeldOutAffineTasks must lie in [0, {unnamed.Length - p}] for {p} symbols (training must keep every coefficient), got {Options.HeldOutAffineTasks}.", Options.HeldOutAffineTasks);

        var heldOut = Options.HeldOutNamedTasks.ToHashSet(StringComparer.Ordinal);
        // Training counts per coefficient value: a held-out pick may not take the last training task of its a or its b.
        var aLeft = new int[p];
        var bLeft = new int[p];
        foreach (var t in all.Where(t => !heldOut.Contains(t.Task.Name))) { aLeft[t.A]++; bLeft[t.B]++; }
        var order = Enumerable.Range(0, unnamed.Length).ToArray();
        new SeededRandom(Options.TaskSeed, 1).ShuffleFront(order, order.Length);
        var picked = 0;
        foreach (var i in order)
        {
            if (picked == Options.HeldOutAffineTasks) break;
            var (task, a, b) = unnamed[i];
            if (aLeft[a] == 1 || bLeft[b] == 1) continue;
            aLeft[a]--;
            bLeft[b]--;
            heldOut.Add(task.Name);
            picked++;
        }
        if (picked < Options.HeldOutAffineTasks)
            throw new IclPsException("InvalidTaskCount", IclErrorKind.InvalidArgument,
                $"Only {picked} unnamed maps can be held out while training keeps every value of a and b; asked for {Options.HeldOutAffineTasks}.", Options.HeldOutAffineTasks);

        TrainTasks = all.Where(t => !heldOut.Contains(t.Task.Name)).Select(t => t.Task).ToArray();
        HeldOutTasks = all.Where(t => heldOut.Contains(t.Task.Name)).Select(t => t.Task).ToArray();
        _byName = all.ToDictionary(t => t.Task.Name, t => t.Task, StringComparer.Ordinal);
    }

    public AffineTaskFamilyOptions Options { get; }
    /// <summary>The symbols; symbol i stands for the residue i.</summary>
    public IReadOnlyList<string> Alphabet { get; }
    public int Modulus => Alphabet.Count;
    /// <summary>Training tasks, in (a, b) order; together they use every value of a and of b.</summary>
    public IReadOnlyList<SymbolicTask> TrainTasks { get; }
    /// <summary>Tasks never to be trained on, in (a, b) order.</summary>
    public IReadOnlyList<SymbolicTask> HeldOutTasks { get; }

    public SymbolicTask Task(string name) => TaskFamilyCommon.Find(_byName, name);

    /// <summary>The task computing (a*x + b) mod p.</summary>
    public SymbolicTask Task(int a, int b)
    {
        var p = Modulus;
        if (a <= 0 || a >= p || b < 0 || b >= p)
            throw new IclPsException("InvalidCoefficients", IclErrorKind.InvalidArgument, $"Coefficients need 0 < a < {p} and 0 <= b < {p}, got a = {a}, b = {b}.", (a, b));
        return _byName[Name(a, b, p)];
    }

    /// <summary>The (a, b) of one of this family's tasks.</summary>
    public (int A, int B) Coefficients(SymbolicTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return _coefficients.TryGetValue(task.Name, out var ab) && ReferenceEquals(_byName[task.Name], task)
            ? ab
            : throw new IclPsException("UnknownTask", IclErrorKind.ObjectNotFound, $"Task '{task.Name}' is not a task of this family.", task.Name);
    }

    /// <summary>Writes each task as <c>{directory}/{name}.json</c> in the Function Vector format; returns the paths in task order.</summary>
    public IReadOnlyList<string> Export(string directory, IEnumerable<SymbolicTask> tasks) => TaskFamilyCommon.Export(directory, tasks);

    private SymbolicTask Create(int a, int b)
    {
        var p = Modulus;
        var kind = a != 1 ? SymbolicTaskKind.Affine
            : b == 0 ? SymbolicTaskKind.Copy
            : b == 1 ? SymbolicTaskKind.Successor
            : b == p - 1 ? SymbolicTaskKind.Predecessor
            : SymbolicTaskKind.Shift;
        return new SymbolicTask(Name(a, b, p), kind, Alphabet, Enumerable.Range(0, p).Select(x => Alphabet[(a * x + b) % p]).ToArray());
    }

    private static string Name(int a, int b, int p) => a != 1
        ? string.Create(CultureInfo.InvariantCulture, $"affine-{a}-{b}")
        : b switch
        {
            0 => "copy",
            1 => "successor",
            _ when b == p - 1 => "predecessor",
            _ => string.Create(CultureInfo.InvariantCulture, $"shift-{b}"),
        };

    private static bool IsPrime(int n)
    {
        for (var d = 2; d * d <= n; d++)
            if (n % d == 0) return false;
        return n >= 2;
    }
}
