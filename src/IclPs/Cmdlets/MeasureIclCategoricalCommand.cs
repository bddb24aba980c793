using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Regression.Categorical;
using IclPs.Internal;

namespace IclPs.Cmdlets;

/// <summary>Scores categorical in-context-learning models, and the Bayes-optimal predictor, on held-out contexts.</summary>
/// <remarks>
/// <para>
/// Evaluates GD models and trained transformers from Start-IclCategoricalTraining (piped with -PassThru, or read with -Path
/// from a run folder's newest checkpoint, whose best validation weights are used) on -EvaluationContexts contexts of the
/// data each model was trained on: by default the first contexts of the data's evaluation set, which no training or
/// validation set shares. Writes one CategoricalEvaluation per model: Model (Gd or Transformer), Name, Layers, Kernel,
/// Eraser, Contexts (the training-set size), Seed, Accuracy, Nll (mean negative log-likelihood of the query label, nats),
/// N (context points), Samples, OtherTokenShare, BestStep and Steps.
/// </para>
/// <para>
/// -Bayes adds one row per distinct data setting for the Bayes-optimal predictor, argmax_c p(c | x_q) with the generator's
/// true probabilities: a ceiling no in-context learner can pass on average (it knows the context's hidden centres). Chance
/// is 1/C accuracy and ln C NLL. -Eraser re-scores GD models with the other eraser on the same weights; OtherTokenShare is
/// then, for the authors' eraser, the share of context tokens whose erase head picks another token than itself.
/// </para>
/// </remarks>
/// <example>
/// <code>Start-IclCategoricalTraining -Layers 1 -TrainContexts 256 -ValidationContexts 128 -BatchSize 64 -Steps 20 -PassThru | Select-Object -Last 1 | Measure-IclCategorical -EvaluationContexts 512 -Bayes</code>
/// <para>Trains a small GD model and scores it and the Bayes-optimal predictor on 512 evaluation contexts.</para>
/// </example>
/// <example>
/// <code>$m = Start-IclCategoricalTraining -Layers 2 -TrainContexts 256 -ValidationContexts 128 -BatchSize 64 -Steps 20 -PassThru | Select-Object -Last 1; 'Exact', 'Authors' | ForEach-Object { Measure-IclCategorical -Model $m -Eraser $_ -EvaluationContexts 512 }</code>
/// <para>The same GD weights scored with the exact eraser and with the authors' head, with how often the latter erases another token.</para>
/// </example>
[Cmdlet(VerbsDiagnostic.Measure, "IclCategorical", DefaultParameterSetName = ModelSet, HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#measure-iclcategorical")]
[OutputType(typeof(CategoricalEvaluation))]
public sealed class MeasureIclCategoricalCommand : IclPsCmdlet
{
    private const string ModelSet = "Model";
    private const string PathSet = "Path";
    private readonly HashSet<string> _bayesDone = [];

    /// <summary>Models to score (CategoricalModel objects, e.g. from Start-IclCategoricalTraining -PassThru).</summary>
    [Parameter(ParameterSetName = ModelSet, Mandatory = true, ValueFromPipeline = true, Position = 0)]
    public CategoricalModel[] Model { get; set; } = [];

    /// <summary>Run folders (or checkpoint folders) of Start-IclCategoricalTraining -Path; the newest checkpoint's best weights are scored.</summary>
    [Parameter(ParameterSetName = PathSet, Mandatory = true), ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>Contexts scored, from 1 to 10000000. Default: 4096.</summary>
    [Parameter, ValidateRange(1, 10_000_000)] public int EvaluationContexts { get; set; } = 4096;
    /// <summary>The evaluation contexts' seed; by default the data's evaluation set.</summary>
    [Parameter] public long? EvaluationSeed { get; set; }
    /// <summary>Also write the Bayes-optimal predictor's row for each distinct data setting.</summary>
    [Parameter] public SwitchParameter Bayes { get; set; }
    /// <summary>Score GD models with this eraser (Exact or Authors) instead of the one they were trained with.</summary>
    [Parameter, ArgumentCompleter(typeof(CategoricalCompleter))] public string? Eraser { get; set; }
    /// <summary>auto, cpu or cuda, for models read with -Path. Default: auto.</summary>
    [Parameter, ValidateSet("auto", "cpu", "cuda", IgnoreCase = true)] public string Device { get; set; } = "auto";

    protected override void Process()
    {
        CategoricalTaskSettings.AtLeast(nameof(EvaluationContexts), EvaluationContexts, 1);
        CategoricalEraser? eraser = Eraser is null ? null : CategoricalChoices.Eraser(Eraser);
        if (ParameterSetName == PathSet)
        {
            foreach (var path in Path)
            {
                using var model = CategoricalCheckpoint.LoadModel(ResolveFilePath(path), device: TorchSelection.Device(Device));
                Measure(model, eraser);
            }
        }
        else
        {
            foreach (var model in Model) Measure(model, eraser);
        }
    }

    private void Measure(CategoricalModel model, CategoricalEraser? eraser)
    {
        UseThreadsFor(model.ParameterCount);
        using var tasks = new CategoricalTasks(model.Task);
        var seed = EvaluationSeed ?? tasks.SplitSeed(CategoricalDataSplit.Evaluation);
        using var data = tasks.Sample(EvaluationContexts, seed);
        var network = model.Network;
        CategoricalAttentionModel? swapped = null;
        if (eraser is { } e && e != network.Config.Eraser)
        {
            if (model.Kind != CategoricalModelKind.Gd)
                throw new IclPsException(CategoricalErrorIds.UnknownEraser, IclErrorKind.InvalidArgument,
                    $"-Eraser applies to GD models; '{model.Name}' is a {model.Kind} with a learned erase head.", Eraser);
            swapped = CategoricalAttentionModel.Create(network.Config with { Eraser = e }, 0, network.DType, network.Embedding.device);
            swapped.LoadWeights(network.Weights());
            network = swapped;
        }
        try
        {
            using var onDevice = data.To(network.DType, network.Embedding.device);
            var score = CategoricalEvaluator.Score(network, onDevice, cancellationToken: Cancellation);
            var config = network.Config;
            WriteObject(new CategoricalEvaluation
            {
                Model = config.Kind.ToString(), Name = model.Name, Layers = config.Layers, Kernel = config.Kernel.ToString(), Eraser = config.Eraser.ToString(),
                Contexts = model.TrainContexts, Seed = model.Seed, Accuracy = score.Accuracy, Nll = score.Nll, N = model.ContextPoints, Samples = score.Samples,
                OtherTokenShare = config.Eraser == CategoricalEraser.Authors ? CategoricalKernels.OtherTokenShare(data.X) : double.NaN,
                BestStep = model.BestStep, Steps = model.Steps,
            });
        }
        finally
        {
            swapped?.Dispose();
        }
        if (Bayes && _bayesDone.Add($"{model.Task}|{seed}|{EvaluationContexts}"))
        {
            var bayes = CategoricalEvaluator.Bayes(data);
            WriteVerbose($"Bayes-optimal expected accuracy on these contexts: {CategoricalEvaluator.BayesExpectedAccuracy(data):0.0000}; chance {1.0 / model.Task.Categories:0.0000}.");
            WriteObject(new CategoricalEvaluation
            {
                Model = "Bayes", Name = "bayes", Layers = 0, Kernel = "", Eraser = "", Contexts = 0, Seed = model.Task.DataSeed,
                Accuracy = bayes.Accuracy, Nll = bayes.Nll, N = model.ContextPoints, Samples = bayes.Samples, OtherTokenShare = double.NaN, BestStep = 0, Steps = 0,
            });
        }
    }
}
