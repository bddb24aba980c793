<#
.SYNOPSIS
    The task-diversity transient at D = 8 (Raventós et al. 2023, docs/science.md §2): how close each pool size's model is to
    Ridge and to dMMSE as training goes on, and the apparent threshold M*(T) at each training length T.
.DESCRIPTION
    Trains -Preset once per M = 2^e for each e in -Exponents and once on fresh tasks (M = inf), all with the same seeds and
    settings, at a constant learning rate after a linear warm-up (-Schedule Constant), keeping a checkpoint every
    -EvaluateEvery updates. Then measures every checkpoint with Measure-IclRegression -Summary on -Samples sequences per
    task source for each of -EvaluationSeeds: Delta(model, Ridge), Delta(model, dMMSE), the model's error, and
    Delta(Ridge, dMMSE), the distance between the two baselines on the same sequences (the resolution: a model closer to one
    than this cannot be called more like the other).
    Why constant: a checkpoint at T updates of a constant-rate run is the model a run of T updates would give (before any
    decay), so the checkpoints of one run measure the apparent threshold at every T; and a finished run can be resumed with a
    larger -Steps (Start-IclTraining -Resume) with the same numbers as a longer run. The paper's triangle schedule depends on
    the run's length and allows neither.
    Long runs continue from committed checkpoints: the newest checkpoint of each M is copied to -CheckpointStore, and a run
    folder without checkpoints starts from the stored one, so a larger -Steps, here or on another machine, trains only the
    new updates. The committed rows for steps not measured again are kept.
    Apparent threshold (pool tasks, per T and evaluation seed): with s(M) = DeltaDmmse - DeltaRidge, the largest M whose
    model is dMMSE-like (s < 0) and the next larger M bracket M*, and log2 M* is interpolated linearly in s between them;
    Bound says BelowRange when no M is dMMSE-like and AboveRange when all are.
    Writes:
      <ResultDir>/task-diversity-d8.csv            M, Steps, TaskSource, DeltaRidge, DeltaDmmse, DeltaRidgeDmmse, Error, RidgeError,
                                                   DmmseError, EvalSeed, Samples (M = inf: no dMMSE)
      <ResultDir>/task-diversity-d8-threshold.csv  Steps, EvalSeed, Log2MStar, Bound
      <ResultDir>/task-diversity-d8-switch.csv     M, EvalSeed, FirstDmmseLike, DmmseLikeFrom (pool tasks; empty: never)
      <ResultDir>/task-diversity-d8-training.csv   the in-training log (Start-IclTraining's rows, -TrainingSamples sequences)
      <ResultDir>/task-diversity-d8-M-<M>.png      per M: both Deltas against updates (seed means, seed SD bars) with the
                                                   resolution line Delta(Ridge, dMMSE)
      <ResultDir>/task-diversity-d8-threshold.png  log2 M*(T) against T, beside the paper's 11.5 at 500K x 256
    Each M is one unit of a sweep in <RunDir>/sweep (Invoke-IclSweep): a finished unit is skipped, so running the same
    command again resumes; -ThrottleLimit N trains N models at once in worker processes.
    Run it in pwsh with the module imported. From a clone, build the module first (dotnet pwsh ./build.ps1), then:
        dotnet pwsh -c "Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./examples/task-diversity-transient.ps1 -ThrottleLimit 2"
#>
param(
    [ValidateSet('regression-tiny', 'regression-small', 'regression-base')]
    [string]$Preset = 'regression-tiny',
    [int]$Dimension = 8,
    [int]$Points = 16,
    [int[]]$Exponents = @(1, 3, 5, 7, 9, 11),
    # Leave out the fresh-task model (M = inf).
    [switch]$NoFresh,
    [int]$Steps = 20000,
    [int]$BatchSize = 128,
    [double]$LearningRate = 1e-3,
    [int]$WarmupSteps = 1000,
    [long]$Seed = 0,
    [long]$TaskSeed = 0,
    # Sequences per task source in each measurement of a checkpoint.
    [int]$Samples = 4096,
    [long[]]$EvaluationSeeds = @(1, 2, 3),
    [int]$EvaluateEvery = 1000,
    # Sequences of the in-training log (the measurements above are the results; this log is for watching a run).
    [int]$TrainingSamples = 256,
    # Models trained at once, each in its own worker process (Invoke-IclSweep -ThrottleLimit).
    [int]$ThrottleLimit = 1,
    [string]$RunDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../out/task-diversity-d8')),
    [string]$ResultDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../docs/results')),
    # Where the newest checkpoint of each M is kept (committed), and where a run without checkpoints continues from.
    [string]$CheckpointStore = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../docs/results/task-diversity-d8-checkpoints'))
)
$ErrorActionPreference = 'Stop'
foreach ($dir in $RunDir, $ResultDir, $CheckpointStore) { $null = [IO.Directory]::CreateDirectory($dir) }
$csv = [IO.Path]::Combine($ResultDir, 'task-diversity-d8.csv')
$sweepDir = [IO.Path]::Combine($RunDir, 'sweep')
function ConvertTo-Number([string]$Text) { [double]::Parse($Text, [cultureinfo]::InvariantCulture) }
function Get-Label([int]$M) { if ($M -eq 0) { 'inf' } else { "$M" } }

# Pool sizes as ints; 0 is Start-IclTraining's "fresh task per sequence".
$pools = @($Exponents | ForEach-Object { [int][Math]::Pow(2, $_) })
if (-not $NoFresh) { $pools = @(0) + $pools }
"Transient sweep: $Preset, D=$Dimension, K=$Points, $Steps updates of $BatchSize, lr $LearningRate (constant after $WarmupSteps warm-up), seed $Seed, task seed $TaskSeed; M = $(($pools | ForEach-Object { Get-Label $_ }) -join ', '); $Samples sequences x seeds $($EvaluationSeeds -join ', ') every $EvaluateEvery updates"
$clock = [Diagnostics.Stopwatch]::StartNew()

$units = New-IclSweep ([ordered]@{
    M = $pools; Preset = $Preset; Dimension = $Dimension; Points = $Points; Steps = $Steps; BatchSize = $BatchSize
    LearningRate = $LearningRate; WarmupSteps = $WarmupSteps; Seed = $Seed; TaskSeed = $TaskSeed; Samples = $Samples
    # One text value, not an axis of the sweep: every unit measures with every seed.
    EvaluationSeeds = $EvaluationSeeds -join ','; EvaluateEvery = $EvaluateEvery; TrainingSamples = $TrainingSamples; RunDir = $RunDir
    CheckpointStore = $CheckpointStore
})
$trainAndMeasure = {
    param([int]$M, [string]$Preset, [int]$Dimension, [int]$Points, [int]$Steps, [int]$BatchSize, [double]$LearningRate,
        [int]$WarmupSteps, [long]$Seed, [long]$TaskSeed, [int]$Samples, [string]$EvaluationSeeds, [int]$EvaluateEvery,
        [int]$TrainingSamples, [string]$RunDir, [string]$CheckpointStore)
    $ErrorActionPreference = 'Stop'
    $label = if ($M -eq 0) { 'inf' } else { "$M" }
    $folder = [IO.Path]::Combine($RunDir, "M-$label")
    $stored = [IO.Path]::Combine($CheckpointStore, "M-$label")
    # A run folder without checkpoints continues from the stored one (when it is not past -Steps): only new updates are trained.
    $own = @(if ([IO.Directory]::Exists($folder)) { [IO.Directory]::GetDirectories($folder, 'step-*') })
    $storedStep = @(if ([IO.Directory]::Exists($stored)) { [IO.Directory]::GetDirectories($stored, 'step-*') | Sort-Object })
    if ($own.Count -eq 0 -and $storedStep.Count -gt 0 -and [int]([IO.Path]::GetFileName($storedStep[-1]).Substring(5)) -le $Steps) {
        $null = [IO.Directory]::CreateDirectory($folder)
        Copy-Item -Recurse $storedStep[-1] $folder
        Copy-Item ([IO.Path]::Combine($stored, 'regression-task.json')) $folder
        Write-Host "M=${label}: continuing from the stored $([IO.Path]::GetFileName($storedStep[-1]))"
    }
    $clock = [Diagnostics.Stopwatch]::StartNew()
    # Every checkpoint is kept: each is measured below.
    $progress = @(Start-IclTraining -Preset $Preset -Dimension $Dimension -Points $Points -TaskPoolSize $M -TaskSeed $TaskSeed `
        -Steps $Steps -BatchSize $BatchSize -LearningRate $LearningRate -Schedule Constant -WarmupSteps $WarmupSteps -Seed $Seed `
        -EvaluateEvery $EvaluateEvery -EvaluationSamples $TrainingSamples -Path $folder -CheckpointEvery $EvaluateEvery `
        -KeepCheckpoints ([int]::MaxValue) -Resume -Name "M-$label")
    $trainSeconds = $clock.Elapsed.TotalSeconds
    # The log of a run trained over several sessions (or stopped while being measured) keeps the rows of earlier sessions.
    $logPath = [IO.Path]::Combine($folder, 'training-log.csv')
    $logged = @($progress | ForEach-Object {
        [pscustomobject]@{
            M = $label; Step = $_.Step; Loss = $_.Loss; PretrainError = $_.PretrainError; FreshError = $_.FreshError
            PretrainDeltaRidge = $_.PretrainDeltaRidge; PretrainDeltaDmmse = $_.PretrainDeltaDmmse
            FreshDeltaRidge = $_.FreshDeltaRidge; FreshDeltaDmmse = $_.FreshDeltaDmmse; Seconds = [Math]::Round($_.Elapsed.TotalSeconds, 1)
        }
    })
    $earlier = @(if ([IO.File]::Exists($logPath)) { Import-Csv $logPath | Where-Object { [int]$_.Step -notin $logged.Step } })
    @($earlier + $logged | Sort-Object { [int]$_.Step }) | Export-IclResult -Path $logPath

    # dMMSE needs a pool; for M = inf only Ridge is defined.
    $baselines = if ($M -eq 0) { @('Ridge') } else { @('Ridge', 'Dmmse') }
    foreach ($checkpoint in @([IO.Directory]::GetDirectories($folder, 'step-*') | Sort-Object)) {
        $step = [int]([IO.Path]::GetFileName($checkpoint).Substring(5))
        foreach ($evalSeed in @($EvaluationSeeds.Split(',') | ForEach-Object { [long]$_ })) {
            foreach ($s in @(Measure-IclRegression -Path $checkpoint -Baseline $baselines -Samples $Samples -Seed $evalSeed -Summary)) {
                [pscustomobject]@{
                    M = $label; Steps = $step; TaskSource = $s.TaskSource; DeltaRidge = $s.DeltaRidge; DeltaDmmse = $s.DeltaDmmse
                    DeltaRidgeDmmse = $s.DeltaRidgeDmmse; Error = $s.ModelError; RidgeError = $s.RidgeError; DmmseError = $s.DmmseError
                    EvalSeed = $evalSeed; Samples = $Samples
                }
            }
        }
    }
    # The newest checkpoint replaces the stored one, which is where a longer run continues from.
    $newest = @([IO.Directory]::GetDirectories($folder, 'step-*') | Sort-Object)[-1]
    $staging = "$stored.new"
    if ([IO.Directory]::Exists($staging)) { [IO.Directory]::Delete($staging, $true) }
    $null = [IO.Directory]::CreateDirectory($staging)
    Copy-Item -Recurse $newest $staging
    Copy-Item ([IO.Path]::Combine($folder, 'regression-task.json')) $staging
    if ([IO.Directory]::Exists($stored)) { [IO.Directory]::Delete($stored, $true) }
    [IO.Directory]::Move($staging, $stored)
    Write-Host ('M={0}: trained in {1:0} s, measured in {2:0} s' -f $label, $trainSeconds, ($clock.Elapsed.TotalSeconds - $trainSeconds))
}
$units | Invoke-IclSweep -Path $sweepDir -ScriptBlock $trainAndMeasure -ThrottleLimit $ThrottleLimit |
    ForEach-Object { 'unit {0} ({1}): {2}, {3:0} s' -f $_.Index, $_.Name.Split(',')[0], $_.Status, $_.Seconds }
$merged = [IO.Path]::Combine($RunDir, 'measured.csv')
Merge-IclSweep -Path $sweepDir -Destination $merged

# Rows measured now, and the committed rows of steps not measured again (those before a stored checkpoint a run continued from).
$order = @{}; for ($i = 0; $i -lt $pools.Count; $i++) { $order[(Get-Label $pools[$i])] = $i }
function Get-RowKey($Row) { '{0}|{1}|{2}|{3}' -f $Row.M, $Row.Steps, $Row.TaskSource, $Row.EvalSeed }
$measured = @(Import-Csv $merged)
$seen = [Collections.Generic.HashSet[string]]::new([string[]]@($measured | ForEach-Object { Get-RowKey $_ }))
$kept = @(if ([IO.File]::Exists($csv)) { Import-Csv $csv | Where-Object { -not $seen.Contains((Get-RowKey $_)) -and $order.ContainsKey($_.M) } })
$rows = @($measured + $kept | Sort-Object { $order[$_.M] }, { [int]$_.Steps }, { [long]$_.EvalSeed }, TaskSource)
$rows | Export-IclResult -Path $csv
# The in-training log likewise keeps the committed rows of updates this session did not train.
$trainingCsv = [IO.Path]::Combine($ResultDir, 'task-diversity-d8-training.csv')
# (A unit that only measured a stored checkpoint trained nothing and has no log.)
$logged = @($units | ForEach-Object { [IO.Path]::Combine($RunDir, "M-$(Get-Label $_.Parameters[0].Value)", 'training-log.csv') } |
    Where-Object { [IO.File]::Exists($_) } | ForEach-Object { Import-Csv $_ })
$seenLog = [Collections.Generic.HashSet[string]]::new([string[]]@($logged | ForEach-Object { "$($_.M)|$($_.Step)" }))
$keptLog = @(if ([IO.File]::Exists($trainingCsv)) { Import-Csv $trainingCsv | Where-Object { -not $seenLog.Contains("$($_.M)|$($_.Step)") -and $order.ContainsKey($_.M) } })
@($logged + $keptLog | Sort-Object { $order[$_.M] }, { [int]$_.Step }) | Export-IclResult -Path $trainingCsv

# Apparent threshold per training length and evaluation seed, on pool tasks.
$pool = @($rows | Where-Object { $_.TaskSource -eq 'pretrain' -and $_.M -ne 'inf' })
$thresholds = foreach ($group in @($pool | Group-Object Steps, EvalSeed)) {
    $byM = @($group.Group | Sort-Object { ConvertTo-Number $_.M })
    $gap = @($byM | ForEach-Object { (ConvertTo-Number $_.DeltaDmmse) - (ConvertTo-Number $_.DeltaRidge) })
    $lastDmmseLike = -1
    for ($i = 0; $i -lt $gap.Count; $i++) { if ($gap[$i] -lt 0) { $lastDmmseLike = $i } }
    $log2 = @($byM | ForEach-Object { [Math]::Log2((ConvertTo-Number $_.M)) })
    $bound, $value = if ($lastDmmseLike -lt 0) { 'BelowRange', $log2[0] }
        elseif ($lastDmmseLike -eq $gap.Count - 1) { 'AboveRange', $log2[-1] }
        else {
            $a, $b = $gap[$lastDmmseLike], $gap[$lastDmmseLike + 1]
            'Crossing', ($log2[$lastDmmseLike] + ($log2[$lastDmmseLike + 1] - $log2[$lastDmmseLike]) * (-$a) / ($b - $a))
        }
    [pscustomobject]@{ Steps = [int]$byM[0].Steps; EvalSeed = [long]$byM[0].EvalSeed; Log2MStar = $value; Bound = $bound }
}
$thresholds = @($thresholds | Sort-Object Steps, EvalSeed)
$thresholds | Export-IclResult -Path ([IO.Path]::Combine($ResultDir, 'task-diversity-d8-threshold.csv'))

# Per M and seed: the first measured step at which the model is dMMSE-like on pool tasks, and the step from which it stays so.
$switches = foreach ($group in @($pool | Group-Object M, EvalSeed)) {
    $bySteps = @($group.Group | Sort-Object { [int]$_.Steps })
    $like = @($bySteps | ForEach-Object { (ConvertTo-Number $_.DeltaDmmse) -lt (ConvertTo-Number $_.DeltaRidge) })
    $first = [Array]::IndexOf($like, $true)
    $from = $like.Count
    while ($from -gt 0 -and $like[$from - 1]) { $from-- }
    [pscustomobject]@{
        M = $bySteps[0].M; EvalSeed = [long]$bySteps[0].EvalSeed
        FirstDmmseLike = $(if ($first -ge 0) { [int]$bySteps[$first].Steps })
        DmmseLikeFrom = $(if ($from -lt $like.Count) { [int]$bySteps[$from].Steps })
    }
}
@($switches | Sort-Object { $order[$_.M] }, EvalSeed) | Export-IclResult -Path ([IO.Path]::Combine($ResultDir, 'task-diversity-d8-switch.csv'))

& ([IO.Path]::Combine($PSScriptRoot, '../tools/Plot-Results.ps1')) -Figure TaskDiversityTransient -ResultDir $ResultDir
'Sweep done in {0:0} s; wrote {1} and its companions in {2}' -f $clock.Elapsed.TotalSeconds, $csv, $ResultDir
