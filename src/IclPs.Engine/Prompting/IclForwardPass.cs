namespace IclPs.Engine.Prompting;

public enum IclPassKind
{
    /// <summary>Teacher-forced pass over prompt + expected continuation; its logits at <see cref="IclForwardPass.PromptEnd"/> also give the first generated token.</summary>
    Score,
    /// <summary>A greedy decoding step over prompt + tokens generated so far; the prediction is read at the last column.</summary>
    Generate,
}

/// <summary>
/// What a hook factory is told about the forward pass it is building hooks for. Every prompt's last token sits in
/// column <see cref="PromptEnd"/> (left padding), which is where a task vector is usually injected; in a Score pass the
/// last column is NOT the prediction position, so inject by column, not with <c>PositionFilter.Last</c>.
/// </summary>
/// <param name="Step">0 for the Score pass; n for the pass that predicts the (n+1)-th generated token.</param>
public sealed record IclForwardPass(IclPassKind Kind, int BatchSize, int Length, int PromptEnd, int Step);
