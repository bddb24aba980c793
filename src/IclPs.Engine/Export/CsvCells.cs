using System.Collections;
using System.Globalization;

namespace IclPs.Engine.Export;

/// <summary>Turns a result row's values into CSV cell text, culture-invariantly, so a file reads the same everywhere.</summary>
internal static class CsvCells
{
    public static List<(string Column, string Text)> Format(IEnumerable<KeyValuePair<string, object?>> row, bool flattenVectors)
    {
        var cells = new List<(string, string)>();
        foreach (var (column, value) in row)
        {
            if (string.IsNullOrEmpty(column))
                throw new IclPsException("CsvEmptyColumnName", IclErrorKind.InvalidArgument, "A result column has an empty name.", value);
            if (AsVector(value) is { } vector)
            {
                if (flattenVectors)
                {
                    for (var i = 0; i < vector.Length; i++) cells.Add(($"{column}_{i}", Scalar(vector[i])));
                }
                else
                {
                    var norm = Math.Sqrt(vector.Sum(x => x * x));
                    cells.Add((column, string.Create(CultureInfo.InvariantCulture, $"dim={vector.Length};norm={norm:G6}")));
                }
                continue;
            }
            cells.Add((column, Scalar(value)));
        }
        return cells;
    }

    public static string Scalar(object? value) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "True" : "False",
        // Shortest text that round-trips, with '.' whatever the current culture.
        double d => d.ToString(CultureInfo.InvariantCulture),
        float f => f.ToString(CultureInfo.InvariantCulture),
        DateTime t => t.ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset t => t.ToString("O", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        // Other sequences (token ids, names) as one cell; Export-Csv would write the type name, which says nothing.
        IEnumerable items => string.Join(";", items.Cast<object?>().Select(Scalar)),
        _ => value.ToString() ?? "",
    };

    /// <summary>float / double sequences are vectors (hidden states, task vectors); everything else is a scalar.</summary>
    private static double[]? AsVector(object? value) => value switch
    {
        double[] d => d,
        float[] f => Array.ConvertAll(f, x => (double)x),
        IReadOnlyList<double> d => d.ToArray(),
        IReadOnlyList<float> f => f.Select(x => (double)x).ToArray(),
        _ => null,
    };
}
