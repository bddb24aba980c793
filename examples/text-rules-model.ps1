<#
.SYNOPSIS
    Trains and ships text-rules-6l: a six-layer GPT-2-family language model (gpt2-tiny-6l, byte tokenizer) trained on a
    mixture of one-rule tasks over single letters (copy, successor, predecessor, shifts, fixed permutations), the model that
    examples/task-vectors-rules.ps1 runs task vectors on.
.DESCRIPTION
    Start-IclTraining -TextFamily Rules with the family's defaults (52 letters a-z then A-Z; shifts 0, 1, -1, 2, -2, 3, -3,
    26; 4 fixed permutations; forward-4 held out), every pair of every rule trained on, sequences laid out as
    Invoke-IclPrompt lays out prompts with -Template '{input}=' -TargetDelimiter '' -FewShotDelimiter ','. Saves the model
    and its iclps-model.json (command, seed, wall time, and first-token accuracy over every pair of every trained rule at
    0 and 8 demonstrations drawn from the rule's other pairs) to -ModelDir.
    Run it in pwsh with the module imported. From a clone, build the module first (dotnet pwsh ./build.ps1 lays it out
    in artifacts/IclPs/0.1.0), then:
        OMP_NUM_THREADS=1 dotnet pwsh -c "Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./examples/text-rules-model.ps1"
#>
param(
    [string]$ModelDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../module/models/text-rules-6l')),
    [string]$Preset = 'gpt2-tiny-6l',
    [int]$Steps = 4000,
    [int]$BatchSize = 32,
    # Demonstrations per training sequence (every answer is scored, so 0 to 16 shots are all trained).
    [int]$TrainingShots = 16,
    [double]$LearningRate = 2e-3,
    [int]$WarmupSteps = 200,
    [int]$EvaluateEvery = 500,
    # Optional run folder: checkpoints every 500 updates go there, and a rerun resumes from the newest.
    [string]$CheckpointDir,
    # Wall seconds of the earlier runs that trained -CheckpointDir's checkpoints (recorded in the manifest when this run only resumes them).
    [double]$PriorTrainingSeconds = 0,
    [long]$TaskSeed = 0,
    [long]$Seed = 1
)
$ErrorActionPreference = 'Stop'
. ([IO.Path]::Combine($PSScriptRoot, 'common', 'ShippedTextModel.ps1'))
$watch = [Diagnostics.Stopwatch]::StartNew()
$checkpoints = Get-RunCheckpointOption -Path $CheckpointDir -Every 500 -Keep 2
$run = @(Start-IclTraining -TextFamily Rules -TaskSeed $TaskSeed -ModelPreset $Preset -Steps $Steps -BatchSize $BatchSize -Shots $TrainingShots `
    -LearningRate $LearningRate -Schedule Cosine -WarmupSteps $WarmupSteps -MaxGradNorm 1 -Seed $Seed -EvaluateEvery $EvaluateEvery -EvaluationTasks 12 `
    -Name 'text-rules-6l' -PassThru @checkpoints)
$trainingSeconds = [Math]::Round($PriorTrainingSeconds + $watch.Elapsed.TotalSeconds, 1)
$model = $run[-1]
$rows = @($run | Where-Object { $_ -is [IclPs.TextTrainingProgress] })
foreach ($r in $rows) { '{0,6} loss {1:0.0000}  8-shot trained rules {2:0.000} held-out rule {3:0.000}' -f $r.Step, $r.Loss, $r.TrainAccuracy, $r.HeldOutAccuracy }
"trained in $trainingSeconds s"
$model | Save-IclModel -Path $ModelDir -Force

# Accuracy over every pair of every trained rule, demonstrations from the rule's other pairs (the training layout).
$family = [IclPs.Engine.TextTasks.RuleTaskFamily]::new([IclPs.Engine.TextTasks.RuleTaskFamilyOptions]@{ TaskSeed = $TaskSeed })
$format = [IclPs.Engine.TextTasks.SymbolicSequenceSampler]::DefaultFormat
$accuracy = @{}
foreach ($k in 0, 8) {
    $accuracy[$k] = [IclPs.Engine.TextTasks.SymbolicIclEvaluator]::FirstTokenAccuracy($model, $family.TrainTasks, $k, 0, $format, [Threading.CancellationToken]::None)
    'trained rules, {0} shots: accuracy {1:0.000}' -f $k, $accuracy[$k]
}
$heldOut8 = [IclPs.Engine.TextTasks.SymbolicIclEvaluator]::FirstTokenAccuracy($model, $family.HeldOutTasks, 8, 0, $format, [Threading.CancellationToken]::None)
'held-out rule, 8 shots: accuracy {0:0.000}' -f $heldOut8

# The headline metrics first: Get-IclModel shows the first three.
$metrics = [ordered]@{ accuracy8Shot = $accuracy[8]; accuracy0Shot = $accuracy[0]; chance = $family.Chance; heldOutRuleAccuracy8Shot = $heldOut8 }
# A run that only resumed finished checkpoints has no progress rows of its own.
if ($rows.Count -gt 0) { $metrics.finalLoss = $rows[-1].Loss }
$manifest = [ordered]@{
    name = 'text-rules-6l'
    kind = 'Text'
    description = "$Preset (byte tokenizer) trained on one-rule tasks over 52 letters (copy, successor, predecessor, shifts, 4 fixed permutations; 'c=d,x=y,m=' -> 'n'); prompt it with template '{input}=', target delimiter '', few-shot delimiter ','."
    command = 'OMP_NUM_THREADS=1 dotnet pwsh -c "Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./examples/text-rules-model.ps1"'
    family = [ordered]@{ name = 'Rules'; rules = [string[]]@($family.TrainTasks.Name); heldOutRules = [string[]]@($family.HeldOutTasks.Name); taskSeed = $TaskSeed }
    seed = $Seed
    steps = $Steps
    batchSize = $BatchSize
    trainingSeconds = $trainingSeconds
    metrics = $metrics
    commit = "$(Get-RepositoryCommit)"
}
Save-ShippedModelManifest -ModelDir $ModelDir -Manifest $manifest
"wrote $ModelDir in $([Math]::Round($watch.Elapsed.TotalSeconds, 1)) s"
