using IclPs.Engine.Regression.Baselines;

namespace IclPs.Engine.Regression.Evaluation;

/// <summary>How <see cref="RegressionEvaluator"/> measures: how many sequences per task source, in what batches, from which seed, against which baselines.</summary>
public sealed record RegressionEvaluationOptions
{
    /// <summary>Sequences drawn per task source; the data depend on this and <see cref="Seed"/>, never on <see cref="BatchSize"/>.</summary>
    public int Samples { get; init; } = 1000;
    /// <summary>Sequences per model forward pass and baseline computation (bounds memory only).</summary>
    public int BatchSize { get; init; } = 250;
    public long Seed { get; init; }
    public IReadOnlyList<IRegressionBaseline> Baselines { get; init; } = [];
    /// <summary>Which of <see cref="RegressionTaskSource"/>'s distributions to draw from, in this order.</summary>
    public IReadOnlyList<string> Sources { get; init; } = [RegressionTaskSource.Pretrain, RegressionTaskSource.Fresh];

    internal void Validate()
    {
        RegressionChecks.AtLeast("Samples", Samples, 1);
        RegressionChecks.AtLeast("BatchSize", BatchSize, 1);
        foreach (var source in Sources)
        {
            if (source is not (RegressionTaskSource.Pretrain or RegressionTaskSource.Fresh))
                throw new IclPsException(RegressionErrorIds.InvalidOption, IclErrorKind.InvalidArgument,
                    $"Task source '{source}' is not '{RegressionTaskSource.Pretrain}' or '{RegressionTaskSource.Fresh}'.", source);
        }
    }
}
