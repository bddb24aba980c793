using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Regression.Baselines;
using TorchSharp;
using static TorchSharp.torch;

namespace IclPs.Engine.Regression.Evaluation;

/// <summary>
/// Error-per-position curves of models and baselines (docs/science.md §2): for each task source, <see
/// cref="RegressionEvaluationOptions.Samples"/> sequences drawn once from the seed, every predictor's error per position
/// divided by D, and Delta(model, baseline) per position and averaged over positions. Sums run in float64 over batches,
/// so the batch size changes memory, not results (beyond float rounding of the model's forward pass).
/// </summary>
public sealed class RegressionEvaluator
{
    /// <summary>The <see cref="RegressionErrorRow.Method"/> of a model's own rows, whatever predictor stands in for it.</summary>
    public const string ModelMethod = "model";

    public RegressionEvaluator(IRegressionTaskFamily family, int points, RegressionEvaluationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(family);
        RegressionChecks.AtLeast("Points", points, 1);
        options ??= new RegressionEvaluationOptions();
        options.Validate();
        (Family, Points, Options) = (family, points, options);
    }

    public IRegressionTaskFamily Family { get; }
    public int Points { get; }
    public RegressionEvaluationOptions Options { get; }

    /// <summary>Evaluates one regression network under <paramref name="name"/>.</summary>
    public RegressionEvaluationResult Evaluate(string name, RegressionModel model, CancellationToken cancellationToken = default) =>
        Evaluate([(name, new RegressionModelPredictor(model, Options.BatchSize))], cancellationToken);

    /// <summary>
    /// Evaluates each named predictor (a model, or anything with the baseline contract) against the options' baselines.
    /// Rows come per model, source, position and method (the model first as "model", then the baselines in order).
    /// </summary>
    public RegressionEvaluationResult Evaluate(IReadOnlyList<(string Name, IRegressionBaseline Predictor)> models, CancellationToken cancellationToken = default)
    {
        var rows = new List<RegressionErrorRow>();
        var summaries = new List<RegressionSummary>();
        var baselines = Options.Baselines;
        var d = Family.Dimension;
        for (var s = 0; s < Options.Sources.Count; s++)
        {
            var source = Options.Sources[s];
            // Sums over sequences, per position: each model's and baseline's squared error, each (model, baseline) squared difference.
            var modelError = models.Select(_ => new double[Points]).ToArray();
            var baselineError = baselines.Select(_ => new double[Points]).ToArray();
            var delta = models.Select(_ => baselines.Select(_ => new double[Points]).ToArray()).ToArray();
            var (ridge, dmmse) = (Find<RidgeBaseline>(baselines), Find<DmmseBaseline>(baselines));
            var ridgeDmmse = ridge is not null && dmmse is not null ? new double[Points] : null;
            using (var scope = NewDisposeScope())
            using (var batch = Draw(source, StreamSeed(source)))
            {
                for (long start = 0; start < Options.Samples; start += Options.BatchSize)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var chunkScope = NewDisposeScope();
                    var len = Math.Min(Options.BatchSize, Options.Samples - start);
                    var (x, y) = (batch.X.narrow(0, start, len), batch.Y.narrow(0, start, len));
                    var baselinePredictions = baselines.Select(b => b.Predict(x, y)).ToArray();
                    for (var b = 0; b < baselines.Count; b++) Accumulate(baselineError[b], baselinePredictions[b], y);
                    if (ridgeDmmse is not null) Accumulate(ridgeDmmse, baselinePredictions[ridge!.Value], baselinePredictions[dmmse!.Value]);
                    for (var m = 0; m < models.Count; m++)
                    {
                        var prediction = models[m].Predictor.Predict(x, y);
                        Accumulate(modelError[m], prediction, y);
                        for (var b = 0; b < baselines.Count; b++) Accumulate(delta[m][b], prediction, baselinePredictions[b]);
                    }
                }
            }
            var scale = 1.0 / ((double)Options.Samples * d);
            foreach (var sums in modelError.Concat(baselineError).Concat(delta.SelectMany(x => x))) Scale(sums, scale);
            if (ridgeDmmse is not null) Scale(ridgeDmmse, scale);

            for (var m = 0; m < models.Count; m++)
            {
                var name = models[m].Name;
                for (var k = 0; k < Points; k++)
                {
                    rows.Add(new RegressionErrorRow(name, source, k + 1, ModelMethod, modelError[m][k], null));
                    for (var b = 0; b < baselines.Count; b++)
                        rows.Add(new RegressionErrorRow(name, source, k + 1, baselines[b].Name, baselineError[b][k], delta[m][b][k]));
                }
                double? DeltaOf<T>() => Find<T>(baselines) is { } i ? delta[m][i].Average() : null;
                double? ErrorOf<T>() => Find<T>(baselines) is { } i ? baselineError[i].Average() : null;
                summaries.Add(new RegressionSummary(name, source, Options.Samples, d, Points, modelError[m].Average(),
                    DeltaOf<RidgeBaseline>(), DeltaOf<DmmseBaseline>(), DeltaOf<LeastSquaresBaseline>(), DeltaOf<NearestNeighboursBaseline>(),
                    DeltaOf<AveragingBaseline>(), DeltaOf<LassoBaseline>(), ErrorOf<RidgeBaseline>(), ErrorOf<DmmseBaseline>(), ridgeDmmse?.Average()));
            }
        }
        return new RegressionEvaluationResult(rows, summaries);
    }

    /// <summary>The evaluation sequences of <paramref name="source"/> (float64, CPU): the same for every call with these options.</summary>
    public RegressionBatch Draw(string source) => Draw(source, StreamSeed(source));

    private RegressionBatch Draw(string source, long seed) => source == RegressionTaskSource.Fresh && Family is LinearTaskFamily linear
        ? linear.SampleFresh(Options.Samples, Points, seed, ScalarType.Float64)
        : Family.Sample(Options.Samples, Points, seed, ScalarType.Float64);

    // Distinct streams, so "fresh" sequences of a pool-free family are not the "pretrain" ones again.
    private long StreamSeed(string source) =>
        (long)new SeededRandom(Options.Seed, source == RegressionTaskSource.Pretrain ? 1 : 2).NextUInt64();

    private static void Accumulate(double[] sums, Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var perPosition = (a.to(ScalarType.Float64) - b.to(ScalarType.Float64, a.device)).square().sum(new long[] { 0 }).cpu().data<double>().ToArray();
        for (var k = 0; k < sums.Length; k++) sums[k] += perPosition[k];
    }

    private static void Scale(double[] sums, double factor)
    {
        for (var k = 0; k < sums.Length; k++) sums[k] *= factor;
    }

    private static int? Find<T>(IReadOnlyList<IRegressionBaseline> baselines)
    {
        for (var i = 0; i < baselines.Count; i++) if (baselines[i] is T) return i;
        return null;
    }
}
