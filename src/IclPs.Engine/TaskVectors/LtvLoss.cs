namespace IclPs.Engine.TaskVectors;

/// <summary>The loss an LTV is trained and early-stopped on.</summary>
public enum LtvLoss
{
    /// <summary>The problem's own per-prompt loss (<see cref="TaskVectorProblem.Loss"/>): cross-entropy of the first answer token, or squared error.</summary>
    Task,
    /// <summary>
    /// Huber loss of the query prediction (0.5 e^2 for |e| &lt;= delta, else delta (|e| - delta/2)), as the authors' regression code
    /// trains (<c>F.huber_loss</c>, delta 1); only for problems whose output is one number per prompt.
    /// </summary>
    Huber,
}
