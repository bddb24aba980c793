namespace IclPs.Engine.TaskVectors;

/// <summary>The vector injected at block <paramref name="Layer"/>'s output (resid_post), d_model values.</summary>
public sealed record TaskVectorLayer(int Layer, float[] Values)
{
    /// <summary>Euclidean norm, in float64.</summary>
    public double Norm => Math.Sqrt(Values.Sum(v => (double)v * v));
}
