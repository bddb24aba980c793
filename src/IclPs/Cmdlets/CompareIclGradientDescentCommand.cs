using System.Diagnostics;
using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Regression.GradientDescent;
using IclPs.Internal;

namespace IclPs.Cmdlets;

/// <summary>Trains one linear self-attention layer on linear regression and compares it with one step of gradient descent.</summary>
/// <remarks>
/// <para>
/// Von Oswald et al.'s single-layer experiment, asking whether a trained transformer learns in context by gradient
/// descent. It trains one linear self-attention layer (no softmax, the query not a key, free W_K, W_Q, W_V and P) with Adam
/// on noiseless linear tasks: N = -ContextPoints pairs and a query, x ~ U(-h, h)^d with h = -InputHalfWidth and
/// d = -Dimension, w ~ N(0, I). Then it tunes the learning rate of one gradient-descent step on the context exactly, on
/// -EvaluationSamples held-out queries, and compares the layer with that step there.
/// </para>
/// <para>
/// Writes one GradientDescentExperimentResult: Dimension, ContextPoints, InputHalfWidth, Steps, Samples, ModelHalfMse,
/// GdHalfMse and ZeroHalfMse (0.5 * mean squared error of the layer, of the GD step and of predicting 0),
/// GdLearningRate, FinalTrainingLoss, PredictionDifference (mean |yhat_TF - yhat_GD|), GradientDifference (mean norm of
/// the difference of their gradients with respect to the query) and GradientCosine (the mean cosine of those gradients).
/// A trained layer that does gradient descent has small differences and a cosine near 1. Progress shows the training loss.
/// </para>
/// </remarks>
/// <example>
/// <code>Compare-IclGradientDescent -Steps 100 -BatchSize 128 -EvaluationSamples 1000</code>
/// <para>
/// A quick run of the experiment: 100 Adam updates instead of the default 2000, compared on 1000 held-out queries.
/// </para>
/// </example>
/// <example>
/// <code>Compare-IclGradientDescent -Dimension 4 -ContextPoints 8 -Steps 50 -EvaluationSamples 500 -Seed 1 | Format-List ModelHalfMse, GdHalfMse, GradientCosine</code>
/// <para>Runs the comparison in 4 dimensions with 8 context pairs and shows the losses and the gradient alignment.</para>
/// </example>
/// <example>
/// <code>Compare-IclGradientDescent -Steps 0 -EvaluationSamples 500</code>
/// <para>The untrained layer, as a reference: its predictions are near 0 and its gradients unrelated to gradient descent's.</para>
/// </example>
[Cmdlet(VerbsData.Compare, "IclGradientDescent", HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#compare-iclgradientdescent")]
[OutputType(typeof(GradientDescentExperimentResult))]
public sealed class CompareIclGradientDescentCommand : IclPsCmdlet
{
    /// <summary>The input dimension d of the tasks, from 1 to 1024. Default: 10.</summary>
    [Parameter, ValidateRange(1, 1024)] public int Dimension { get; set; } = 10;
    /// <summary>N, the context pairs before the query, from 1 to 100000. Default: 10.</summary>
    [Parameter, ValidateRange(1, 100_000)] public int ContextPoints { get; set; } = 10;
    /// <summary>
    /// h of x ~ U(-h, h), from 0.000001 to 1000000. Default: 0.5, which reproduces the paper's reference losses (its text
    /// says U(-1, 1)).
    /// </summary>
    [Parameter, ValidateRange(1e-6, 1e6)] public double InputHalfWidth { get; set; } = 0.5;
    /// <summary>Adam updates of the layer, from 0 (the untrained layer) to 10000000. Default: 2000.</summary>
    [Parameter, ValidateRange(0, 10_000_000)] public int Steps { get; set; } = 2000;
    /// <summary>Tasks per training update, from 1 to 1000000. Default: 512.</summary>
    [Parameter, ValidateRange(1, 1_000_000)] public int BatchSize { get; set; } = 512;
    /// <summary>Adam's learning rate, from 1e-9 to 10. Default: 0.003.</summary>
    [Parameter, ValidateRange(1e-9, 10.0)] public double LearningRate { get; set; } = 3e-3;
    /// <summary>Seed of the initial weights and the training batches. Default: 0.</summary>
    [Parameter] public long Seed { get; set; }
    /// <summary>
    /// Held-out queries the GD learning rate is tuned on and the comparison averaged over, from 1 to 10000000. Default: 10000.
    /// </summary>
    [Parameter, ValidateRange(1, 10_000_000)] public int EvaluationSamples { get; set; } = 10_000;
    /// <summary>Seed of the held-out queries; keep it apart from -Seed's batches. Default: -1.</summary>
    [Parameter] public long EvaluationSeed { get; set; } = -1;
    /// <summary>
    /// Where the layer is trained: auto (CUDA when this build of IclPs and the machine have it, else the CPU), cpu or cuda.
    /// Default: auto.
    /// </summary>
    [Parameter, ValidateSet("auto", "cpu", "cuda", IgnoreCase = true)] public string Device { get; set; } = "auto";

    protected override void End()
    {
        var tasks = new VonOswaldTasks { Dimension = Dimension, ContextPoints = ContextPoints, InputHalfWidth = InputHalfWidth };
        var training = new LinearSelfAttentionTraining { Steps = Steps, BatchSize = BatchSize, LearningRate = LearningRate, Seed = Seed };
        WriteVerbose($"Training one linear self-attention layer: d = {Dimension}, N = {ContextPoints}, x ~ U(-{InputHalfWidth}, {InputHalfWidth}), " +
                     $"Adam lr {LearningRate}, {Steps} steps of {BatchSize}, seed {Seed}; evaluation on {EvaluationSamples} queries, seed {EvaluationSeed}.");
        var progress = StartProgress("Compare-IclGradientDescent: training the linear self-attention layer");
        var clock = Stopwatch.StartNew();
        try
        {
            // The trainer reports on this thread, so Write-Progress is called from the pipeline thread.
            var result = GradientDescentExperiment.Run(tasks, training, EvaluationSamples, EvaluationSeed, TorchSelection.Device(Device),
                new SynchronousProgress<(int Step, double Loss)>(p => progress.Report(p.Step, Steps, $"step {p.Step} of {Steps}, 0.5*MSE {p.Loss:0.0000}")), Cancellation);
            WriteVerbose($"Done in {clock.Elapsed.TotalSeconds:F1} s; final training loss {result.FinalTrainingLoss:0.0000}, tuned GD learning rate {result.GdLearningRate:0.###}.");
            WriteObject(result);
        }
        finally
        {
            progress.Complete();
        }
    }
}
