namespace IclPs.Engine.Regression;

/// <summary>Stable ErrorIds of the regression task families, baselines and metrics.</summary>
public static class RegressionErrorIds
{
    /// <summary>A scalar option (dimension, noise variance, pool size, batch size, points, sparsity, ...) outside its range.</summary>
    public const string InvalidOption = "RegressionInvalidOption";
    /// <summary>A tensor whose rank, size or dtype does not fit the others (x [b, K, D], y [b, K], pool [M, D], ...).</summary>
    public const string ShapeMismatch = "RegressionShapeMismatch";
    /// <summary>An orthogonal query needs the K-1 demonstrations to leave a direction free: K &lt;= D.</summary>
    public const string TooManyPointsForOrthogonalQuery = "RegressionTooManyPointsForOrthogonalQuery";
}
