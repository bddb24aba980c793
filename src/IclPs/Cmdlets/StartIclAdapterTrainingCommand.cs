using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Adapters;
using IclPs.Engine.Analysis;
using IclPs.Engine.Data;
using IclPs.Engine.Models;
using IclPs.Engine.Prompting;
using IclPs.Engine.Storage;

namespace IclPs.Cmdlets;

/// <summary>Tunes a LoRA adapter on a text model from instruction pairs (input, output) rendered zero-shot.</summary>
/// <remarks>
/// <para>
/// Attaches a fresh LoRA adapter to -Model (kept separate: the base weights are frozen and never change) and tunes it
/// with AdamW on the pairs piped in (objects with Input and Output properties) or the train split of -Dataset. Each pair
/// is rendered zero-shot with the module's prompt format: the templated input (-Template), then -TargetDelimiter and the
/// output; the loss is the next-token cross-entropy on the output's tokens only. The adapter is initialised as PEFT does
/// (A kaiming-uniform from -Seed, B = 0, so before the first update the model computes exactly what it did), with
/// W' = W + (lora_alpha / r) B A on each -TargetModule projection. Every update's batch is drawn from -Seed too: the same
/// seed, model and pairs give the same losses and adapter.
/// </para>
/// <para>
/// Writes an IclPs.AdapterTrainingProgress row every -ReportEvery updates and at the end, and Write-Progress throughout.
/// With -Path the adapter is saved in PEFT's layout (as Save-IclAdapter does: both files put in place together or not at
/// all) when tuning ends, and also when it is stopped with Ctrl+C, holding the updates done so far; a stopped run writes
/// a warning naming how many. The model keeps the adapter: later prompts and Measure-HiddenSimilarity on it see the tuned
/// model; Save-IclAdapter writes it; Import-IclModel loads the base again. A model that already carries an adapter is
/// refused (AdapterAlreadyAttached). Supports -WhatIf and -Confirm.
/// </para>
/// <para>
/// -CheckpointEvery N (with -Path) also writes a checkpoint every N updates, at the end and when stopped, into
/// PATH/checkpoints/step-NNNNNNNN (each a PEFT adapter folder plus the AdamW moments and the run's settings; the newest
/// -KeepCheckpoints are kept), as Start-IclTraining does for models. -Resume continues from the newest one: the adapter's
/// A and B and the optimizer state come from the checkpoint, and since update t's batch depends on -Seed and t alone, the
/// resumed run ends with the adapter an uninterrupted run would have. A resume with another setting that shapes the run
/// (rank, alpha, targets, batch size, learning rate, seed, the pairs themselves, the base model) is refused with a
/// TrainingResumeMismatch error naming the field; -Steps may grow. Checkpoints found without -Resume are a
/// TrainingCheckpointsExist error.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $model = New-IclModel -Preset llama-tiny -Seed 1
/// $pairs = 'hot:cold', 'up:down', 'in:out', 'yes:no' | ForEach-Object { $i, $o = $_ -split ':'; [pscustomobject]@{ Input = $i; Output = $o } }
/// $pairs | Start-IclAdapterTraining -Model $model -Steps 20 -ReportEvery 5 -LearningRate 0.01
/// </code>
/// <para>Tunes a rank-4 adapter on q_proj and v_proj (LLaMA's default targets) for 20 updates; four progress rows.</para>
/// </example>
/// <example>
/// <code>
/// $data = Import-IclDataset (Join-Path (Get-Module IclPs).ModuleBase 'data/function-vectors/antonym.json')
/// $folder = Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid())
/// $model = New-IclModel -Preset gpt2-tiny -Seed 2
/// Start-IclAdapterTraining -Model $model -Dataset $data -Steps 10 -Rank 8 -Alpha 16 -TargetModule c_attn, c_fc -Template "Q: {input}`nA:" -Path $folder
/// Get-ChildItem $folder
/// </code>
/// <para>Tunes GPT-2's fused c_attn and c_fc projections on the antonym train split and saves the adapter folder.</para>
/// </example>
/// <example>
/// <code>
/// $data = Import-IclDataset (Join-Path (Get-Module IclPs).ModuleBase 'data/function-vectors/antonym.json')
/// $folder = Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid())
/// Start-IclAdapterTraining -Model (New-IclModel -Preset llama-tiny -Seed 2) -Dataset $data -Steps 6 -Path $folder -CheckpointEvery 3
/// Start-IclAdapterTraining -Model (New-IclModel -Preset llama-tiny -Seed 2) -Dataset $data -Steps 12 -Path $folder -CheckpointEvery 3 -Resume
/// </code>
/// <para>Tunes for 6 updates with checkpoints, then carries the same run on to 12 updates on a freshly loaded model.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Start, "IclAdapterTraining", SupportsShouldProcess = true, DefaultParameterSetName = PipedSet,
    HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#start-icladaptertraining")]
