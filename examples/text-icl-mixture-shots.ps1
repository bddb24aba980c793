<#
.SYNOPSIS
    A small LLaMA-family language model, trained here on a mixture of two text task families, learns held-out maps of both
    in context: first-token accuracy against the number of demonstrations (0, 1, 2, 4, 8) per family, measured with
    Invoke-IclPrompt.
.DESCRIPTION
    (a) Trains -Preset (llama-tiny-4l: 4 layers, d_model 64) with Start-IclTraining -TextFamily KeyedLookup, Transduction
        -FamilyWeight 1, 1: half the training sequences are keyed lookups ("a3=x,b7=y,a5=" -> "x", a label per key) and
        half per-symbol transductions ("BD=KM,DB=MK,BB=" -> "KK", a random permutation applied to each symbol of a word),
        each family with its own training and held-out maps. Saves the model, with iclps-model.json, to -ModelDir.
    (b) Exports every held-out map of each family (never trained on) as a {"input","output"} dataset, then, for each shot
        count, pipes each map's pairs through Invoke-IclPrompt with the map's own pairs as -Demonstrations (so the query's
        pair is never shown) in the training layout (-Template '{input}=' -TargetDelimiter '' -FewShotDelimiter ','),
        -Seeds times.
    Writes <ResultDir>/<Name>-shots.csv (Family, Shots, Accuracy, N, Chance, Ceiling) and <Name>-shots.png. Ceiling is the
    best any predictor can do: for a keyed lookup, right when a demonstration shares the query's key; for a transduction,
    right when a demonstrated word contains the query's first symbol, else one of the images not yet shown.
    Run it in pwsh with the module imported. From a clone, build the module first (dotnet pwsh ./build.ps1 lays it out
    in artifacts/IclPs/0.1.0), then:
        dotnet pwsh -c "Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./examples/text-icl-mixture-shots.ps1"
#>
param(
    [string]$Name = 'llama-tiny-4l-mix',
    [string]$ModelDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../module/models/llama-tiny-4l-mix')),
    [string]$ResultDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../docs/results')),
    [string]$Preset = 'llama-tiny-4l',
    [int]$Steps = 20000,
    [int]$BatchSize = 32,
    # Demonstrations per training sequence.
    [int]$TrainingShots = 16,
    [double]$LearningRate = 1e-3,
    [int]$WarmupSteps = 200,
    [int]$EvaluateEvery = 1000,
    # Relative shares of KeyedLookup and Transduction training sequences.
    [double[]]$FamilyWeight = @(1, 1),
    # Optional run folder: checkpoints every 500 updates go there, and a rerun resumes from the newest (bit-identical to an uninterrupted run).
    [string]$CheckpointDir,
    # Wall seconds of the earlier runs that trained -CheckpointDir's checkpoints (recorded in the manifest when this run resumes them).
    [double]$PriorTrainingSeconds = 0,
    [int]$TrainTasks = 512,
    [int]$HeldOutTasks = 64,
    [long]$TaskSeed = 0,
    [long]$Seed = 1,
    [int]$Seeds = 2,
    [int[]]$ShotCounts = @(0, 1, 2, 4, 8)
)
$ErrorActionPreference = 'Stop'
. ([IO.Path]::Combine($PSScriptRoot, 'common', 'ShippedTextModel.ps1'))
$format = @{ Template = '{input}='; TargetDelimiter = ''; FewShotDelimiter = ',' }
$maps = @{ TrainTasks = $TrainTasks; HeldOutTasks = $HeldOutTasks; TaskSeed = $TaskSeed }

# (a) Train and save.
$watch = [Diagnostics.Stopwatch]::StartNew()
$checkpoints = Get-RunCheckpointOption -Path $CheckpointDir -Every 500 -Keep 2
$run = @(Start-IclTraining -TextFamily KeyedLookup, Transduction -FamilyWeight $FamilyWeight @maps -ModelPreset $Preset -Steps $Steps -BatchSize $BatchSize `
    -Shots $TrainingShots -LearningRate $LearningRate -Schedule Cosine -WarmupSteps $WarmupSteps -MaxGradNorm 1 -Seed $Seed -EvaluateEvery $EvaluateEvery `
    -Device cpu -Name $Name -PassThru @checkpoints | ForEach-Object {
        if ($_ -is [IclPs.TextTrainingProgress]) { '{0,6} {1,-12} loss {2:0.0000}  8-shot train {3:0.000} held-out {4:0.000}' -f $_.Step, $_.Family, $_.Loss, $_.TrainAccuracy, $_.HeldOutAccuracy | Write-Host }
        $_
    })
