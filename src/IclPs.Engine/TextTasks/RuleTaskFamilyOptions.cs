namespace IclPs.Engine.TextTasks;

/// <summary>What a <see cref="RuleTaskFamily"/> contains. Every symbol is one character.</summary>
public sealed record RuleTaskFamilyOptions
{
    /// <summary>The symbols, in the cyclic order the shift rules step through; distinct, no whitespace.</summary>
    public string Alphabet { get; init; } = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    /// <summary>
    /// The trained shift rules, x -> the symbol k places on (cyclically): 0 copy, 1 successor, -1 predecessor, other k
    /// forward-k or back-k. With the default 52 letters, 26 swaps the case. Distinct modulo the alphabet size.
    /// </summary>
    public IReadOnlyList<int> Shifts { get; init; } = [0, 1, -1, 2, -2, 3, -3, 26];
    /// <summary>Fixed random permutations of the alphabet (perm-1, perm-2, ...), drawn from <see cref="TaskSeed"/>, all trained.</summary>
    public int Permutations { get; init; } = 4;
    /// <summary>Shift rules kept out of training (rule inference on a rule never seen); distinct from <see cref="Shifts"/>.</summary>
    public IReadOnlyList<int> HeldOutShifts { get; init; } = [4];
    public long TaskSeed { get; init; }
}
