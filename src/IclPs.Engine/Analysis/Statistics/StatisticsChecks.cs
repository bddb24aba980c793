namespace IclPs.Engine.Analysis.Statistics;

/// <summary>Argument checks the statistics share, each failing with an <see cref="IclPsException"/> that names the value.</summary>
internal static class StatisticsChecks
{
    public static void Finite(IReadOnlyList<double> values, string what)
    {
        ArgumentNullException.ThrowIfNull(values);
        for (var i = 0; i < values.Count; i++)
        {
            if (!double.IsFinite(values[i]))
                throw new IclPsException(StatisticsErrorIds.NonFiniteValue, IclErrorKind.InvalidData,
                    $"{what}: value {i} is {values[i]}; every value must be a finite number.", values[i]);
        }
    }

    public static void SameLength<T>(IReadOnlyList<T> first, IReadOnlyList<T> second, string what)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Count != second.Count)
            throw new IclPsException(StatisticsErrorIds.LengthMismatch, IclErrorKind.InvalidArgument,
                $"{what}: the paired lists hold {first.Count} and {second.Count} values; each member needs a partner.", second.Count);
    }

    public static void Level(double level)
    {
        if (!(level > 0 && level < 1))
            throw new IclPsException(StatisticsErrorIds.OutOfRange, IclErrorKind.InvalidArgument,
                $"A confidence level must lie strictly between 0 and 1 (0.95 for a 95% interval), got {level}.", level);
    }

    public static void Count(long count, string what)
    {
        if (count < 0)
            throw new IclPsException(StatisticsErrorIds.OutOfRange, IclErrorKind.InvalidArgument, $"{what} must be 0 or more, got {count}.", count);
    }
}
