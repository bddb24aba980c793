<#
.SYNOPSIS
    A tiny GPT-2-family language model, trained here, learns keyed lookups in context: first-token accuracy on held-out maps
    against the number of demonstrations (0, 1, 2, 4, 8), measured with Invoke-IclPrompt.
.DESCRIPTION
    (a) Trains -Preset with Start-IclTraining -TextFamily KeyedLookup (inputs "a3", a task maps each key to an output symbol;
        "a3=x,b7=y,a5=" -> "x") and saves it, with iclps-model.json, to -ModelDir.
    (b) Exports every held-out map (never trained on) as a {"input","output"} dataset, then, for each shot count, pipes each
        task's 27 pairs through Invoke-IclPrompt with the task's own pairs as -Demonstrations (so the query's pair is never
        shown) in the training layout (-Template '{input}=' -TargetDelimiter '' -FewShotDelimiter ','), -Seeds times.
    Writes <ResultDir>/text-icl-shots.csv (Shots, Accuracy, N, Chance, Ceiling) and text-icl-shots.png. Ceiling is the best
    any predictor can do: right when a demonstration shares the query's key, chance otherwise.
    Run it in pwsh with the module imported. From a clone, build the module first (dotnet pwsh ./build.ps1 lays it out
    in artifacts/IclPs/0.1.0), then:
        dotnet pwsh -c "Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./examples/text-icl-shots.ps1"
#>
param(
    [string]$ModelDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../module/models/text-icl-tiny')),
    [string]$ResultDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../docs/results')),
    [string]$Preset = 'gpt2-tiny',
    [int]$Steps = 20000,
    [int]$BatchSize = 32,
    # Demonstrations per training sequence.
    [int]$TrainingShots = 16,
    [double]$LearningRate = 1e-3,
    [int]$WarmupSteps = 200,
    [int]$EvaluateEvery = 500,
    # Optional run folder: checkpoints every 1000 updates go there, and a rerun resumes from the newest (bit-identical to an uninterrupted run).
    [string]$CheckpointDir,
    # Wall seconds of the earlier runs that trained -CheckpointDir's checkpoints (recorded in the manifest when this run only resumes them).
    [double]$PriorTrainingSeconds = 0,
    [int]$TrainTasks = 512,
    [int]$HeldOutTasks = 64,
    [long]$TaskSeed = 0,
    [long]$Seed = 1,
    [int]$Seeds = 3,
    [int[]]$ShotCounts = @(0, 1, 2, 4, 8)
)
$ErrorActionPreference = 'Stop'
. ([IO.Path]::Combine($PSScriptRoot, 'common', 'ShippedTextModel.ps1'))
$format = @{ Template = '{input}='; TargetDelimiter = ''; FewShotDelimiter = ',' }
$family = @{ TrainTasks = $TrainTasks; HeldOutTasks = $HeldOutTasks; TaskSeed = $TaskSeed }

