namespace IclPs.Engine.TextTasks;

/// <summary>
/// What a <see cref="TransductionTaskFamily"/> contains. Every symbol is one character, none whitespace; inputs are the
/// words of <see cref="WordLength"/> symbols over <see cref="Alphabet"/>.
/// </summary>
public sealed record TransductionTaskFamilyOptions
{
    /// <summary>The symbols input words are spelled in.</summary>
    public string Alphabet { get; init; } = "ABCDEFGHI";
    /// <summary>
    /// The symbols translations are spelled in, as many as <see cref="Alphabet"/>: a task maps the alphabet one-to-one onto
    /// them, a random permutation of their order. 0-shot chance is 1 / their count. Equal to the alphabet, a task permutes
    /// the alphabet itself; disjoint from it (the default), the query's symbol is never confused with an answer in the context.
    /// </summary>
    public string Outputs { get; init; } = "JKLMNOPQR";
    /// <summary>Symbols per word, at least 1; a task has |alphabet|^length inputs.</summary>
    public int WordLength { get; init; } = 2;
    /// <summary>Distinct random permutations in the training pool.</summary>
    public int TrainTasks { get; init; } = 512;
    /// <summary>Distinct random permutations held out of training; none equals a training one.</summary>
    public int HeldOutTasks { get; init; } = 64;
    /// <summary>Fixes which permutations are drawn for each pool.</summary>
    public long TaskSeed { get; init; }
}
