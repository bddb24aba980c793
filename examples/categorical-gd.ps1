<#
.SYNOPSIS
    Wang, Henao and Carin's categorical in-context learning as functional gradient descent (docs/science.md §4) at CPU
    scale: the GD model against depth, the trained transformer against depth and training-set size, the Bayes-optimal
    ceiling, the authors' erase head against the exact one, and the stationary-point check.
.DESCRIPTION
    Trains every model into its own run folder under -RunDir (Start-IclCategoricalTraining -Path ... -Resume), scores them all on the same
    -EvaluationContexts held-out contexts (Measure-IclCategorical -Bayes) and writes, under -ResultDir:
      categorical-gd.csv             Model (Gd | Transformer | Bayes), Layers, Contexts, Seed, Accuracy, Nll, N, Kernel,
                                     Eraser, OtherTokenShare, BestStep, Steps, Samples
      categorical-gd-layers.png      accuracy against layers: GD (both erasers), transformer at few contexts (mean +- sd),
                                     Bayes and chance
      categorical-gd-contexts.png    accuracy against training contexts at -ContextsLayers layers
      categorical-gd-stationary.csv  Test-IclCategoricalStationaryPoint on the GD model of -ContextsLayers layers trained on
                                     -ManyContexts contexts
      categorical-gd-erasers.csv     the authors' erase head against the exact one at -GdAuthorsLayers: exact-trained weights
                                     scored with either head, and weights trained with the authors' head, at the same update
    Each training part is a sweep (New-IclSweep / Invoke-IclSweep, README "Sweeps") in <RunDir>/sweeps/<part>, one unit per
    model, whose parameters are all its settings: a finished unit is skipped, a stopped sweep resumes by running the same
    command again (an interrupted model continues from its last checkpoint), and -ThrottleLimit N trains N models at once in
    worker processes. Each part's training log (every evaluation of every model, in unit order) is merged into
    <RunDir>/<part>-training.csv.
    -Part limits the run to some steps (Gd, GdMany, GdAuthors, TfFew, TfMany, Stationary, Report); the report always reads
    every run folder that exists. A run resumed with more -GdSteps keeps its previous checkpoint (two are kept), which the
    eraser comparison reads so both heads are compared after the same number of updates. The committed results were made
    in several passes (docs/results/README.md lists the commands). A quick smoke run: -Quick (tiny sizes, a temporary run
    folder, the results there too unless -ResultDir is given; about 10 s).
        dotnet pwsh -NoProfile -c 'Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./examples/categorical-gd.ps1'
#>
param(
    [string]$RunDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../out/categorical-gd')),
    [string]$ResultDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../docs/results')),
    [ValidateSet('Gd', 'GdMany', 'GdAuthors', 'TfFew', 'TfMany', 'Stationary', 'Report')]
    [string[]]$Part = @('Gd', 'GdMany', 'GdAuthors', 'TfFew', 'TfMany', 'Stationary', 'Report'),
    [int]$ContextPoints = 40,
    [int[]]$GdLayers = @(1, 2, 3, 4, 5, 6),
    [int[]]$GdAuthorsLayers = @(3, 4),
    [int[]]$TfLayers = @(1, 2, 3),
    [int]$ContextsLayers = 2,
    [int]$FewContexts = 2048,
    [int]$ManyContexts = 32768,
    [int[]]$TfSeeds = @(0, 1, 2),
    [int]$GdSteps = 1000,
    [double]$GdLearningRate = 0.01,
    [int]$TfFewSteps = 800,
    [int]$TfManySteps = 1500,
    [int]$BatchSize = 512,
    [int]$ValidationContexts = 1024,
    [int]$EvaluateEvery = 20,
    [int]$Patience = 10,
    [int]$EvaluationContexts = 4096,
    [int]$StationaryContexts = 8192,
    [int]$StationaryContinueSteps = 200,
    # Models trained at once, each in its own worker process (Invoke-IclSweep -ThrottleLimit).
    [int]$ThrottleLimit = 1,
    [switch]$Quick
)
$ErrorActionPreference = 'Stop'
if ($Quick) {
    $RunDir = Join-Path ([IO.Path]::GetTempPath()) "categorical-gd-quick-$PID"
    if (-not $PSBoundParameters.ContainsKey('ResultDir')) { $ResultDir = Join-Path $RunDir 'results' }
    $GdLayers = 1, 2, 3; $GdAuthorsLayers = 3; $TfLayers = 1, 2; $TfSeeds = 0, 1; $FewContexts = 128; $ManyContexts = 512
    $GdSteps = 20; $TfFewSteps = 10; $TfManySteps = 10; $BatchSize = 64; $ValidationContexts = 128; $EvaluateEvery = 5
    $EvaluationContexts = 256; $StationaryContexts = 256; $StationaryContinueSteps = 3
}
$null = [IO.Directory]::CreateDirectory($RunDir)
$null = [IO.Directory]::CreateDirectory($ResultDir)
# Settings every model shares; each is a unit parameter, so a worker process needs nothing else.
$common = [ordered]@{ ContextPoints = $ContextPoints; BatchSize = $BatchSize; ValidationContexts = $ValidationContexts; EvaluateEvery = $EvaluateEvery; Patience = $Patience; RunDir = $RunDir }

