namespace IclPs.Engine.TaskVectors;

/// <summary>The training loss of a regression task-vector problem on the query prediction.</summary>
public enum RegressionTaskLoss
{
    /// <summary>(prediction - y)^2.</summary>
    SquaredError,
    /// <summary>Huber: quadratic within delta of the target, linear beyond (the LTV authors' regression loss).</summary>
    Huber,
}