# (a) Train and save.
$watch = [Diagnostics.Stopwatch]::StartNew()
$checkpoints = Get-RunCheckpointOption -Path $CheckpointDir -Every 1000 -Keep 3
$run = @(Start-IclTraining -TextFamily KeyedLookup @family -ModelPreset $Preset -Steps $Steps -BatchSize $BatchSize -Shots $TrainingShots -LearningRate $LearningRate `
    -Schedule Cosine -WarmupSteps $WarmupSteps -MaxGradNorm 1 -Seed $Seed -EvaluateEvery $EvaluateEvery -Name 'text-icl-tiny' -PassThru @checkpoints)
$trainingSeconds = [Math]::Round($PriorTrainingSeconds + $watch.Elapsed.TotalSeconds, 1)
$model = $run[-1]
$rows = @($run | Where-Object { $_ -is [IclPs.TextTrainingProgress] })
foreach ($r in $rows) { '{0,6} loss {1:0.0000}  8-shot train {2:0.000} held-out {3:0.000}' -f $r.Step, $r.Loss, $r.TrainAccuracy, $r.HeldOutAccuracy }
"trained in $trainingSeconds s"
$model | Save-IclModel -Path $ModelDir -Force

# (b) Held-out datasets, measured through Invoke-IclPrompt.
# The same maps Start-IclTraining drew: same family options, same task seed.
$tasks = [IclPs.Engine.TextTasks.KeyedLookupTaskFamily]::new([IclPs.Engine.TextTasks.KeyedLookupTaskFamilyOptions]$family)
$curve = @(Measure-HeldOutShotCurve -Model $model -Tasks $tasks -ShotCounts $ShotCounts -Seeds $Seeds -BatchSize 32 -Format $format)
$null = [IO.Directory]::CreateDirectory($ResultDir)
$csv = [IO.Path]::Combine($ResultDir, 'text-icl-shots.csv')
$png = [IO.Path]::Combine($ResultDir, 'text-icl-shots.png')
$curve | Export-IclResult -Path $csv
$series = foreach ($c in $curve) {
    [pscustomobject]@{ Shots = $c.Shots; Accuracy = $c.Accuracy; Series = "model ($($HeldOutTasks) held-out maps)" }
    [pscustomobject]@{ Shots = $c.Shots; Accuracy = $c.Ceiling; Series = 'best possible' }
    [pscustomobject]@{ Shots = $c.Shots; Accuracy = $c.Chance; Series = 'chance' }
}
$series | Export-IclPlot -Path $png -X Shots -Y Accuracy -Series Series -XLabel 'demonstrations (shots)' -YLabel 'first-token accuracy' `
    -Title "Held-out keyed lookups, $Preset ($Steps x $BatchSize)"
foreach ($c in $curve) { 'shots {0}: accuracy {1:0.000} (N = {2}; chance {3:0.000}, best possible {4:0.000})' -f $c.Shots, $c.Accuracy, $c.N, $c.Chance, $c.Ceiling }

# The manifest entry of the shipped model (the headline metrics first: Get-IclModel shows the first three).
$eight = @($curve | Where-Object Shots -eq 8)
$zero = @($curve | Where-Object Shots -eq 0)
$metrics = [ordered]@{}
if ($eight.Count -eq 1) { $metrics.heldOutAccuracy8Shot = $eight[0].Accuracy }
if ($zero.Count -eq 1) { $metrics.heldOutAccuracy0Shot = $zero[0].Accuracy }
$metrics.chance = $tasks.Chance
# A run that only resumed finished checkpoints has no progress rows of its own.
if ($rows.Count -gt 0) {
    $metrics.trainAccuracy8ShotAtEnd = $rows[-1].TrainAccuracy
    $metrics.finalLoss = $rows[-1].Loss
}
$manifest = [ordered]@{
    name = 'text-icl-tiny'
    kind = 'Text'
    description = "$Preset (byte tokenizer) trained on keyed lookups ('a3=x,b7=y,a5=' -> 'x'); prompt it with template '{input}=', target delimiter '', few-shot delimiter ','; held-out accuracy in metrics."
    command = 'dotnet pwsh -c "Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./examples/text-icl-shots.ps1"'
    # The family a user needs to build held-out tasks the model never saw.
    family = [ordered]@{ name = 'KeyedLookup'; trainTasks = $TrainTasks; heldOutTasks = $HeldOutTasks; taskSeed = $TaskSeed }
    seed = $Seed
    steps = $Steps
    batchSize = $BatchSize
    trainingSeconds = $trainingSeconds
    metrics = $metrics
    commit = "$(Get-RepositoryCommit)"
}
Save-ShippedModelManifest -ModelDir $ModelDir -Manifest $manifest
"wrote $csv, $png and $ModelDir in $([Math]::Round($watch.Elapsed.TotalSeconds, 1)) s"
