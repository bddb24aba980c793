using System.Diagnostics;
using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.TaskVectors;

namespace IclPs.Cmdlets;

/// <summary>Builds a task vector from a task's demonstrations on a frozen model: a learnable task vector, a function vector or Hendel's task vector.</summary>
/// <remarks>
/// <para>
/// A task vector is a compact representation of the task that demonstrations show, which can stand in for them: injected
/// into the residual stream at the query's last token of a zero-shot prompt, it makes the model do the task. The model's
/// weights never change. Three methods (see about_IclPs_TaskVectors):
/// </para>
/// <para>
/// -Method Ltv (the default): Saglam et al.'s learnable task vector. One weight theta[l,h] per attention head is trained
/// with Adam so that v_l = sum_h theta[l,h] a[l,h] W_O[h], added to every block's output at the prediction position, does
/// the task on -Setting prompts (text default: zero-shot); a[l,h] is the head's mean output over clean prompts (-ActivationSource
/// Mean, the text default) or the prompt's own (Live, the regression default). Training stops early on the validation
/// prompts (-MaxEpochs, -Patience) and keeps the best theta; the initial theta counts, so when no epoch beats it (a short
/// run) the vector is that initial theta (all zero by default, changing nothing) and a warning says so.
/// </para>
/// <para>
/// -Method FunctionVector: Todd et al.'s function vector, the sum of the mean outputs (through W_O) of the -TopK heads with
/// the largest causal indirect effect (as Measure-HeadEffect measures it), added to one block's output (-Layer, default a
/// third of the depth). -Method TaskVector: Hendel et al.'s task vector, the mean last-token block output over dummy-query
/// prompts, which replaces the hidden state of one layer: the one that does best on the validation prompts, or -Layer.
/// </para>
/// <para>
/// Text models take -Model and -Dataset (demonstrations and training queries from Train, validation from Valid) and the
/// prompt format parameters; regression models take -RegressionModel and draw prompts from its linear task family, which
/// -Covariance, -NoiseVariance and -OrthogonalQuery can shift. Writes one TaskVector: Method, ModelName, Shape, Injection
/// (Add or Replace), Vectors (per-layer vectors with their norms), Heads (with weights), and Provenance (seed, prompt
/// counts, settings and the LTV's training curve). It pipes into Invoke-IclPrompt -TaskVector, Measure-HiddenSimilarity
/// -TaskVector and Export-TaskVector. -Verbose reports each stage and the LTV's epochs.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $model = New-IclModel -Preset gpt2-tiny
/// $data = Import-IclDataset (Join-Path (Get-Module IclPs).ModuleBase 'data/function-vectors/antonym.json')
/// $ltv = New-TaskVector -Model $model -Dataset $data -Method Ltv -Prompts 8 -TrainPrompts 32 -ValidationPrompts 8 -MaxEpochs 3
/// $ltv.Heads | Select-Object -First 4
/// Invoke-IclPrompt -Model $model -Dataset $data -Shots 0 -First 5 -TaskVector $ltv
/// </code>
/// <para>
/// Trains a small learnable task vector for the antonym task (3 epochs on 32 zero-shot training prompts), shows the first
/// head weights and injects it into zero-shot prompts.
/// </para>
/// </example>
/// <example>
/// <code>
/// $model = New-IclModel -Preset gpt2-tiny
/// $data = Import-IclDataset (Join-Path (Get-Module IclPs).ModuleBase 'data/function-vectors/antonym.json')
/// New-TaskVector $model $data -Method FunctionVector -Shots 3 -Prompts 10 -EffectPrompts 5 -TopK 3 -Layer 1
/// </code>
/// <para>Builds a function vector from the 3 heads with the largest causal indirect effect, to be added to block 1.</para>
/// </example>
/// <example>
/// <code>
/// $model = New-IclModel -Preset gpt2-tiny
/// $data = Import-IclDataset (Join-Path (Get-Module IclPs).ModuleBase 'data/function-vectors/antonym.json')
/// $vector = New-TaskVector $model $data -Method TaskVector -Shots 3 -Prompts 4 -ValidationPrompts 8
/// $vector.Vectors
/// </code>
/// <para>Builds Hendel's task vector and shows the layer chosen on the validation prompts and its norm.</para>
/// </example>
/// <example>
/// <code>
/// $model = New-IclModel -Preset gpt2-tiny
/// $data = Import-IclDataset (Join-Path (Get-Module IclPs).ModuleBase 'data/function-vectors/antonym.json')
/// $query = $data.Test.Items[0]
/// $shown = $data.Train.Items | Select-Object -First 5
/// $vector = New-TaskVector $model $data -Method TaskVector -Demonstrations $shown -Prompts 2 -Shots 5 -ValidationPrompts 8
/// [pscustomobject]@{ Input = $query.Input; Output = $query.Output } | Invoke-IclPrompt -Model $model -Dataset $data -Shots 0 -TaskVector $vector
/// </code>
/// <para>
/// Hendel's per-example protocol: the vector of one query's own five demonstrations (two dummy-query prompts), injected
/// into that query's zero-shot prompt.
/// </para>
/// </example>
/// <example>
/// <code>Get-IclModel linear-d8 -Load | New-TaskVector -Method Ltv -NoiseVariance 1 -TrainPrompts 32 -ValidationPrompts 16 -MaxEpochs 2 -Loss Huber</code>
/// <para>
/// Trains a learnable task vector for the shipped regression model on noisier targets than it was trained on, with a
/// Huber loss; its prompts have the model's training length (15 examples and a query).
/// </para>
/// </example>
[Cmdlet(VerbsCommon.New, "TaskVector", DefaultParameterSetName = TextSet, HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#new-taskvector")]
[OutputType(typeof(TaskVector))]
public sealed class NewTaskVectorCommand : TaskVectorCmdlet
{
    /// <summary>
    /// The method: Ltv (learnable task vector, Saglam et al.), FunctionVector (Todd et al.) or TaskVector (Hendel et al.).
    /// Default: Ltv.
    /// </summary>
    [Parameter]
    public TaskVectorMethod Method { get; set; } = TaskVectorMethod.Ltv;

    /// <summary>
    /// Demonstrations per prompt, at least 1: TaskVector's dummy-query prompts, FunctionVector's clean and shuffled-label
    /// prompts (at least 2 of the latter), or the LTV's training prompts (unused when they are zero-shot).
    /// </summary>
    /// <value>5 (TaskVector, Ltv) or 10 (FunctionVector); for regression models, the model's training length minus the query</value>
    [Parameter, ValidateRange(1, int.MaxValue)]
    public int? Shots { get; set; }

    /// <summary>
    /// Prompts the vector is built from, at least 1: the dummy-query prompts whose block outputs TaskVector averages, or the
    /// clean prompts the mean head activations of FunctionVector and Ltv are taken over (unused with live activations).
    /// </summary>
    /// <value>2 (TaskVector) or 100 (FunctionVector, Ltv)</value>
    [Parameter, ValidateRange(1, int.MaxValue)]
    public int? Prompts { get; set; }

    /// <summary>
    /// Validation prompts, at least 1, from the Valid part of the dataset: the zero-shot prompts that choose TaskVector's layer,
    /// or those that stop the LTV's training. FunctionVector does not use them.
    /// </summary>
    /// <value>25 (TaskVector) or 128 (Ltv)</value>
    [Parameter, ValidateRange(1, int.MaxValue)]
    public int? ValidationPrompts { get; set; }

    /// <summary>
    /// The layer (0 to layers - 1) whose block output receives the vector: for TaskVector instead of the best layer on the
    /// validation prompts, for FunctionVector instead of a third of the depth (rounded). Ltv injects at every layer and
    /// ignores it.
    /// </summary>
    [Parameter, ValidateRange(0, int.MaxValue)]
    public int? Layer { get; set; }

    /// <summary>
    /// TaskVector on a text model: Hendel et al.'s per-example vector, built from exactly these demonstrations (objects with
    /// Input and Output, e.g. one test query's), each dummy-query prompt showing all of them in this order with a different
    /// dummy query from the Train part outside them (-Prompts of them; the paper uses 2). Without -Layer, the layer is the
    /// best on -ValidationPrompts validation queries that each receive the vector of -Shots demonstrations of their own.
    /// Without -Demonstrations, TaskVector averages -Prompts prompts whose demonstrations are drawn per prompt (one vector
    /// per task).
    /// </summary>
    [Parameter(ParameterSetName = TextSet), ValidateNotNullOrEmpty]
    public object[]? Demonstrations { get; set; }

    /// <summary>
    /// FunctionVector: how many heads, those with the largest causal indirect effect, are summed into the vector; at least 1,
    /// at most layers x heads take part. Default: 10.
    /// </summary>
    [Parameter, ValidateRange(1, int.MaxValue)]
    public int TopK { get; set; } = 10;

    /// <summary>
    /// FunctionVector: the shuffled-label prompts each head's causal indirect effect is averaged over, at least 1. Default: 25.
    /// </summary>
    [Parameter, ValidateRange(1, int.MaxValue)]
    public int EffectPrompts { get; set; } = 25;

    /// <summary>
    /// Ltv: the prompts theta is trained on: ZeroShot (the query alone), Clean (-Shots demonstrations), ShuffledLabels
    /// (demonstrations with their outputs permuted) or DummyQuery.
    /// </summary>
    /// <value>ZeroShot for text models, Clean for regression models</value>
    [Parameter]
    public TaskPromptKind? Setting { get; set; }

    /// <summary>
    /// Ltv: where each head's activation a[l,h] comes from: Mean, averaged over -Prompts clean prompts (the paper's formula),
    /// or Live, each prompt's own activation in the same forward pass.
    /// </summary>
    /// <value>Mean for text models, Live for regression models</value>
    [Parameter]
    public HeadActivationSource? ActivationSource { get; set; }

    /// <summary>
    /// Ltv: the training prompts (queries from the train part), fixed for the run and visited in a new order each epoch; at
    /// least 1. Default: 512.
    /// </summary>
    [Parameter, ValidateRange(1, int.MaxValue)]
    public int TrainPrompts { get; set; } = 512;

    /// <summary>Ltv: the most passes over the training prompts, at least 1. Default: 100.</summary>
    [Parameter, ValidateRange(1, int.MaxValue)]
    public int MaxEpochs { get; set; } = 100;

    /// <summary>
    /// Ltv: epochs without a lower validation loss before training stops, at least 1; the best theta is kept. Default: 10.
    /// </summary>
    [Parameter, ValidateRange(1, int.MaxValue)]
    public int Patience { get; set; } = 10;

    /// <summary>Ltv: Adam's learning rate for theta, above 0 and at most 10. Default: 0.01.</summary>
    [Parameter, ValidateRange(1e-12, 10.0)]
    public double LearningRate { get; set; } = 1e-2;

    /// <summary>
    /// Ltv: theta's starting values: Zeros (training starts from the unchanged model) or Normal (N(0, 1), as the authors'
    /// code draws them). Default: Zeros.
    /// </summary>
    [Parameter]
    public LtvThetaInit ThetaInit { get; set; } = LtvThetaInit.Zeros;

    /// <summary>
    /// Ltv: builds v_l as the LTV authors' code does rather than by the paper's formula; the vector records it
    /// (AuthorsVariant), and injection follows it.
    /// </summary>
    [Parameter]
    public SwitchParameter AuthorsVariant { get; set; }

    /// <summary>
    /// Ltv on a regression model: the training loss on the query's prediction, SquaredError or Huber (delta 1, the authors'
    /// choice). The other methods score squared error. Default: SquaredError.
    /// </summary>
    [Parameter(ParameterSetName = RegressionSet)]
    public RegressionTaskLoss Loss { get; set; } = RegressionTaskLoss.SquaredError;

    protected override void Process()
    {
        // -Layer is checked by the methods' option validation, before any prompt runs.
        if (Demonstrations is not null && Method != TaskVectorMethod.TaskVector)
            throw new IclPsException(TaskVectorErrorIds.InvalidOption, IclErrorKind.InvalidArgument,
                $"-Demonstrations builds Hendel's per-example task vector; it needs -Method TaskVector, not {Method}.", Method);
        var problem = CreateProblem(Loss);
        var reporter = StartProgress($"New-TaskVector -Method {Method}: {problem.ModelName}");
        var progress = Progress(reporter);
        var clock = Stopwatch.StartNew();
        TaskVector vector;
        try
        {
            vector = Method switch
            {
                TaskVectorMethod.TaskVector => HendelTaskVector.Build(problem, HendelOptions(), progress, Cancellation),
                TaskVectorMethod.FunctionVector => FunctionVector.Build(problem, FvOptions(), progress, Cancellation).Vector,
                _ => LearnableTaskVector.Train(problem, LtvOptions(), new EpochRelay(progress, this), Cancellation),
            };
        }
        finally
        {
            reporter.Complete();
        }
        WriteVerbose($"{vector} built in {clock.Elapsed.TotalSeconds:F1} s from {vector.Provenance.Prompts} prompts; " +
                     $"vector norms {string.Join(", ", vector.Vectors.Select(v => $"L{v.Layer}={v.Norm:G4}"))}.");
        WarnIfUntrained(vector);
        WriteObject(vector);
    }

    /// <summary>
    /// An LTV keeps the theta of the lowest validation loss, and its initial theta (epoch 0) is a candidate: when no epoch
    /// beats it (a short run, a small learning rate, a noisy validation set) the vector is its initial theta, which for the
    /// default zero start changes nothing where it is injected. Said here, where it happens, not only when it is used.
    /// </summary>
    private void WarnIfUntrained(TaskVector vector)
    {
        var settings = vector.Provenance.Settings;
        if (vector.Method != TaskVectorMethod.Ltv || !settings.TryGetValue("BestEpoch", out var best) || best != "0") return;
        var curve = vector.Provenance.TrainingCurve;
        var zero = settings.TryGetValue("Init", out var init) && init == nameof(LtvThetaInit.Zeros);
        var lowest = curve.Skip(1).Select(p => p.ValidationLoss).DefaultIfEmpty(double.NaN).Min();
        WriteWarning(FormattableString.Invariant(
            $"No epoch of the LTV's training lowered the validation loss below its initial theta's ({curve[0].ValidationLoss:G4}; {curve.Count - 1} epoch(s), lowest after training {lowest:G4}), ") +
            $"so the vector keeps its initial theta{(zero ? ", all zero: injecting it changes nothing" : "")}. " +
            "Train longer (-MaxEpochs, -Patience) or with a larger -LearningRate or more -TrainPrompts and -ValidationPrompts.");
    }

    private HendelTaskVectorOptions HendelOptions()
    {
        var defaults = new HendelTaskVectorOptions();
        return defaults with
        {
            Shots = Shots ?? RegressionShots ?? defaults.Shots,
            Prompts = Prompts ?? defaults.Prompts,
            ValidationPrompts = ValidationPrompts ?? defaults.ValidationPrompts,
            Layer = Layer,
            BatchSize = BatchSize,
            Seed = Seed,
            Demonstrations = Demonstrations is null ? null : QueryInput.Demonstrations(Demonstrations),
        };
    }

    private FunctionVectorOptions FvOptions()
    {
        var defaults = new FunctionVectorOptions();
        var shots = Shots ?? RegressionShots;
        return defaults with
        {
            MeanPrompts = Prompts ?? defaults.MeanPrompts,
            MeanShots = shots ?? defaults.MeanShots,
            EffectPrompts = EffectPrompts,
            // Shuffled labels need two demonstrations to permute, even when the mean prompts take one.
            EffectShots = Math.Max(2, shots ?? defaults.EffectShots),
            TopK = TopK,
            Layer = Layer,
            BatchSize = BatchSize,
            Seed = Seed,
        };
    }

    private LearnableTaskVectorOptions LtvOptions()
    {
        var defaults = new LearnableTaskVectorOptions();
        return defaults with
        {
            ActivationSource = ActivationSource,
            MeanPrompts = Prompts ?? defaults.MeanPrompts,
            MeanShots = RegressionShots ?? defaults.MeanShots,
            TrainingKind = Setting,
            Shots = Shots ?? RegressionShots,
            TrainPrompts = TrainPrompts,
            ValidationPrompts = ValidationPrompts ?? defaults.ValidationPrompts,
            BatchSize = BatchSize,
            MaxEpochs = MaxEpochs,
            Patience = Patience,
            LearningRate = LearningRate,
            Init = ThetaInit,
            Seed = Seed,
            AuthorsVariant = AuthorsVariant,
        };
    }

    /// <summary>Epoch rows to Write-Progress and Write-Verbose, on the pipeline thread (the engine reports synchronously).</summary>
    private sealed class EpochRelay(IProgress<TaskVectorProgress> bar, NewTaskVectorCommand cmdlet) : IProgress<LearnableTaskVectorProgress>
    {
        public void Report(LearnableTaskVectorProgress value)
        {
            bar.Report(new TaskVectorProgress("LTV training epoch", value.Epoch, value.MaxEpochs));
            if (value.ValidationLoss is { } valid)
                cmdlet.WriteVerbose(FormattableString.Invariant($"Epoch {value.Epoch}, step {value.Step}: train loss {value.TrainLoss:G5}, validation loss {valid:G5}, metric {value.ValidationMetric:G5}."));
        }
    }
}
