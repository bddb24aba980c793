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
    Each model is one unit of a sweep (New-IclSweep / Invoke-IclSweep, README "Sweeps") kept in <RunDir>/sweep: a unit's
    parameters are M and every setting above, its rows go to its own shard, and a finished unit is skipped, so a stopped
    sweep resumes by running the same command again; adding exponents trains only the new pool sizes. The CSVs are then
    merged from the shards in unit order (Merge-IclSweep), the same bytes a single uninterrupted run writes. -ThrottleLimit N
    trains N models at once in worker processes, dividing the cores between them. A unit deletes and retrains its run
    folder; delete <RunDir>/sweep/shards/<id> to rerun a unit.
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
    # Leave out the fresh-task model (M = inf).
    [switch]$NoFresh,
    [int]$Steps = 6000,
    [int]$BatchSize = 128,
    [double]$LearningRate = 1e-3,
    [long]$Seed = 0,
    [long]$TaskSeed = 0,
    [int]$Samples = 1000,
    [int]$EvaluateEvery = 1000,
    # Models trained at once, each in its own worker process (Invoke-IclSweep -ThrottleLimit).
    [int]$ThrottleLimit = 1,
    [string]$RunDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../out/task-diversity')),
    [string]$ResultDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../docs/results'))
)
$ErrorActionPreference = 'Stop'
$null = [IO.Directory]::CreateDirectory($RunDir)
$null = [IO.Directory]::CreateDirectory($ResultDir)
$csv = [IO.Path]::Combine($ResultDir, 'task-diversity.csv')
$trainingCsv = [IO.Path]::Combine($ResultDir, 'task-diversity-training.csv')
$sweepDir = [IO.Path]::Combine($RunDir, 'sweep')

# Pool sizes as ints; 0 is Start-IclTraining's "fresh task per sequence".
# M = inf first: it is the reference line of both plots and the model linear-regression-curve.ps1 reuses.
$pools = @($Exponents | ForEach-Object { [int][Math]::Pow(2, $_) })
if (-not $NoFresh) { $pools = @(0) + $pools }

"Sweep: $Preset, D=$Dimension, K=$Points, $Steps updates of $BatchSize, lr $LearningRate (triangle), seed $Seed, task seed $TaskSeed; M = $(($pools | ForEach-Object { if ($_ -eq 0) { 'inf' } else { $_ } }) -join ', ')"
$sweepClock = [Diagnostics.Stopwatch]::StartNew()

# One unit per M. Every setting is a parameter of the unit, so a shard made with other settings is never reused, and the
# unit runs the same in a worker process, which sees nothing of this script but its parameters.
$units = New-IclSweep ([ordered]@{
    M = $pools; Preset = $Preset; Dimension = $Dimension; Points = $Points; Steps = $Steps; BatchSize = $BatchSize
    LearningRate = $LearningRate; Seed = $Seed; TaskSeed = $TaskSeed; Samples = $Samples; EvaluateEvery = $EvaluateEvery; RunDir = $RunDir
})
$trainOne = {
    param([int]$M, [string]$Preset, [int]$Dimension, [int]$Points, [int]$Steps, [int]$BatchSize, [double]$LearningRate,
        [long]$Seed, [long]$TaskSeed, [int]$Samples, [int]$EvaluateEvery, [string]$RunDir)
    $ErrorActionPreference = 'Stop'
    $label = if ($M -eq 0) { 'inf' } else { "$M" }
    $folder = [IO.Path]::Combine($RunDir, "M-$label")
    # A unit starts its model afresh: the run folders are this script's own scratch under out/.
    if ([IO.Directory]::Exists($folder)) { [IO.Directory]::Delete($folder, $true) }
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $output = @(Start-IclTraining -Preset $Preset -Dimension $Dimension -Points $Points -TaskPoolSize $M -TaskSeed $TaskSeed `
        -Steps $Steps -BatchSize $BatchSize -LearningRate $LearningRate -Seed $Seed -EvaluateEvery $EvaluateEvery `
        -Path $folder -Name "M-$label" -PassThru)
    $model = $output[-1]
    $progress = @($output | Where-Object { $_ -isnot [IclPs.Engine.Regression.Runs.IclRegressionModel] -and $null -ne $_.PSObject.Properties['Step'] })
    $trainSeconds = $clock.Elapsed.TotalSeconds
    try {
        # dMMSE needs a pool; for M = inf only Ridge is defined.
        $baselines = if ($M -eq 0) { @('Ridge') } else { @('Ridge', 'Dmmse') }
        $summaries = @(Measure-IclRegression -Model $model -Baseline $baselines -Samples $Samples -Seed $Seed -Summary)
    }
    finally {
        $model.Dispose()
    }
    # The training log goes beside the checkpoints; the script joins the logs in unit order after the merge.
    $progress | ForEach-Object {
        [pscustomobject]@{
            M = $label; Step = $_.Step; Loss = $_.Loss; PretrainError = $_.PretrainError; FreshError = $_.FreshError
            Seconds = [Math]::Round($_.Elapsed.TotalSeconds, 1)
        }
    } | Export-IclResult -Path ([IO.Path]::Combine($folder, 'training-log.csv'))
    foreach ($s in $summaries) {
        Write-Host ('M={0,-6} {1,-8} DeltaRidge {2:0.0000}  DeltaDmmse {3}  error {4:0.0000}' -f $label, $s.TaskSource, $s.DeltaRidge,
            $(if ($null -eq $s.DeltaDmmse) { '  n/a ' } else { '{0:0.0000}' -f $s.DeltaDmmse }), $s.ModelError)
    }
    Write-Host ('M={0}: trained in {1:0} s, measured in {2:0} s' -f $label, $trainSeconds, ($clock.Elapsed.TotalSeconds - $trainSeconds))
    # The unit's rows: its lines of task-diversity.csv.
    $summaries | ForEach-Object {
        [pscustomobject]@{
            M = $label; Steps = $Steps; TaskSource = $_.TaskSource
            DeltaRidge = $_.DeltaRidge; DeltaDmmse = $_.DeltaDmmse; ModelError = $_.ModelError
        }
    }
}
$units | Invoke-IclSweep -Path $sweepDir -ScriptBlock $trainOne -ThrottleLimit $ThrottleLimit |
    ForEach-Object { 'unit {0} ({1}): {2}, {3:0} s' -f $_.Index, $_.Name.Split(',')[0], $_.Status, $_.Seconds }
Merge-IclSweep -Path $sweepDir -Destination $csv
$units | ForEach-Object {
    $label = if ($_.Parameters[0].Value -eq 0) { 'inf' } else { "$($_.Parameters[0].Value)" }
    Import-Csv ([IO.Path]::Combine($RunDir, "M-$label", 'training-log.csv'))
} | Export-IclResult -Path $trainingCsv

# The plots show every row of the merged CSV.
& ([IO.Path]::Combine($PSScriptRoot, '../tools/Plot-Results.ps1')) -Figure TaskDiversity -ResultDir $ResultDir
'Sweep done in {0:0} s; wrote {1}, {2} and the plots in {3}' -f $sweepClock.Elapsed.TotalSeconds, $csv, $trainingCsv, $ResultDir
