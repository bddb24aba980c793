using System.Globalization;
using IclPs.Engine.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Runs;

/// <summary>
/// Training batches from a regression task family: tokens as <see cref="RegressionTokens.Encode"/> lays them out, zero-padded
/// on the right to <see cref="InputWidth"/> channels (Garg et al.'s curriculum trains small dimensions in a wide read-in);
/// targets y_k at the x_k positions, scored there only. Batches are float32 on the CPU; the trainer moves them.
/// </summary>
public sealed class RegressionBatchSource : IBatchSource
{
    /// <param name="inputWidth">The model's read-in width d_in; at least D + 1.</param>
    public RegressionBatchSource(IRegressionTaskFamily family, int points, int inputWidth)
    {
        ArgumentNullException.ThrowIfNull(family);
        RegressionChecks.AtLeast("Points", points, 1);
        if (inputWidth < family.Dimension + 1)
            throw new IclPsException(RegressionRunErrorIds.ModelTooSmall, IclErrorKind.InvalidArgument,
                $"D = {family.Dimension} needs a read-in of at least {family.Dimension + 1} channels; the model has {inputWidth}.", inputWidth);
        (Family, Points, InputWidth) = (family, points, inputWidth);
        Description = string.Create(CultureInfo.InvariantCulture,
            $"regression {Describe(family)} K={points} inputs={family.Inputs.Covariance}{(family.Inputs.OrthogonalQuery ? "+orthogonal-query" : "")} width={inputWidth}");
    }

    public IRegressionTaskFamily Family { get; }
    public int Points { get; }
    public int InputWidth { get; }
    public string Description { get; }

    public TrainingBatch Next(int step, int batchSize, Generator generator)
    {
        using var scope = NewDisposeScope();
        // The family draws from a seed, so the step's generator supplies one: the batch is a function of (seed, step) alone.
        var seed = randint(long.MaxValue, new long[] { 1 }, ScalarType.Int64, generator: generator).item<long>();
        using var batch = Family.Sample(batchSize, Points, seed);
        var tokens = Pad(batch.Tokens(), InputWidth);
        var positions = 2L * Points;
        var targets = stack(new[] { batch.Y, zeros_like(batch.Y) }, 2).reshape(batchSize, positions);
        var mask = stack(new[] { ones_like(batch.Y), zeros_like(batch.Y) }, 2).reshape(batchSize, positions);
        return new TrainingBatch(tokens.MoveToOuterDisposeScope(), targets.MoveToOuterDisposeScope(), mask.MoveToOuterDisposeScope());
    }

    /// <summary>Tokens [b, t, D+1] -> [b, t, width], zeros in the extra channels.</summary>
    internal static Tensor Pad(Tensor tokens, long width)
    {
        var extra = width - tokens.shape[2];
        return extra == 0 ? tokens : nn.functional.pad(tokens, new[] { 0L, extra });
    }

    private static string Describe(IRegressionTaskFamily family) => family switch
    {
        LinearTaskFamily l => string.Create(CultureInfo.InvariantCulture,
            $"linear D={l.Dimension} noise={l.NoiseVariance:R} M={(l.PoolSize is { } m ? m.ToString(CultureInfo.InvariantCulture) : "fresh")} taskSeed={l.TaskSeed}"),
        SparseLinearTaskFamily s => string.Create(CultureInfo.InvariantCulture, $"sparse-linear D={s.Dimension} s={s.Sparsity} noise={s.NoiseVariance:R}"),
        DecisionTreeTaskFamily t => string.Create(CultureInfo.InvariantCulture, $"decision-tree D={t.Dimension} depth={t.Depth} noise={t.NoiseVariance:R}"),
        ReluNetTaskFamily r => string.Create(CultureInfo.InvariantCulture, $"relu-net D={r.Dimension} hidden={r.Hidden} noise={r.NoiseVariance:R}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{family.Name} D={family.Dimension} noise={family.NoiseVariance:R}"),
    };
}