# One unit = one model in its own run folder, named from its settings as the report expects; -Resume continues a run an
# earlier sweep left unfinished.
$trainModel = {
    param([string]$ModelKind, [int]$Layers, [string]$Eraser = 'Exact', [int]$TrainContexts, [int]$Seed, [int]$Steps, [double]$LearningRate,
        [int]$ContextPoints, [int]$BatchSize, [int]$ValidationContexts, [int]$EvaluateEvery, [int]$Patience, [string]$RunDir)
    $ErrorActionPreference = 'Stop'
    $settings = @{
        ModelKind = $ModelKind; Layers = $Layers; TrainContexts = $TrainContexts; Seed = $Seed; Steps = $Steps; ContextPoints = $ContextPoints
        BatchSize = $BatchSize; ValidationContexts = $ValidationContexts; EvaluateEvery = $EvaluateEvery; Patience = $Patience
    }
    $name = if ($ModelKind -eq 'Gd') {
        $settings += @{ Eraser = $Eraser; LearningRate = $LearningRate }
        'gd-{0}-L{1}-c{2}' -f $Eraser.ToLowerInvariant(), $Layers, $TrainContexts
    }
    else { 'tf-L{0}-c{1}-s{2}' -f $Layers, $TrainContexts, $Seed }
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $rows = @(Start-IclCategoricalTraining @settings -Path (Join-Path $RunDir $name) -Resume -Name $name)
    $last = $rows | Select-Object -Last 1
    if ($last) {
        Write-Host ('{0,-28} {1,5} updates, best validation {2:0.0000} ({3:0.000}) at {4}, {5:0}s' -f $name, $last.Step, ($rows.ValidationLoss | Measure-Object -Minimum).Minimum,
            ($rows | Sort-Object ValidationLoss | Select-Object -First 1).ValidationAccuracy, $last.BestStep, $clock.Elapsed.TotalSeconds)
    }
    else { Write-Host ('{0,-28} already trained' -f $name) }
    $rows | ForEach-Object {
        [pscustomobject]@{ Name = $name; Step = $_.Step; Loss = $_.Loss; ValidationLoss = $_.ValidationLoss; ValidationAccuracy = $_.ValidationAccuracy; BestStep = $_.BestStep }
    }
}

