using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace IclPs.Engine.Sweeps;

/// <summary>
/// The stable id of a unit: the first 12 hex digits (48 bits) of the SHA-256 of its parameters' canonical JSON, an object
/// with the names sorted ordinally, strings as JSON strings, Booleans as true/false, integers as digits and doubles in
/// round-trip form always carrying a '.' or an exponent (so 1 and 1.0 and "1" are three different units).
/// </summary>
public static class SweepUnitId
{
    public const int Length = 12;

    public static string Of(IEnumerable<KeyValuePair<string, object>> parameters) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(CanonicalJson(parameters))))[..Length].ToLowerInvariant();

    /// <summary>The text the id hashes, e.g. <c>{"M":4,"Rate":0.5,"Task":"linear"}</c>.</summary>
    public static string CanonicalJson(IEnumerable<KeyValuePair<string, object>> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var text = new StringBuilder("{");
        foreach (var (name, value) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (text.Length > 1) text.Append(',');
            text.Append(JsonSerializer.Serialize(name)).Append(':').Append(ValueJson(value));
        }
        return text.Append('}').ToString();
    }

    /// <summary>One value as canonical JSON (also how sweep.json and unit.json store it, so a reread value has its type).</summary>
    public static string ValueJson(object value) => value switch
    {
        string s => JsonSerializer.Serialize(s),
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => DoubleJson(d),
        _ => throw new ArgumentException($"A sweep parameter is a string, bool, long or double, not {value.GetType().FullName}.", nameof(value)),
    };

    private static string DoubleJson(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('.') || text.Contains('E') ? text : text + ".0";
    }
}
