namespace IclPs.Engine.Analysis;

/// <summary>Cosine similarity of two conditions' last-token residual stream at one layer, over N queries.</summary>
public sealed record HiddenSimilarityRow(
    int Layer,
    string Hook,
    string ConditionA,
    string ConditionB,
    double MeanCosine,
    double StdCosine,
    long N,
    string DescriptionA,
    string DescriptionB);
