using IclPs.Engine.Data;

namespace IclPs.Engine.Analysis;

/// <summary>
/// One query of <see cref="HiddenSimilarity"/>, optionally with demonstration pools of its own: <see cref="Demonstrations"/>
/// for its prompts (and its adapter), <see cref="AdapterDemonstrations"/> for its instruction-tuned adapter alone. Queries
/// of different tasks (each held-out map with its own train split) can then run in one measurement, so the summary rows
/// and the centred cosine cover them all. A null pool falls back to the run's.
/// </summary>
public sealed record SimilarityQuery(IclExample Example, IReadOnlyList<IclExample>? Demonstrations = null, IReadOnlyList<IclExample>? AdapterDemonstrations = null)
{
    public static implicit operator SimilarityQuery(IclExample example) => new(example);
}
