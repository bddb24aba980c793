namespace IclPs.Engine.Tests.Reference;

/// <summary>Edits the reference applies during its forward pass, in the order they were added (as the engine's HookSet does).</summary>
public sealed class ReferenceInterventions
{
    private readonly List<(int Layer, int Position, double[] Vector, bool Replace)> _residual = new();
    private readonly List<(int Layer, int Head, int Position, double[] Z)> _headZ = new();

    /// <summary>resid_post[layer][position] += vector.</summary>
    public ReferenceInterventions AddToResidPost(int layer, int position, double[] vector)
    {
        _residual.Add((layer, position, vector, false));
        return this;
    }

    /// <summary>resid_post[layer][position] = vector.</summary>
    public ReferenceInterventions ReplaceResidPost(int layer, int position, double[] vector)
    {
        _residual.Add((layer, position, vector, true));
        return this;
    }

    /// <summary>z[layer][position][head] = z, before W_O.</summary>
    public ReferenceInterventions ReplaceHeadZ(int layer, int head, int position, double[] z)
    {
        _headZ.Add((layer, head, position, z));
        return this;
    }

    internal void ApplyToResidPost(int layer, double[][] residual)
    {
        foreach (var (l, p, v, replace) in _residual.Where(e => e.Layer == layer))
            residual[p] = replace ? (double[])v.Clone() : RefMath.Add(residual[p], v);
    }

    // z: [pos][head][d_head]
    internal void ApplyToZ(int layer, double[][][] z)
    {
        foreach (var (_, h, p, value) in _headZ.Where(e => e.Layer == layer))
            z[p][h] = (double[])value.Clone();
    }
}
