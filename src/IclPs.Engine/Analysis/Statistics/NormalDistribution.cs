namespace IclPs.Engine.Analysis.Statistics;

/// <summary>The standard normal distribution: distribution function, upper tail and quantile, in double precision.</summary>
public static class NormalDistribution
{
    /// <summary>Phi(z) = P(Z &lt;= z), accurate in the lower tail (computed as erfc, never as 1 minus a value near 1).</summary>
    public static double Cdf(double z)
    {
        if (double.IsNaN(z)) return double.NaN;
        // erfc(t) = Q(1/2, t^2), so Phi(z) = erfc(-z / sqrt 2) / 2 = Q(1/2, z^2 / 2) / 2 for z <= 0.
        var half = 0.5 * SpecialFunctions.GammaQ(0.5, 0.5 * z * z);
        return z <= 0 ? half : 1 - half;
    }

    /// <summary>1 - Phi(z) = P(Z &gt; z), accurate in the upper tail.</summary>
    public static double UpperTail(double z) => Cdf(-z);

    /// <summary>The z with Phi(z) = <paramref name="p"/>, for 0 &lt; p &lt; 1 (e.g. 0.975 gives 1.959964).</summary>
    public static double Quantile(double p)
    {
        if (!(p > 0 && p < 1))
            throw new IclPsException(StatisticsErrorIds.OutOfRange, IclErrorKind.InvalidArgument, $"A normal quantile needs 0 < p < 1, got {p}.", p);
        return p < 0.5 ? SpecialFunctions.Invert(Cdf, p, -40, 0) : SpecialFunctions.Invert(Cdf, p, 0, 40);
    }
}
