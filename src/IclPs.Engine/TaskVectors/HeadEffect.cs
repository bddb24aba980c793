namespace IclPs.Engine.TaskVectors;

/// <summary>
/// Causal indirect effect of one head (Todd et al.): the mean rise in the problem's score (probability of the correct first
/// answer token) on shuffled-label prompts when the head's z at the last token is replaced by its mean activation.
/// </summary>
public sealed record HeadEffect(int Layer, int Head, double AverageIndirectEffect)
{
    /// <summary>Largest effect first, ties by layer then head: the order the function vector picks its top heads in.</summary>
    public static IEnumerable<HeadEffect> Rank(IEnumerable<HeadEffect> effects) =>
        effects.OrderByDescending(e => e.AverageIndirectEffect).ThenBy(e => e.Layer).ThenBy(e => e.Head);
}