[OutputType(typeof(AdapterTrainingProgress), typeof(IclModel))]
public sealed class StartIclAdapterTrainingCommand : IclPsCmdlet
{
    private const string PipedSet = "Piped";
    private const string DatasetSet = "Dataset";
    private readonly List<object> _piped = [];

    /// <summary>The text model (GPT-2 or LLaMA family) to attach the adapter to and tune it on.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public IclModel Model { get; set; } = null!;

    /// <summary>
    /// An instruction pair: an object with Input and Output properties (a [pscustomobject], an Import-Csv row, a prompt
    /// result's Query and Expected), usually piped in. Every pair is collected before tuning starts.
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = PipedSet)]
    [ValidateNotNull]
    public object InputObject { get; set; } = null!;

    /// <summary>A dataset split (from Import-IclDataset) whose Train part holds the pairs.</summary>
    [Parameter(Mandatory = true, ParameterSetName = DatasetSet)]
    [ValidateNotNull]
    public IclDatasetSplit Dataset { get; set; } = null!;

    /// <summary>r, the rank of each adapter pair. Default: 4.</summary>
    [Parameter]
    [ValidateRange(1, 4096)]
    public int Rank { get; set; } = 4;

    /// <summary>lora_alpha: the delta B A is scaled by alpha / r. Default: 8.</summary>
    [Parameter]
    [ValidateRange(1e-9, 1e9)]
    public double Alpha { get; set; } = 8;

    /// <summary>
    /// The projections to adapt, matched as PEFT matches target_modules (a module path that is, or ends with "." and, one of
    /// these): q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj for LLaMA; c_attn (the fused query, key and
    /// value), c_proj (attention and MLP outputs; attn.c_proj or mlp.c_proj for one), c_fc for GPT-2; all-linear for every
    /// projection but the output head. Default: PEFT's own default, q_proj and v_proj for LLaMA, c_attn for GPT-2.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? TargetModule { get; set; }

    /// <summary>AdamW updates of the adapter, 0 or more (0 leaves B = 0: the model is unchanged). Default: 100.</summary>
    [Parameter]
    [ValidateRange(0, 10_000_000)]
    public int Steps { get; set; } = 100;

    /// <summary>Pairs per update; with no more pairs than this, every update uses them all. Default: 8.</summary>
    [Parameter]
    [ValidateRange(1, 65536)]
    public int BatchSize { get; set; } = 8;

    /// <summary>AdamW's learning rate, constant over the run. Default: 0.001.</summary>
    [Parameter]
    [ValidateRange(1e-12, 10.0)]
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>Seed of the adapter's initial A and of each update's batch. Default: 0.</summary>
    [Parameter]
    public int Seed { get; set; }

    /// <summary>The template each input is written through (every {input} replaced by it), as in Invoke-IclPrompt. Default: {input}.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Template { get; set; } = PromptFormat.InputPlaceholder;

    /// <summary>Text between the templated input and the output, as in Invoke-IclPrompt. Default: one space.</summary>
    [Parameter]
    [AllowEmptyString]
    public string TargetDelimiter { get; set; } = " ";

    /// <summary>Writes a progress row every this many updates (and after the last). Default: 10.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int ReportEvery { get; set; } = 10;

    /// <summary>An adapter folder to save the tuned adapter into in PEFT's layout (also when stopped with Ctrl+C); created if missing.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Replaces an adapter already in the -Path folder instead of stopping with an AdapterExists error before tuning.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Writes a checkpoint every this many updates (and at the end, and when stopped) into -Path's checkpoints folder; needs -Path. Default: none.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? CheckpointEvery { get; set; }

    /// <summary>How many of the newest checkpoints to keep. Default: 2.</summary>
    [Parameter]
    [ValidateRange(1, 1000)]
    public int KeepCheckpoints { get; set; } = 2;

    /// <summary>Continues the run from the newest checkpoint in -Path's checkpoints folder (made with -CheckpointEvery); needs -Path.</summary>
    [Parameter]
    public SwitchParameter Resume { get; set; }

    /// <summary>Writes the model (carrying its tuned adapter) after the progress rows.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Process()
    {
        if (ParameterSetName == PipedSet) _piped.Add(InputObject);
    }

    protected override void End()
    {
        var pairs = ParameterSetName == DatasetSet ? Dataset.Train.Items : QueryInput.Demonstrations([.. _piped]);
        var folder = Path is null ? null : ResolveFilePath(Path);
        if (folder is null && (CheckpointEvery is not null || Resume))
            Terminate(new IclPsException("CheckpointsNeedPath", IclErrorKind.InvalidArgument,
                "-CheckpointEvery and -Resume keep their checkpoints in the -Path folder; give -Path.", CheckpointEvery is null ? "-Resume" : "-CheckpointEvery"));
        var checkpoints = folder is null || (CheckpointEvery is null && !Resume) ? null : System.IO.Path.Combine(folder, "checkpoints");
        // A resumed run's folder holds the adapter its stopped part saved; it is the one being carried on.
        if (folder is not null && !Force && !Resume && PeftAdapterFolder.HoldsAdapter(folder))
            Terminate(new IclPsException("AdapterExists", IclErrorKind.InvalidOperation, PeftAdapterFolder.AdapterExistsMessage(folder), folder));
        // The same adapter shape (default targets, all-linear) Measure-HiddenSimilarity's per-query adapters get.
        var settings = new InstructionTuning { Rank = Rank, Alpha = Alpha, TargetModules = TargetModule }.SettingsFor(Model);
        var what = $"Tune a LoRA adapter (r = {Rank}, alpha = {Alpha}, {settings.TargetsText}) on {pairs.Count} pairs for {Steps} updates";
        if (!ShouldProcess(folder ?? Model.Name, folder is null ? what : what + " and save it here")) return;

        var adapter = LoraAdapter.Create(Model.Network, settings, Seed);
        try
        {
            adapter.AttachTo(Model.Network);
        }
        catch
        {
            adapter.Dispose();
            throw;
        }
        WriteVerbose($"Attached an adapter with {adapter.Layers.Count} pairs ({adapter.ParameterCount:N0} parameters) on {string.Join(", ", adapter.Layers.Select(l => l.ModulePath))}.");
        var format = new PromptFormat { InputTemplate = Template, TargetDelimiter = TargetDelimiter };
        var options = new LoraTrainingOptions
        {
            Steps = Steps, BatchSize = BatchSize, LearningRate = LearningRate, Seed = Seed,
            CheckpointFolder = checkpoints, CheckpointEvery = CheckpointEvery ?? 0, KeepCheckpoints = KeepCheckpoints, Resume = Resume,
        };
        LoraTrainer trainer;
        try
        {
            trainer = new LoraTrainer(Model, pairs, format, options);
        }
        catch
        {
            LoraAdapter.Detach(Model.Network).Dispose();
            throw;
        }
        var progress = StartProgress($"Tuning a LoRA adapter on {Model.Name}");
        var (sum, count) = (0.0, 0);
        // A stop raised by a write (the usual place for Ctrl+C to land) still gets the adapter tuned so far saved.
        using var stop = new WriteStopGuard(Cancellation);
        LoraTrainingResult result;
        try
        {
            result = trainer.Train(step => stop.Write(() =>
            {
                (sum, count) = (sum + step.Loss, count + 1);
                progress.Report(step.Step, Steps, $"update {step.Step} of {Steps}, loss {step.Loss:0.0000}");
                if (step.Step % ReportEvery != 0 && step.Step != Steps) return;
                WriteObject(new AdapterTrainingProgress
                {
                    Model = Model.Name, Step = step.Step, Steps = Steps, Loss = sum / count, LearningRate = LearningRate, Rank = Rank, Elapsed = step.Elapsed,
                });
                (sum, count) = (0, 0);
            }), stop.Token);
        }
        catch
        {
            // A failed run (diverged, bad pair) leaves the model as it came.
            LoraAdapter.Detach(Model.Network).Dispose();
            throw;
        }
        finally
        {
            stop.Write(progress.Complete);
        }
        if (folder is not null)
        {
            // A stopped pipeline refuses progress and verbose records, so a stopped run saves without them.
            var saving = result.Cancelled ? null : new EngineProgress(StartProgress($"Saving the adapter to {folder}"), WriteVerbose);
            try
            {
                // Not cancellable: a stopped run keeps what it learned.
                PeftAdapterFolder.Write(adapter, Model.Network, folder, saving);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                WriteError(IclErrorRecords.WriteFailure("AdapterWriteFailed", $"the adapter to {folder}", e, folder));
            }
            finally
            {
                saving?.Complete();
            }
        }
        stop.ThrowIfStopped();
        if (result.FirstStep > 0) WriteVerbose($"Resumed from the checkpoint at update {result.FirstStep} in '{checkpoints}'.");
        if (result.Cancelled)
        {
            var resume = checkpoints is null ? "" : "; run the same command with -Resume to continue";
            WriteWarning($"Stopped after {result.CompletedSteps} of {Steps} updates{(folder is null ? "" : $"; the adapter so far is saved in '{folder}'")}{resume}.");
            return;
        }
        if (PassThru) WriteObject(Model);
    }
}
