namespace IclPs.Engine.Regression;

/// <summary>How the inputs x of a regression sequence are drawn; the defaults are the training distribution.</summary>
public sealed record RegressionInputOptions
{
    public static RegressionInputOptions Default { get; } = new();

    public InputCovariance Covariance { get; init; } = InputCovariance.Isotropic;

    /// <summary>
    /// Replace the last point (the query) by its component orthogonal to the span of the earlier points, rescaled to its
    /// original norm, so the demonstrations carry no information along the query. Needs K &lt;= D.
    /// </summary>
    public bool OrthogonalQuery { get; init; }
}
