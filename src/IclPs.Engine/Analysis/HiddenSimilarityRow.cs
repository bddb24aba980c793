namespace IclPs.Engine.Analysis;

/// <summary>
/// Cosine similarity of two conditions' last-token residual stream at one layer, over N queries: its mean and sample
/// standard deviation, and the same for the centred cosine (states minus the layer's mean state over every query and
/// condition) when it was asked for, NaN otherwise.
/// </summary>
public sealed record HiddenSimilarityRow(
    int Layer,
    string Hook,
    string ConditionA,
    string ConditionB,
    string Pair,
    double MeanCosine,
    double StdCosine,
    long N,
    double MeanCentredCosine,
    double StdCentredCosine,
    string DescriptionA,
    string DescriptionB);
