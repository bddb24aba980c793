namespace IclPs.Engine.Regression.Evaluation;

/// <summary>The task distributions an evaluation draws from (docs/science.md §2).</summary>
public static class RegressionTaskSource
{
    /// <summary>The training distribution: tasks from the pool (fresh tasks when the family has none), fresh x and noise.</summary>
    public const string Pretrain = "pretrain";
    /// <summary>"True" tasks: a fresh w ~ N(0, I_D) per sequence whatever the pool (non-linear families: their own fresh draws).</summary>
    public const string Fresh = "fresh";
}
