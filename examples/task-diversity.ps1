<#
.SYNOPSIS
    Task-diversity sweep (Raventos et al. 2023, docs/science.md §2): one regression transformer per pool size M, each compared
    with Ridge and dMMSE on pool ("pretrain") and fresh tasks.
.DESCRIPTION
    Trains -Preset once per M = 2^e for each e in -Exponents, and once on fresh tasks (M = inf), all with the same seed, D, K, batch
    and number of updates, so M is the only thing that changes. Each model is then measured with Measure-IclRegression -Summary.
    Paper: dMMSE-like (small DeltaDmmse) below a threshold M*, Ridge-like (small DeltaRidge) above it; M* ~ 2^11.5 for the small
    model at D = 8, smaller for smaller D. The defaults are a CPU-budget configuration (see docs/results/README.md): short training
    can make models look "transiently ridge-like", so read the results with the training length (the Steps column).
    Writes:
      <ResultDir>/task-diversity.csv            M, Steps, TaskSource, DeltaRidge, DeltaDmmse, ModelError (M = "inf" for fresh tasks)
      <ResultDir>/task-diversity-pretrain.png   both Deltas against M (log axes, drawn by tools/Plot-Results.ps1) on pool tasks
      <ResultDir>/task-diversity-fresh.png      the same on fresh tasks
      <ResultDir>/task-diversity-training.csv   the held-out error during training, per M
      <RunDir>/M-<M>/                           checkpoints (git-ignored); M-inf is reused by linear-regression-curve.ps1
    Rows are appended to the CSV as each M finishes, so a stopped sweep keeps what it measured; continue it with the same
    settings plus -Append (and -NoFresh once M = inf is done).
    Each run folder is deleted and retrained when the script reaches its M.
    Run it in pwsh with the module imported. From a clone, build the module first (dotnet pwsh ./build.ps1 lays it out
    in artifacts/IclPs/0.1.0), then:
        dotnet pwsh -c "Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./examples/task-diversity.ps1"
#>
param(
    [ValidateSet('regression-tiny', 'regression-small', 'regression-base')]
    [string]$Preset = 'regression-tiny',
    [int]$Dimension = 4,
    [int]$Points = 16,
    [int[]]$Exponents = @(1, 3, 5, 7, 9, 11, 13, 15),
    # Leave out the fresh-task model (M = inf), e.g. when continuing a sweep with -Append.
    [switch]$NoFresh,
    [int]$Steps = 6000,
    [int]$BatchSize = 128,
    [double]$LearningRate = 1e-3,
    [long]$Seed = 0,
    [long]$TaskSeed = 0,
    [int]$Samples = 1000,
    [int]$EvaluateEvery = 1000,
    # Add rows to existing CSVs (continuing a stopped sweep with the same settings) instead of replacing them.
    [switch]$Append,
    [string]$RunDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../out/task-diversity')),
    [string]$ResultDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../docs/results'))
)
$ErrorActionPreference = 'Stop'
$null = [IO.Directory]::CreateDirectory($RunDir)
$null = [IO.Directory]::CreateDirectory($ResultDir)
$csv = [IO.Path]::Combine($ResultDir, 'task-diversity.csv')
$trainingCsv = [IO.Path]::Combine($ResultDir, 'task-diversity-training.csv')

# Pool sizes as ints; 0 is Start-IclTraining's "fresh task per sequence".
# M = inf first: it is the reference line of both plots and the model linear-regression-curve.ps1 reuses.
$pools = @($Exponents | ForEach-Object { [int][Math]::Pow(2, $_) })
if (-not $NoFresh) { $pools = @(0) + $pools }

"Sweep: $Preset, D=$Dimension, K=$Points, $Steps updates of $BatchSize, lr $LearningRate (triangle), seed $Seed, task seed $TaskSeed; M = $(($pools | ForEach-Object { if ($_ -eq 0) { 'inf' } else { $_ } }) -join ', ')"
$sweepClock = [Diagnostics.Stopwatch]::StartNew()
$first = -not ($Append -and [IO.File]::Exists($csv))
foreach ($pool in $pools) {
    $label = if ($pool -eq 0) { 'inf' } else { "$pool" }
    $folder = [IO.Path]::Combine($RunDir, "M-$label")
    # A rerun starts each model afresh: the run folders are this script's own scratch under out/.
    if ([IO.Directory]::Exists($folder)) { [IO.Directory]::Delete($folder, $true) }
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $output = @(Start-IclTraining -Preset $Preset -Dimension $Dimension -Points $Points -TaskPoolSize $pool -TaskSeed $TaskSeed `
        -Steps $Steps -BatchSize $BatchSize -LearningRate $LearningRate -Seed $Seed -EvaluateEvery $EvaluateEvery `
        -Path $folder -Name "M-$label" -PassThru)
    $model = $output[-1]
    $progress = @($output | Where-Object { $_ -isnot [IclPs.Engine.Regression.Runs.IclRegressionModel] -and $null -ne $_.PSObject.Properties['Step'] })
    $trainSeconds = $clock.Elapsed.TotalSeconds
    try {
        # dMMSE needs a pool; for M = inf only Ridge is defined.
        $baselines = if ($pool -eq 0) { @('Ridge') } else { @('Ridge', 'Dmmse') }
        $summaries = @(Measure-IclRegression -Model $model -Baseline $baselines -Samples $Samples -Seed $Seed -Summary)
    }
    finally {
        $model.Dispose()
    }
    $rows = @($summaries | ForEach-Object {
        [pscustomobject]@{
            M = $label; Steps = $Steps; TaskSource = $_.TaskSource
            DeltaRidge = $_.DeltaRidge; DeltaDmmse = $_.DeltaDmmse; ModelError = $_.ModelError
        }
    })
    $log = @($progress | ForEach-Object {
        [pscustomobject]@{
            M = $label; Step = $_.Step; Loss = $_.Loss; PretrainError = $_.PretrainError; FreshError = $_.FreshError
            Seconds = [Math]::Round($_.Elapsed.TotalSeconds, 1)
        }
    })
    if ($first) {
        $rows | Export-IclResult -Path $csv
        $log | Export-IclResult -Path $trainingCsv
        $first = $false
    }
    else {
        $rows | Export-IclResult -Path $csv -Append
        $log | Export-IclResult -Path $trainingCsv -Append
    }
    foreach ($r in $rows) {
        'M={0,-6} {1,-8} DeltaRidge {2:0.0000}  DeltaDmmse {3}  error {4:0.0000}' -f $r.M, $r.TaskSource, $r.DeltaRidge,
            $(if ($null -eq $r.DeltaDmmse) { '  n/a ' } else { '{0:0.0000}' -f $r.DeltaDmmse }), $r.ModelError
    }
    'M={0}: trained in {1:0} s, measured in {2:0} s (sweep so far {3:0} s)' -f $label, $trainSeconds, ($clock.Elapsed.TotalSeconds - $trainSeconds), $sweepClock.Elapsed.TotalSeconds
}

# The plots show every row of the CSV, including those of earlier -Append runs.
& ([IO.Path]::Combine($PSScriptRoot, '../tools/Plot-Results.ps1')) -Figure TaskDiversity -ResultDir $ResultDir
'Sweep done in {0:0} s; wrote {1}, {2} and the plots in {3}' -f $sweepClock.Elapsed.TotalSeconds, $csv, $trainingCsv, $ResultDir