$gd = [ordered]@{ ModelKind = 'Gd'; LearningRate = $GdLearningRate; Steps = $GdSteps; Seed = 0 }
$sweeps = [ordered]@{}
if ('Gd' -in $Part) { $sweeps.Gd = [ordered]@{ Layers = $GdLayers; Eraser = 'Exact'; TrainContexts = $FewContexts } + $gd }
if ('GdMany' -in $Part) { $sweeps.GdMany = [ordered]@{ Layers = $ContextsLayers; Eraser = 'Exact'; TrainContexts = $ManyContexts } + $gd }
if ('GdAuthors' -in $Part) { $sweeps.GdAuthors = [ordered]@{ Layers = $GdAuthorsLayers; Eraser = 'Authors'; TrainContexts = $FewContexts } + $gd }
if ('TfFew' -in $Part) { $sweeps.TfFew = [ordered]@{ Seed = $TfSeeds; Layers = $TfLayers; ModelKind = 'Transformer'; TrainContexts = $FewContexts; Steps = $TfFewSteps } }
if ('TfMany' -in $Part) { $sweeps.TfMany = [ordered]@{ Seed = $TfSeeds; Layers = $ContextsLayers; ModelKind = 'Transformer'; TrainContexts = $ManyContexts; Steps = $TfManySteps } }
foreach ($name in $sweeps.Keys) {
    $sweepDir = Join-Path $RunDir "sweeps/$name"
    New-IclSweep ($sweeps[$name] + $common) | Invoke-IclSweep -Path $sweepDir -ScriptBlock $trainModel -ThrottleLimit $ThrottleLimit |
        ForEach-Object { '{0} unit {1} ({2}): {3}, {4:0} s' -f $name, $_.Index, (($_.Name -split ', ')[0..1] -join ', '), $_.Status, $_.Seconds }
    Merge-IclSweep -Path $sweepDir -Destination (Join-Path $RunDir "$name-training.csv")
}
if ('Stationary' -in $Part) {
    # At two layers the exact eraser has an exact transformer counterpart (the E block 2 leaves never reaches the logits).
    $gdPath = Join-Path $RunDir "gd-exact-L$ContextsLayers-c$ManyContexts"
    $stationary = Test-IclCategoricalStationaryPoint -Path $gdPath -EvaluationContexts $StationaryContexts -ContinueSteps $StationaryContinueSteps -BatchSize $BatchSize
    $stationary.Verdict
    $stationary | ForEach-Object {
        $row = [ordered]@{
            Model = $_.Model; Layers = $_.Layers; Eraser = $_.Eraser; N = $_.ContextPoints; EvaluationContexts = $_.EvaluationContexts; Loss = $_.Loss
            GradientNorm = $_.GradientNorm; HalfAGradientNorm = $_.HalfAGradientNorm; HalfBGradientNorm = $_.HalfBGradientNorm; NoiseFloor = $_.NoiseFloor
            GradientOverNoise = $_.GradientOverNoise
        }
        foreach ($scale in ($_.Perturbations.Scale | Sort-Object -Unique)) {
            $row["GradientNormAt$scale"] = ($_.Perturbations | Where-Object Scale -eq $scale | Measure-Object GradientNorm -Average).Average
            $row["LossAt$scale"] = ($_.Perturbations | Where-Object Scale -eq $scale | Measure-Object Loss -Average).Average
        }
        $row += [ordered]@{
            GrowsWithPerturbation = $_.GrowsWithPerturbation; ContinueSteps = $_.ContinueSteps; LossAfterTraining = $_.LossAfterTraining
            LossDrop = $_.LossDrop; LossDropStandardError = $_.LossDropStandardError; Stationary = $_.Stationary; Verdict = $_.Verdict
        }
        [pscustomobject]$row
    } | Export-IclResult -Path (Join-Path $ResultDir 'categorical-gd-stationary.csv')
    $stationary.Parts | Format-Table Weight, @{ n = 'Gradient'; e = { '{0:0.00E+0}' -f $_.GradientNorm } }, @{ n = 'NoiseFloor'; e = { '{0:0.00E+0}' -f $_.NoiseFloor } } | Out-String
}
if ('Report' -in $Part) {
    $folders = @(Get-ChildItem $RunDir -Directory | Where-Object { Get-ChildItem $_.FullName -Directory -Filter 'step-*' } | Sort-Object Name)
    $rows = @(Measure-IclCategorical -Path $folders.FullName -EvaluationContexts $EvaluationContexts -Bayes | ForEach-Object {
        [pscustomobject]@{
            Model = $_.Model; Layers = $_.Layers; Contexts = $_.Contexts; Seed = $_.Seed; Accuracy = $_.Accuracy; Nll = $_.Nll; N = $_.N
            Kernel = $_.Kernel; Eraser = $_.Eraser; OtherTokenShare = $_.OtherTokenShare; BestStep = $_.BestStep; Steps = $_.Steps; Samples = $_.Samples; Name = $_.Name
        }
    })
    $csv = Join-Path $ResultDir 'categorical-gd.csv'
    $rows | Export-IclResult -Path $csv
    $rows | Format-Table Model, Name, Layers, Contexts, Seed, Accuracy, Nll | Out-String

    # The authors' erase head: exact-trained weights scored with both heads, and weights trained with the authors' head, all
    # after the authors' run's number of updates (the exact run's checkpoint at that update).
    $eraserRows = foreach ($authorsRun in $rows | Where-Object { $_.Model -eq 'Gd' -and $_.Eraser -eq 'Authors' }) {
        $exactCheckpoint = Join-Path $RunDir ('gd-exact-L{0}-c{1}/step-{2:D8}' -f $authorsRun.Layers, $authorsRun.Contexts, $authorsRun.Steps)
        if (-not (Test-Path $exactCheckpoint)) { continue }
        foreach ($head in 'Exact', 'Authors') {
            $r = Measure-IclCategorical -Path $exactCheckpoint -EvaluationContexts $EvaluationContexts -Eraser $head
            [pscustomobject]@{ Layers = $r.Layers; Steps = $authorsRun.Steps; TrainedWith = 'Exact'; ScoredWith = $head; Accuracy = $r.Accuracy; Nll = $r.Nll; OtherTokenShare = $r.OtherTokenShare }
        }
        [pscustomobject]@{ Layers = $authorsRun.Layers; Steps = $authorsRun.Steps; TrainedWith = 'Authors'; ScoredWith = 'Authors'; Accuracy = $authorsRun.Accuracy; Nll = $authorsRun.Nll; OtherTokenShare = $authorsRun.OtherTokenShare }
    }
    if ($eraserRows) {
        $eraserRows | Export-IclResult -Path (Join-Path $ResultDir 'categorical-gd-erasers.csv')
        $eraserRows | Format-Table | Out-String
    }

    $bayes = $rows | Where-Object Model -eq 'Bayes' | Select-Object -First 1
    $chance = 1.0 / 25
    # Mean and sd over seeds of the transformer rows with the same layers and contexts.
    function Get-Summary($Selected, [string]$Series, [string]$By) {
        $Selected | Group-Object $By | ForEach-Object {
            $acc = @($_.Group.Accuracy)
            $mean = ($acc | Measure-Object -Average).Average
            $sd = if ($acc.Count -gt 1) { [math]::Sqrt((($acc | ForEach-Object { ($_ - $mean) * ($_ - $mean) }) | Measure-Object -Sum).Sum / ($acc.Count - 1)) } else { 0 }
            [pscustomobject]@{ Series = $Series; X = [double]$_.Name; Accuracy = $mean; Sd = $sd }
        }
    }
    $layerRows = @(
        Get-Summary ($rows | Where-Object { $_.Model -eq 'Gd' -and $_.Eraser -eq 'Exact' -and $_.Contexts -eq $FewContexts }) 'GD model (exact eraser)' Layers
        Get-Summary ($rows | Where-Object { $_.Model -eq 'Gd' -and $_.Eraser -eq 'Authors' -and $_.Contexts -eq $FewContexts }) "GD model (authors' eraser)" Layers
        Get-Summary ($rows | Where-Object { $_.Model -eq 'Transformer' -and $_.Contexts -eq $FewContexts }) "transformer, $FewContexts contexts (mean +- sd)" Layers
    )
    $layers = @($layerRows.X | Sort-Object -Unique)
    $layerRows += foreach ($x in $layers) {
        [pscustomobject]@{ Series = 'Bayes-optimal'; X = $x; Accuracy = $bayes.Accuracy; Sd = 0 }
        [pscustomobject]@{ Series = 'chance (1/25)'; X = $x; Accuracy = $chance; Sd = 0 }
    }
    $layerRows | Export-IclPlot -Path (Join-Path $ResultDir 'categorical-gd-layers.png') -X X -Y Accuracy -Series Series -ErrorBar Sd `
        -XLabel 'layers (GD steps)' -YLabel 'query accuracy' -Title "Categorical ICL (N = $ContextPoints): accuracy against depth"
    $contextRows = @(
        Get-Summary ($rows | Where-Object { $_.Model -eq 'Gd' -and $_.Eraser -eq 'Exact' -and $_.Layers -eq $ContextsLayers }) "GD model, L = $ContextsLayers" Contexts
        Get-Summary ($rows | Where-Object { $_.Model -eq 'Transformer' -and $_.Layers -eq $ContextsLayers }) "transformer, L = $ContextsLayers (mean +- sd)" Contexts
    )
    $sizes = @($contextRows.X | Sort-Object -Unique)
    $contextRows += foreach ($x in $sizes) {
        [pscustomobject]@{ Series = 'Bayes-optimal'; X = $x; Accuracy = $bayes.Accuracy; Sd = 0 }
        [pscustomobject]@{ Series = 'chance (1/25)'; X = $x; Accuracy = $chance; Sd = 0 }
    }
    $contextRows | Export-IclPlot -Path (Join-Path $ResultDir 'categorical-gd-contexts.png') -X X -Y Accuracy -Series Series -ErrorBar Sd -LogX `
        -XLabel 'training contexts' -YLabel 'query accuracy' -Title "Categorical ICL (N = $ContextPoints): GD model vs transformer"
    $layerRows + $contextRows | Format-Table Series, X, Accuracy, Sd | Out-String
    "wrote $csv and the plots in $ResultDir"
}
if ($Quick) { Remove-Item $RunDir -Recurse -Force }
