namespace IclPs.Engine.Analysis;

/// <summary>
/// One query's cosine similarity between two conditions' last-token residual stream at one layer, for statistics of one's
/// own. <see cref="CentredCosine"/> is NaN unless the centred cosine was asked for. <see cref="FirstTokenCorrectA"/> and
/// <see cref="FirstTokenCorrectB"/>: whether each condition's greedy next token after its prompt (the same forward pass whose
/// states are compared) is the first token of the query's expected output, so task accuracy comes on the same inputs;
/// null when the output has no tokens.
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
    double CentredCosine,
    bool? FirstTokenCorrectA = null,
    bool? FirstTokenCorrectB = null);