$trainingSeconds = [Math]::Round($PriorTrainingSeconds + $watch.Elapsed.TotalSeconds, 1)
$model = $run[-1]
$rows = @($run | Where-Object { $_ -is [IclPs.TextTrainingProgress] })
"trained in $trainingSeconds s"
$model | Save-IclModel -Path $ModelDir -Force

# (b) Held-out datasets of each family, measured through Invoke-IclPrompt. The same maps Start-IclTraining drew: same
# family options, same task seed.
$families = [ordered]@{
    KeyedLookup  = [IclPs.Engine.TextTasks.KeyedLookupTaskFamily]::new([IclPs.Engine.TextTasks.KeyedLookupTaskFamilyOptions]$maps)
    Transduction = [IclPs.Engine.TextTasks.TransductionTaskFamily]::new([IclPs.Engine.TextTasks.TransductionTaskFamilyOptions]$maps)
}
$curve = foreach ($family in $families.Keys) {
    Measure-HeldOutShotCurve -Model $model -Tasks $families[$family] -ShotCounts $ShotCounts -Seeds $Seeds -BatchSize 81 -Format $format |
        Select-Object @{ Name = 'Family'; Expression = { $family } }, *
}
$null = [IO.Directory]::CreateDirectory($ResultDir)
$csv = [IO.Path]::Combine($ResultDir, "$Name-shots.csv")
$png = [IO.Path]::Combine($ResultDir, "$Name-shots.png")
$curve | Export-IclResult -Path $csv
$series = foreach ($c in $curve) {
    [pscustomobject]@{ Shots = $c.Shots; Accuracy = $c.Accuracy; Series = "$($c.Family) (N = $($c.N) per point)" }
    [pscustomobject]@{ Shots = $c.Shots; Accuracy = $c.Ceiling; Series = "$($c.Family) best possible" }
}
$series += foreach ($k in $ShotCounts) { [pscustomobject]@{ Shots = $k; Accuracy = $families.KeyedLookup.Chance; Series = 'chance (both)' } }
$series | Export-IclPlot -Path $png -X Shots -Y Accuracy -Series Series -XLabel 'demonstrations (shots)' -YLabel 'first-token accuracy' `
    -Title "Held-out maps, $Preset on a two-family mixture"
foreach ($c in $curve) { '{0,-12} shots {1}: accuracy {2:0.000} (N = {3}; chance {4:0.000}, best possible {5:0.000})' -f $c.Family, $c.Shots, $c.Accuracy, $c.N, $c.Chance, $c.Ceiling }

# The manifest entry of the shipped model (the headline metrics first: Get-IclModel shows the first three).
$metrics = [ordered]@{}
foreach ($k in 8, 0) {
    foreach ($family in $families.Keys) {
        $cell = @($curve | Where-Object { $_.Family -eq $family -and $_.Shots -eq $k })
        if ($cell.Count -eq 1) { $metrics["heldOutAccuracy${k}Shot$family"] = $cell[0].Accuracy }
    }
}
$metrics.chance = $families.KeyedLookup.Chance
# A run that only resumed finished checkpoints has no progress rows of its own.
if ($rows.Count -gt 0) { $metrics.finalLoss = $rows[-1].Loss }
$manifest = [ordered]@{
    name = $Name
    kind = 'Text'
    description = "$Preset (byte tokenizer) trained on a mixture of keyed lookups ('a3=x,b7=y,a5=' -> 'x') and per-symbol transductions ('BD=KM,DB=MK,BB=' -> 'KK'); prompt it with template '{input}=', target delimiter '', few-shot delimiter ','; held-out accuracy per family in metrics."
    command = 'dotnet pwsh -c "Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./examples/text-icl-mixture-shots.ps1"'
    # The families a user needs to build held-out tasks the model never saw.
    families = @(
        [ordered]@{ name = 'KeyedLookup'; weight = $FamilyWeight[0]; trainTasks = $TrainTasks; heldOutTasks = $HeldOutTasks; taskSeed = $TaskSeed }
        [ordered]@{ name = 'Transduction'; weight = $FamilyWeight[1]; trainTasks = $TrainTasks; heldOutTasks = $HeldOutTasks; taskSeed = $TaskSeed }
    )
    seed = $Seed
    steps = $Steps
    batchSize = $BatchSize
    learningRate = $LearningRate
    trainingSeconds = $trainingSeconds
    metrics = $metrics
    commit = "$(Get-RepositoryCommit)"
}
Save-ShippedModelManifest -ModelDir $ModelDir -Manifest $manifest
"wrote $csv, $png and $ModelDir in $([Math]::Round($watch.Elapsed.TotalSeconds, 1)) s"
