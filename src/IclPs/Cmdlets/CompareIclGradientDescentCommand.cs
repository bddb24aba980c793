using System.Diagnostics;
using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Regression.GradientDescent;
using IclPs.Internal;

namespace IclPs.Cmdlets;

/// <summary>
/// Compare-IclGradientDescent: von Oswald et al.'s single-layer experiment (methods.md section 3). Trains one linear
/// self-attention layer with Adam on noiseless linear tasks (x ~ U(-h, h)^d, w ~ N(0, I)), tunes one GD step's learning rate
/// on held-out queries and compares the two there: prediction and input-gradient differences, gradient cosine and the
/// 0.5*MSE of both and of predicting zero. One <see cref="GradientDescentExperimentResult"/>.
/// </summary>
[Cmdlet(VerbsData.Compare, "IclGradientDescent")]
[OutputType(typeof(GradientDescentExperimentResult))]
public sealed class CompareIclGradientDescentCommand : IclPsCmdlet
{
    [Parameter, ValidateRange(1, 1024)] public int Dimension { get; set; } = 10;
    /// <summary>N, the context pairs before the query.</summary>
    [Parameter, ValidateRange(1, 100_000)] public int ContextPoints { get; set; } = 10;
    /// <summary>h of x ~ U(-h, h); 0.5 reproduces the paper's reference losses, whose text says U(-1, 1).</summary>
    [Parameter, ValidateRange(1e-6, 1e6)] public double InputHalfWidth { get; set; } = 0.5;
    [Parameter, ValidateRange(0, 10_000_000)] public int Steps { get; set; } = 2000;
    [Parameter, ValidateRange(1, 1_000_000)] public int BatchSize { get; set; } = 512;
    [Parameter, ValidateRange(1e-9, 10.0)] public double LearningRate { get; set; } = 3e-3;
    /// <summary>Seed of the initial weights and the training batches.</summary>
    [Parameter] public long Seed { get; set; }
    [Parameter, ValidateRange(1, 10_000_000)] public int EvaluationSamples { get; set; } = 10_000;
    /// <summary>Seed of the held-out queries; keep it apart from -Seed's batches.</summary>
    [Parameter] public long EvaluationSeed { get; set; } = -1;
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
