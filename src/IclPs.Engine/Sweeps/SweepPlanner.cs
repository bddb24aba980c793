using System.Globalization;
using System.Text.RegularExpressions;

namespace IclPs.Engine.Sweeps;

/// <summary>
/// Expands axes (a name and its values each) into the units of a sweep: every combination, the first axis outermost and
/// the last varying fastest, as nested loops in axis order would visit them.
/// </summary>
public static partial class SweepPlanner
{
    /// <summary>The most units one sweep may have; each is a folder on disk, and a plan beyond this is a mistake.</summary>
    public const int MaxUnits = 100_000;

    public static IReadOnlyList<SweepUnit> Expand(IReadOnlyList<KeyValuePair<string, IReadOnlyList<object?>>> axes)
    {
        ArgumentNullException.ThrowIfNull(axes);
        if (axes.Count == 0)
            throw new IclPsException(SweepErrorIds.AxisEmpty, IclErrorKind.InvalidArgument, "A sweep needs at least one axis (a name and its values).", axes);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var columns = new List<(string Name, object[] Values)>();
        long total = 1;
        foreach (var (name, values) in axes)
        {
            if (string.IsNullOrEmpty(name) || !ParameterName().IsMatch(name))
                throw new IclPsException(SweepErrorIds.AxisNameInvalid, IclErrorKind.InvalidArgument,
                    $"Axis name '{name}' cannot be a script parameter: use letters, digits and '_', not starting with a digit.", name);
            if (!seen.Add(name))
                throw new IclPsException(SweepErrorIds.AxisDuplicate, IclErrorKind.InvalidArgument,
                    $"Axis '{name}' is given twice (names differ only in case, and script parameters ignore case).", name);
            if (values is null || values.Count == 0)
                throw new IclPsException(SweepErrorIds.AxisEmpty, IclErrorKind.InvalidArgument, $"Axis '{name}' has no values.", name);
            var normalized = values.Select(v => Normalize(name, v)).ToArray();
            var repeated = normalized.GroupBy(SweepUnitId.ValueJson).FirstOrDefault(g => g.Count() > 1);
            if (repeated is not null)
                throw new IclPsException(SweepErrorIds.UnitDuplicate, IclErrorKind.InvalidArgument,
                    $"Axis '{name}' has the value {repeated.Key} more than once; every unit must differ.", repeated.First());
            total *= normalized.Length;
            if (total > MaxUnits)
                throw new IclPsException(SweepErrorIds.TooManyUnits, IclErrorKind.LimitsExceeded,
                    $"The axes make more than {MaxUnits} units (each unit is a shard folder); split the sweep.", total);
            columns.Add((name, normalized));
        }

        var units = new List<SweepUnit>((int)total);
        var position = new int[columns.Count];
        for (var index = 0; index < total; index++)
        {
            var parameters = new KeyValuePair<string, object>[columns.Count];
            for (var a = 0; a < columns.Count; a++) parameters[a] = new(columns[a].Name, columns[a].Values[position[a]]);
            units.Add(new SweepUnit(index, parameters));
            // Odometer step: the last axis turns fastest.
            for (var a = columns.Count - 1; a >= 0; a--)
            {
                if (++position[a] < columns[a].Values.Length) break;
                position[a] = 0;
            }
        }
        return units;
    }

    /// <summary>
    /// A value as a unit stores it: strings and Booleans as they are, integers as long, float/double/decimal as double.
    /// Anything else (null, a hashtable, a script block, an array) cannot be a parameter value that survives a file.
    /// </summary>
    public static object Normalize(string axis, object? value) => value switch
    {
        string s => s,
        bool b => b,
        sbyte or byte or short or ushort or int or uint or long => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        ulong u when u <= long.MaxValue => (long)u,
        double d when double.IsFinite(d) => d,
        float f when float.IsFinite(f) => (double)f,
        decimal m => (double)m,
        double or float => throw new IclPsException(SweepErrorIds.AxisValueType, IclErrorKind.InvalidArgument,
            $"Axis '{axis}' has the value {Convert.ToString(value, CultureInfo.InvariantCulture)}; sweep values must be finite.", value),
        _ => throw new IclPsException(SweepErrorIds.AxisValueType, IclErrorKind.InvalidArgument,
            $"Axis '{axis}' has a value of type {value?.GetType().FullName ?? "null"}; sweep values are strings, Booleans, integers or numbers.", value),
    };

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex ParameterName();
}
