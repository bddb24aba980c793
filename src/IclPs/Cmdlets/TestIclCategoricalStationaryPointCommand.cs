using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Regression.Categorical;
using IclPs.Internal;

namespace IclPs.Cmdlets;

/// <summary>Tests whether a trained GD model is a stationary point of the trained transformer's loss.</summary>
/// <remarks>
/// <para>
/// The paper's claim (docs/science.md §4): the GD construction is a stationary point of the loss of the transformer with
/// every projection free. This writes the GD model's parameters into the transformer's parametrisation (the authors' erase
/// head; a GD model trained with the exact eraser is accepted only at one layer, where the two erasers agree), then, in
/// float64 on -EvaluationContexts held-out contexts: computes the gradient of the mean cross-entropy with respect to every
/// transformer weight; compares its norm with the sampling-noise floor ||g_A - g_B|| / 2 from two disjoint halves of the
/// set; repeats the gradient after random N(0, s^2) perturbations of every weight for each s in -Perturbation (near a
/// minimum it grows with s); and continues training the transformer from the construction for -ContinueSteps AdamW
/// updates, reporting whether the loss on the same contexts falls by more than two standard errors.
/// </para>
/// <para>
/// Writes one CategoricalStationaryPointResult: Loss, GradientNorm, HalfAGradientNorm, HalfBGradientNorm, NoiseFloor,
/// GradientOverNoise, Parts (the gradient and noise floor per weight), Perturbations (loss and gradient norm per size and
/// direction), GrowsWithPerturbation, LossAfterTraining, LossDrop, LossDropStandardError, GradientWithinNoise,
/// LossFallsBeyondNoise, Stationary and a Verdict sentence with the numbers.
/// </para>
/// </remarks>
/// <example>
/// <code>Start-IclCategoricalTraining -Layers 1 -TrainContexts 256 -ValidationContexts 128 -BatchSize 64 -Steps 30 -PassThru | Select-Object -Last 1 | Test-IclCategoricalStationaryPoint -EvaluationContexts 512 -Directions 1 -ContinueSteps 5 -TrainContexts 256 -BatchSize 64</code>
/// <para>A quick check on a barely trained one-layer GD model; read the Verdict line.</para>
/// </example>
[Cmdlet(VerbsDiagnostic.Test, "IclCategoricalStationaryPoint", DefaultParameterSetName = ModelSet, HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#test-iclcategoricalstationarypoint")]
[OutputType(typeof(CategoricalStationaryPointResult))]
public sealed class TestIclCategoricalStationaryPointCommand : IclPsCmdlet
{
    private const string ModelSet = "Model";
    private const string PathSet = "Path";

    /// <summary>A trained GD model (Start-IclCategoricalTraining -PassThru).</summary>
    [Parameter(ParameterSetName = ModelSet, Mandatory = true, ValueFromPipeline = true, Position = 0)]
    public CategoricalModel? Model { get; set; }

    /// <summary>A GD run folder (or checkpoint folder) of Start-IclCategoricalTraining -Path; its best weights are used.</summary>
    [Parameter(ParameterSetName = PathSet, Mandatory = true), ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Held-out contexts for the loss and its gradient, split in two halves for the noise floor; from 2 to 10000000. Default: 8192.</summary>
    [Parameter, ValidateRange(2, 10_000_000)] public int EvaluationContexts { get; set; } = 8192;
    /// <summary>Standard deviations of the random weight perturbations, each from 1e-12 to 1e3. Default: 0.001, 0.01, 0.1.</summary>
    [Parameter, ValidateRange(1e-12, 1e3)] public double[] Perturbation { get; set; } = [1e-3, 1e-2, 1e-1];
    /// <summary>Random directions per perturbation size, from 1 to 10000. Default: 2.</summary>
    [Parameter, ValidateRange(1, 10_000)] public int Directions { get; set; } = 2;
    /// <summary>AdamW updates of continued training from the construction, 0 or more; 0 skips it. Default: 200.</summary>
    [Parameter, ValidateRange(0, int.MaxValue)] public int ContinueSteps { get; set; } = 200;
    /// <summary>The continued training's learning rate, from 1e-12 to 1e6. Default: 0.001 (the authors').</summary>
    [Parameter, ValidateRange(1e-12, 1e6)] public double LearningRate { get; set; } = 1e-3;
    /// <summary>The continued training's batch size, from 1 to 10000000. Default: 512.</summary>
    [Parameter, ValidateRange(1, 10_000_000)] public int BatchSize { get; set; } = 512;
    /// <summary>The continued training's training-set size, from 1 to 10000000; by default the GD model's.</summary>
    [Parameter, ValidateRange(1, 10_000_000)] public int? TrainContexts { get; set; }
    /// <summary>The gradient counts as zero at most this many noise floors, from 1e-6 to 1e6. Default: 2.</summary>
    [Parameter, ValidateRange(1e-6, 1e6)] public double NoiseMultiple { get; set; } = 2;
    /// <summary>Seed of the perturbation directions and the continued training's minibatches. Default: 0.</summary>
    [Parameter] public long Seed { get; set; }

    protected override void Process()
    {
        var model = Model ?? CategoricalCheckpoint.LoadModel(ResolveFilePath(Path!), device: TorchSelection.Device("cpu"));
        try
        {
            if (model.Network is not CategoricalGdModel gd)
                throw new IclPsException(CategoricalErrorIds.ModelKindMismatch, IclErrorKind.InvalidArgument,
                    $"The stationary-point check starts from a GD model; '{model.Name}' is a {model.Kind}.", model.Kind.ToString());
            var options = new CategoricalStationaryOptions
            {
                EvaluationContexts = EvaluationContexts, Perturbations = Perturbation, Directions = Directions, ContinueSteps = ContinueSteps,
                ContinueLearningRate = LearningRate, BatchSize = BatchSize, TrainContexts = TrainContexts ?? Math.Max(1, model.TrainContexts), Seed = Seed,
                NoiseMultiple = NoiseMultiple,
            };
            using var tasks = new CategoricalTasks(model.Task);
            var progress = StartProgress($"Stationary-point check of {model.Name}");
            try
            {
                var step = 0;
                var total = 2 + Perturbation.Length * Directions + (ContinueSteps > 0 ? 1 : 0);
                var result = CategoricalStationaryPoint.Run(tasks, gd, model.Name, options,
                    new SynchronousProgress<string>(s => progress.Report(Math.Min(step++, total), total, s)), Cancellation);
                WriteVerbose(result.Verdict);
                WriteObject(result);
            }
            finally
            {
                progress.Complete();
            }
        }
        finally
        {
            if (Model is null) model.Dispose();
        }
    }
}
