namespace IclPs.Engine.Analysis;

/// <summary>What <see cref="HiddenSimilarity.Measure"/> found: summary rows per layer and pair, and the per-query rows they summarise.</summary>
public sealed record HiddenSimilarityResult(IReadOnlyList<HiddenSimilarityRow> Rows, IReadOnlyList<HiddenSimilarityInputRow> Inputs);
