namespace IclPs.Engine.TaskVectors;

/// <summary>How a task vector enters the residual stream (block output, resid_post) at the prediction position.</summary>
public enum TaskVectorInjection
{
    /// <summary>hidden += vector (function vectors, LTV).</summary>
    Add,
    /// <summary>hidden = vector (Hendel's task vector).</summary>
    Replace,
}
