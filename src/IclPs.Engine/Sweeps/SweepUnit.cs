using System.Globalization;

namespace IclPs.Engine.Sweeps;

/// <summary>
/// One point of a sweep: a set of named parameter values, its position in the sweep (<see cref="Index"/>, the order of
/// the merged results) and a stable <see cref="Id"/> that depends on the parameters alone (<see cref="SweepUnitId"/>), so
/// the same parameters name the same shard whatever else the sweep holds. Values are strings, Booleans, 64-bit integers
/// or doubles.
/// </summary>
public sealed class SweepUnit
{
    public SweepUnit(int index, IReadOnlyList<KeyValuePair<string, object>> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Index = index;
        Parameters = parameters;
        Id = SweepUnitId.Of(parameters);
        Name = string.Join(", ", parameters.Select(p => $"{p.Key}={FormatValue(p.Value)}"));
    }

    /// <summary>Position in the sweep (0-based): units are merged in this order.</summary>
    public int Index { get; }

    /// <summary>12 hex digits of the SHA-256 of the parameters' canonical JSON; the name of the unit's shard.</summary>
    public string Id { get; }

    /// <summary>The parameters as "Name=value, ..." in axis order.</summary>
    public string Name { get; }

    /// <summary>The parameter values in axis order: what the unit's script receives as named parameters.</summary>
    public IReadOnlyList<KeyValuePair<string, object>> Parameters { get; }

    /// <summary>A value as it appears in <see cref="Name"/>: culture-invariant, doubles in round-trip form.</summary>
    public static string FormatValue(object value) => value switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "True" : "False",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    public override string ToString() => Name;
}
