namespace IclPs.Engine.Prompting;

public enum IclPassKind
{
    /// <summary>Teacher-forced pass over prompt + expected continuation; its logits at <see cref="IclForwardPass.PromptEnd"/> also give the first generated token.</summary>
    Score,
    /// <summary>
    /// A greedy decoding step: the column of the token generated last, computed against the key/value cache of the
    /// prompt (recorded in the Score pass) and of the earlier steps; the prediction is read there.
    /// </summary>
    Generate,
}

/// <summary>
/// What a hook factory is told about the forward pass it is building hooks for. Every prompt's last token sits in
/// column <see cref="PromptEnd"/> (left padding), which is where a task vector is usually injected; in a Score pass the
/// last column is NOT the prediction position, so inject by column, not with <c>PositionFilter.Last</c>.
/// The pass computes columns <see cref="FirstColumn"/> to <see cref="Length"/> - 1 only: position i of a hooked activation
/// is column FirstColumn + i. A Generate pass computes its new column alone (the columns before it are cached from the
/// passes that computed them, with those passes' hooks), so an edit at the prompt end belongs in the Score pass only.
/// </summary>
/// <param name="Length">Columns of the sequence this pass continues, its own included.</param>
/// <param name="Step">0 for the Score pass; n for the pass that predicts the (n+1)-th generated token.</param>
/// <param name="FirstColumn">The sequence column of the pass's first position: 0 for Score, Length - 1 for Generate.</param>
public sealed record IclForwardPass(IclPassKind Kind, int BatchSize, int Length, int PromptEnd, int Step, int FirstColumn)
{
    /// <summary>How many positions the pass's activations have: Length - FirstColumn.</summary>
    public int Columns => Length - FirstColumn;

    /// <summary>
    /// Where <paramref name="column"/> of the sequence sits on the pass's position axis, or null when the pass does not
    /// compute it.
    /// </summary>
    public int? PositionOf(int column) => column >= FirstColumn && column < Length ? column - FirstColumn : null;
}
