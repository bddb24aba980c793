using System.Diagnostics;
using IclPs.Engine;
using IclPs.Engine.Regression;
using IclPs.Engine.Regression.Baselines;
using IclPs.Engine.Regression.Runs;

namespace IclPs.Cmdlets;

/// <summary>
/// -Baseline names as the regression cmdlets resolve them (their ValidateSet lists the same names; attribute arguments must
/// be constants, so the list itself cannot be shared): each named baseline once, on the family's noise variance and pool.
/// </summary>
internal static class RegressionBaselines
{
    /// <summary>
    /// What each class is compared with by default (Garg et al.'s baselines that IclPs has): Ridge (with noise; without,
    /// least squares is its limit) and dMMSE (with a pool) are the Bayes-optimal estimators of linear tasks, Lasso is the
    /// sparse tasks' own; least squares, 3-NN and averaging always.
    /// </summary>
    public static string[] Defaults(RegressionTaskSettings task)
    {
        string[] bayes = task.Family != RegressionTaskSettings.Linear || task.NoiseVariance == 0 ? []
            : task.PoolSize is null ? ["Ridge"] : ["Ridge", "Dmmse"];
        string[] own = task.Family == RegressionTaskSettings.SparseLinear ? ["LeastSquares", "Lasso"] : ["LeastSquares"];
        return [.. bayes, .. own, "NearestNeighbours", "Averaging"];
    }

    public static List<IRegressionBaseline> Create(IEnumerable<string> names, IRegressionTaskFamily family, double lassoAlpha = 0.01) =>
        names.Select(n => n.ToLowerInvariant()).Distinct().Select<string, IRegressionBaseline>(n => n switch
        {
            "ridge" => new RidgeBaseline(family.NoiseVariance),
            "dmmse" => family is LinearTaskFamily linear ? DmmseBaseline.For(linear)
                : throw new IclPsException(RegressionErrorIds.InvalidOption, IclErrorKind.InvalidArgument,
                    $"dMMSE needs a linear task pool; these tasks are {family.Name}.", family.Name),
            "leastsquares" => new LeastSquaresBaseline(),
            "lasso" => new LassoBaseline(lassoAlpha),
            "nearestneighbours" => new NearestNeighboursBaseline(),
            "averaging" => new AveragingBaseline(),
            _ => throw new UnreachableException(n),
        }).ToList();
}
