namespace IclPs.Engine.Regression.Evaluation;

/// <summary>
/// One model on one task source, averaged over positions: the model's error and Delta(model, B) = mean over positions of
/// (model - B)^2 / D for each baseline B that was evaluated (null for the others), with the baselines' own errors, and
/// Delta(Ridge, dMMSE), the same distance between the two baselines on the same sequences (null unless both were
/// evaluated): the resolution of the comparison, since a model cannot be told Ridge-like from dMMSE-like more finely.
/// </summary>
public sealed record RegressionSummary(
    string Model,
    string TaskSource,
    int Samples,
    int Dimension,
    int Points,
    double ModelError,
    double? DeltaRidge,
    double? DeltaDmmse,
    double? DeltaLeastSquares,
    double? DeltaNearestNeighbours,
    double? DeltaAveraging,
    double? DeltaLasso,
    double? RidgeError,
    double? DmmseError,
    double? DeltaRidgeDmmse);
