namespace IclPs.Engine.Tests.Reference;

/// <summary>What one reference forward pass produced: logits [pos, vocab] and every capture point (no batch axis).</summary>
public sealed record ReferenceRun(double[][] Logits, IReadOnlyDictionary<string, RefTensor> Captures)
{
    public RefTensor LogitsTensor => RefTensor.FromRows(Logits);

    /// <summary>Row <paramref name="position"/> of a [pos, d] capture.</summary>
    public double[] Vector(string hookName, int position) => Captures[hookName].Row(position);

    /// <summary>A [pos, d] capture as rows, for feeding back through later layers.</summary>
    public double[][] Rows(string hookName) =>
        Enumerable.Range(0, Captures[hookName].Shape[0]).Select(p => Captures[hookName].Row(p)).ToArray();
}
