namespace IclPs.Engine.Analysis;

/// <summary>
/// One query's cosine similarity between two conditions' last-token residual stream at one layer, for statistics of one's
/// own. <see cref="CentredCosine"/> is NaN unless the centred cosine was asked for.
/// </summary>
public sealed record HiddenSimilarityInputRow(
    int Layer,
    string Hook,
    int InputIndex,
    string Input,
    string ConditionA,
    string ConditionB,
    string Pair,
    double Cosine,
    double CentredCosine);
