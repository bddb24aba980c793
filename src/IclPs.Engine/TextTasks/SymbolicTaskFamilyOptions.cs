namespace IclPs.Engine.TextTasks;

/// <summary>
/// What a <see cref="SymbolicTaskFamily"/> contains. The defaults suit in-context learning measured through
/// <c>Invoke-IclPrompt</c>: 9 symbols, so the 8 other pairs of a bijection determine the query's answer (see
/// <see cref="SymbolicTaskFamily"/>).
/// </summary>
public sealed record SymbolicTaskFamilyOptions
{
    /// <summary>One symbol per character; distinct, no whitespace.</summary>
    public string Alphabet { get; init; } = "abcdefghi";
    /// <summary>Labels of the category tasks, one per character; distinct, not in the alphabet, at least 2 and at most the alphabet size.</summary>
    public string CategoryLabels { get; init; } = "XYZ";
    /// <summary>Random permutations in the training pool.</summary>
    public int TrainPermutations { get; init; } = 1024;
    /// <summary>Random permutations held out: distinct from every training permutation and every named bijection.</summary>
    public int HeldOutPermutations { get; init; } = 64;
    public int TrainCategoryTasks { get; init; } = 64;
    public int HeldOutCategoryTasks { get; init; } = 16;
    /// <summary>Named tasks (copy, successor, predecessor, shift-k, constant-s) that go to the held-out set instead of training.</summary>
    public IReadOnlyList<string> HeldOutNamedTasks { get; init; } = ["successor", "shift-3", "constant-a"];
    /// <summary>Fixes every random task (permutations and category assignments).</summary>
    public int TaskSeed { get; init; }
}
