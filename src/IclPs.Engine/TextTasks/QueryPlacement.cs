namespace IclPs.Engine.TextTasks;

/// <summary>Whether a sampled sequence's query input also appears among its demonstrations.</summary>
public enum QueryPlacement
{
    /// <summary>
    /// Never, as in <see cref="Prompting.FewShotPromptBuilder"/>: k distinct demonstrations, none with the query's input.
    /// Training this way matches what <c>Invoke-IclPrompt</c> evaluates.
    /// </summary>
    Excluded,
    /// <summary>Always: one of the k distinct demonstrations is the query's own pair, so a copying (induction) model can answer any task.</summary>
    InContext,
}
