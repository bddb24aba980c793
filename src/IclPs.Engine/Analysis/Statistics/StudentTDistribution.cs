namespace IclPs.Engine.Analysis.Statistics;

/// <summary>Student's t distribution with <c>df</c> degrees of freedom: distribution function and quantile.</summary>
public static class StudentTDistribution
{
    /// <summary>P(T &lt;= t) for <paramref name="degreesOfFreedom"/> &gt; 0.</summary>
    public static double Cdf(double t, double degreesOfFreedom)
    {
        CheckDegrees(degreesOfFreedom);
        if (double.IsNaN(t)) return double.NaN;
        if (double.IsPositiveInfinity(t)) return 1;
        if (double.IsNegativeInfinity(t)) return 0;
        // P(|T| > |t|) = I_x(df/2, 1/2) with x = df / (df + t^2).
        var tail = 0.5 * SpecialFunctions.BetaRegularized(degreesOfFreedom / (degreesOfFreedom + t * t), 0.5 * degreesOfFreedom, 0.5);
        return t <= 0 ? tail : 1 - tail;
    }

    /// <summary>The t with P(T &lt;= t) = <paramref name="p"/>, for 0 &lt; p &lt; 1 (e.g. p = 0.975, df = 4 gives 2.776445).</summary>
    public static double Quantile(double p, double degreesOfFreedom)
    {
        CheckDegrees(degreesOfFreedom);
        if (!(p > 0 && p < 1))
            throw new IclPsException(StatisticsErrorIds.OutOfRange, IclErrorKind.InvalidArgument, $"A t quantile needs 0 < p < 1, got {p}.", p);
        if (p < 0.5) return -Quantile(1 - p, degreesOfFreedom);
        var high = 1.0;
        while (Cdf(high, degreesOfFreedom) < p && high < 1e300) high *= 2;
        return SpecialFunctions.Invert(t => Cdf(t, degreesOfFreedom), p, 0, high);
    }

    private static void CheckDegrees(double degreesOfFreedom)
    {
        if (!(degreesOfFreedom > 0) || double.IsInfinity(degreesOfFreedom))
            throw new IclPsException(StatisticsErrorIds.OutOfRange, IclErrorKind.InvalidArgument,
                $"Student's t needs finite degrees of freedom above 0, got {degreesOfFreedom}.", degreesOfFreedom);
    }
}
