namespace IclPs.Engine.Tests.Reference;

/// <summary>A row-major float64 array with its shape: the only data type the reference computes with.</summary>
public sealed class RefTensor
{
    public RefTensor(int[] shape, double[] data)
    {
        var count = shape.Aggregate(1L, (a, s) => a * s);
        if (count != data.Length)
            throw new ArgumentException($"shape [{string.Join(", ", shape)}] holds {count} values, data has {data.Length}.");
        Shape = shape;
        Data = data;
    }

    public int[] Shape { get; }
    public double[] Data { get; }

    /// <summary>Element [i, j] of a matrix.</summary>
    public double this[int i, int j] => Data[i * Shape[1] + j];

    /// <summary>Row <paramref name="i"/> of a matrix, copied.</summary>
    public double[] Row(int i) => Data.AsSpan(i * Shape[1], Shape[1]).ToArray();

    /// <summary>Fails loudly when a weight has another layout than the one the math below assumes (e.g. Linear vs Conv1D).</summary>
    public RefTensor Expect(string name, params int[] shape)
    {
        if (!Shape.SequenceEqual(shape))
            throw new InvalidOperationException($"weight '{name}' has shape [{string.Join(", ", Shape)}], expected [{string.Join(", ", shape)}].");
        return this;
    }

    /// <summary>Stacks equally long rows (e.g. one vector per position) into a [rows, cols] tensor.</summary>
    public static RefTensor FromRows(IReadOnlyList<double[]> rows) =>
        new([rows.Count, rows.Count == 0 ? 0 : rows[0].Length], rows.SelectMany(r => r).ToArray());

    /// <summary>Stacks [rows][heads][width] into a [rows, heads, width] tensor.</summary>
    public static RefTensor FromRows(IReadOnlyList<double[][]> rows) =>
        new([rows.Count, rows[0].Length, rows[0][0].Length], rows.SelectMany(r => r.SelectMany(v => v)).ToArray());
}
