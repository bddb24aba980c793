namespace IclPs.Engine.TaskVectors;

/// <summary>
/// One attention head's part in a task vector: LTV's theta_{l,h}, or 1 for a head a function vector sums.
/// <paramref name="MeanActivation"/> is the mean hook_z (d_head values) the head contributes through W_O; null for live activations.
/// </summary>
public sealed record TaskVectorHead(int Layer, int Head, double Weight, float[]? MeanActivation = null);
