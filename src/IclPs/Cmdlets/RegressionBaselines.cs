using System.Diagnostics;
using IclPs.Engine.Regression;
using IclPs.Engine.Regression.Baselines;

namespace IclPs.Cmdlets;

/// <summary>
/// -Baseline names as the regression cmdlets resolve them (their ValidateSet lists the same names; attribute arguments must
/// be constants, so the list itself cannot be shared): each named baseline once, on the family's noise variance and pool.
/// </summary>
internal static class RegressionBaselines
{
    public static List<IRegressionBaseline> Create(IEnumerable<string> names, LinearTaskFamily family) =>
        names.Select(n => n.ToLowerInvariant()).Distinct().Select<string, IRegressionBaseline>(n => n switch
        {
            "ridge" => new RidgeBaseline(family.NoiseVariance),
            "dmmse" => DmmseBaseline.For(family),
            "leastsquares" => new LeastSquaresBaseline(),
            "nearestneighbours" => new NearestNeighboursBaseline(),
            "averaging" => new AveragingBaseline(),
            _ => throw new UnreachableException(n),
        }).ToList();
}
