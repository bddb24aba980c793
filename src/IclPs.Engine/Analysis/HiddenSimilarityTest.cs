using IclPs.Engine.Analysis.Statistics;

namespace IclPs.Engine.Analysis;

/// <summary>
/// A paired Wilcoxon signed-rank test at one layer of whether one pair's cosine (<see cref="Pair"/>) differs from
/// another's (<see cref="ReferencePair"/>) over the same queries, on the differences Pair minus ReferencePair.
/// </summary>
/// <param name="Contrast">"Pair vs ReferencePair".</param>
/// <param name="Measure">Cosine or CentredCosine.</param>
/// <param name="Inputs">Queries paired: the differences before zeros are dropped.</param>
/// <param name="N">Non-zero differences, the ones ranked (zeros are dropped, Wilcoxon's method; tied magnitudes share average ranks).</param>
/// <param name="WPlus">Sum of the ranks of the positive differences.</param>
/// <param name="Exact">Whether <paramref name="PValue"/> is exact (N up to 25) or the normal approximation with tie and continuity corrections.</param>
/// <param name="PValue">The p-value for <paramref name="Alternative"/> at this layer alone.</param>
/// <param name="PHolm">The p-value Holm-corrected over every layer tested for this contrast and measure.</param>
/// <param name="MedianDifference">Median of the differences, zeros included.</param>
public sealed record HiddenSimilarityTest(
    string Contrast,
    string Pair,
    string ReferencePair,
    string Measure,
    int Layer,
    string Hook,
    int Inputs,
    int N,
    int Zeros,
    double WPlus,
    double Z,
    bool Exact,
    Alternative Alternative,
    double PValue,
    double PHolm,
    double MedianDifference,
    double MeanDifference);
