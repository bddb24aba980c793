<#
.SYNOPSIS
    The LTV authors' length sweep on a regression model: learnable task vectors trained on prompts of several lengths, at
    and beyond the model's training length, each evaluated from 2 points to at least 2.4 times its own training length,
    beside plain ICL and Ridge.
.DESCRIPTION
    Saglam et al.'s code trains its LTVs on prompts longer than the model's training length (41 points for the model, LTVs
    at 41 to 101, default 56) and evaluates out to 96 points. Here, on the shipped linear-d8 (D = 8, trained on fresh tasks
    at K = 16 points), for each -TrainLengths K_t: New-TaskVector -Method Ltv on clean prompts of K_t points (live head
    activations at the query's x token, squared-error loss, the settings of examples/ltv-regression.ps1), then
    Invoke-IclPrompt -TaskVector on the same -Samples fresh-task prompts (seed -EvaluationSeed) at every even K from 2 to
    -MaxPoints (default 78 >= 2.4 x 32), with plain ICL and Ridge (the Bayes-optimal posterior mean) on those prompts.
    Error is the squared error of the query prediction divided by D; PromptLength counts the (x, y) pairs including the query.
    Writes <ResultDir>/ltv-regression-lengths.csv (Method, TrainLength, PromptLength, Error, StdError, N; TrainLength is
    empty for Icl and Ridge) and one plot per training length, ltv-regression-lengths-<K_t>.png, with a vertical line at
    K_t (drawn as a two-point series) and one at the model's training length.
    Each training length is one unit of a sweep (New-IclSweep / Invoke-IclSweep, README "Sweeps") kept in <RunDir>/sweep, and
    so is the plain prompts' unit (TrainLength 0: ICL and Ridge, no task vector). A unit's parameters are every setting
    above, its rows go to its own shard and a finished unit is skipped, so a stopped sweep resumes by running the same command
    again and adding a training length trains only that LTV. -ThrottleLimit N runs N units at once in worker processes. The
    merged rows are written ordered by prompt length, then Icl, Ridge and the LTVs by training length.
    Run it in pwsh with the module imported. From a clone, build the module first (dotnet pwsh ./build.ps1 lays it out
    in artifacts/IclPs/0.1.0), then:
        OMP_NUM_THREADS=1 dotnet pwsh -c "Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./examples/ltv-regression-lengths.ps1"
#>
param(
    [string]$ModelName = 'linear-d8',
    # A folder laid out like the module's models folder; default: the shipped models.
    [string]$ModelCatalog = '',
    [string]$ResultDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../docs/results')),
    # The sweep's folder (plan and one shard per unit).
    [string]$RunDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../out/ltv-regression-lengths')),
    [int[]]$TrainLengths = @(16, 20, 24, 28, 32),
    [int]$MaxPoints = 78,
    [int]$Samples = 1000,
    [int]$TrainPrompts = 1024,
    [int]$ValidationPrompts = 256,
    [double]$LearningRate = 0.05,
    [int]$MaxEpochs = 40,
    [int]$Patience = 8,
    [int]$Seed = 1,
    [long]$EvaluationSeed = 7,
    # Units run at once, each in its own worker process (Invoke-IclSweep -ThrottleLimit).
    [int]$ThrottleLimit = 1
)
$ErrorActionPreference = 'Stop'
$watch = [Diagnostics.Stopwatch]::StartNew()
$shortfall = @($TrainLengths | Where-Object { $MaxPoints -lt 2.4 * $_ })
if ($shortfall) { throw "-MaxPoints $MaxPoints is below 2.4 x the training length $($shortfall[0])." }
$null = [IO.Directory]::CreateDirectory($ResultDir)
$null = [IO.Directory]::CreateDirectory($RunDir)
"$ModelName; LTVs at K = $($TrainLengths -join ', '); evaluating K = 2..$MaxPoints on $Samples fresh tasks"

# TrainLength 0 is the unit of plain prompts (ICL and Ridge); every other value trains one LTV. Every setting is a unit
# parameter, so a shard made with other settings is never reused and a worker process needs nothing else.
$units = New-IclSweep ([ordered]@{
    TrainLength = @(0) + $TrainLengths; ModelName = $ModelName; ModelCatalog = $ModelCatalog; MaxPoints = $MaxPoints
    Samples = $Samples; TrainPrompts = $TrainPrompts; ValidationPrompts = $ValidationPrompts; LearningRate = $LearningRate
    MaxEpochs = $MaxEpochs; Patience = $Patience; Seed = $Seed; EvaluationSeed = $EvaluationSeed
})
$runLength = {
    param([int]$TrainLength, [string]$ModelName, [string]$ModelCatalog, [int]$MaxPoints, [int]$Samples, [int]$TrainPrompts,
        [int]$ValidationPrompts, [double]$LearningRate, [int]$MaxEpochs, [int]$Patience, [int]$Seed, [long]$EvaluationSeed)
    $ErrorActionPreference = 'Stop'
    function MeanAndError([double[]]$values) {
        $sum = 0.0; foreach ($v in $values) { $sum += $v }
        $mean = $sum / $values.Count
        $squares = 0.0; foreach ($v in $values) { $squares += ($v - $mean) * ($v - $mean) }
        @{ Mean = $mean; StdError = [Math]::Sqrt($squares / ($values.Count - 1) / $values.Count) }
    }
    $catalog = if ($ModelCatalog) { @{ Path = $ModelCatalog } } else { @{} }
    $model = Get-IclModel -Name $ModelName -Load @catalog
    $dimension = $model.Task.Dimension
    try {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        if ($TrainLength -gt 0) {
            $vector = New-TaskVector -RegressionModel $model -Method Ltv -Shots ($TrainLength - 1) -Seed $Seed -BatchSize 64 -TrainPrompts $TrainPrompts `
                -ValidationPrompts $ValidationPrompts -LearningRate $LearningRate -MaxEpochs $MaxEpochs -Patience $Patience
            $curve = $vector.Provenance.TrainingCurve
            $best = $curve[0]; foreach ($p in $curve) { if ($p.ValidationLoss -lt $best.ValidationLoss) { $best = $p } }
            Write-Host ('LTV at K = {0}: {1} epochs, validation loss {2:0.000} -> {3:0.000} (best at epoch {4}), {5:0.0} s' -f $TrainLength, $curve.Count,
                $curve[0].ValidationLoss, $best.ValidationLoss, $best.Epoch, $clock.Elapsed.TotalSeconds)
        }
        for ($points = 2; $points -le $MaxPoints; $points += 2) {
            $prompts = @{ RegressionModel = $model; TaskSource = 'fresh'; Points = $points; Samples = $Samples; Seed = $EvaluationSeed }
            if ($TrainLength -eq 0) {
                $plain = @(Invoke-IclPrompt @prompts -Baseline Ridge)
                $errors = [ordered]@{
                    Icl   = MeanAndError ($plain | ForEach-Object { $_.SquaredError / $dimension })
                    Ridge = MeanAndError ($plain | ForEach-Object { ($_.Ridge - $_.Expected) * ($_.Ridge - $_.Expected) / $dimension })
                }
                foreach ($name in $errors.Keys) {
                    [pscustomobject]@{ Method = $name; TrainLength = $null; PromptLength = $points; Error = $errors[$name].Mean; StdError = $errors[$name].StdError; N = $Samples }
                }
            }
            else {
                $e = MeanAndError (Invoke-IclPrompt @prompts -TaskVector $vector | ForEach-Object { $_.SquaredError / $dimension })
                [pscustomobject]@{ Method = 'Ltv'; TrainLength = $TrainLength; PromptLength = $points; Error = $e.Mean; StdError = $e.StdError; N = $Samples }
            }
        }
        Write-Host ('unit TrainLength = {0}: {1:0.0} s' -f $TrainLength, $clock.Elapsed.TotalSeconds)
    }
    finally {
        $model.Dispose()
    }
}
$sweepDir = [IO.Path]::Combine($RunDir, 'sweep')
$units | Invoke-IclSweep -Path $sweepDir -ScriptBlock $runLength -ThrottleLimit $ThrottleLimit |
    ForEach-Object { 'unit {0} ({1}): {2}, {3:0} s' -f $_.Index, $_.Name.Split(',')[0], $_.Status, $_.Seconds }
$merged = [IO.Path]::Combine($RunDir, 'merged.csv')
Merge-IclSweep -Path $sweepDir -Destination $merged

# Read back as numbers; shards keep the rows' round-trip text, which Export-IclResult writes again unchanged.
$methodOrder = @{ Icl = 0; Ridge = 1; Ltv = 2 }
$rows = @(Import-Csv $merged | ForEach-Object {
        [pscustomobject]@{
            Method = $_.Method; TrainLength = if ($_.TrainLength) { [int]$_.TrainLength } else { $null }; PromptLength = [int]$_.PromptLength
            Error = [double]::Parse($_.Error, [cultureinfo]::InvariantCulture); StdError = [double]::Parse($_.StdError, [cultureinfo]::InvariantCulture); N = [int]$_.N
        }
    } | Sort-Object PromptLength, { $methodOrder[$_.Method] }, TrainLength)
foreach ($points in $rows.PromptLength | Sort-Object -Unique) {
    $at = $rows | Where-Object PromptLength -EQ $points
    $line = $at | Where-Object Method -EQ 'Ltv' | ForEach-Object { 'Ltv{0} {1:0.000}' -f $_.TrainLength, $_.Error }
    'K={0,-3} Icl {1:0.000}, Ridge {2:0.000}, {3}' -f $points, ($at | Where-Object Method -EQ 'Icl').Error, ($at | Where-Object Method -EQ 'Ridge').Error, ($line -join ', ')
}
$rows | Export-IclResult -Path ([IO.Path]::Combine($ResultDir, 'ltv-regression-lengths.csv'))
$catalog = if ($ModelCatalog) { @{ Path = $ModelCatalog } } else { @{} }
$model = Get-IclModel -Name $ModelName -Load @catalog
$modelPoints = $model.Task.Points
$model.Dispose()
foreach ($k in $TrainLengths) {
    $curves = foreach ($r in $rows) {
        if ($r.Method -ne 'Ltv') { [pscustomobject]@{ PromptLength = $r.PromptLength; Error = $r.Error; StdError = $r.StdError; Series = $r.Method } }
        elseif ($r.TrainLength -eq $k) { [pscustomobject]@{ PromptLength = $r.PromptLength; Error = $r.Error; StdError = $r.StdError; Series = "LTV trained at K = $k" } }
    }
    $top = ($curves | Measure-Object -Property Error -Maximum).Maximum
    # Vertical lines: two points at the same K, which the line chart joins.
    $at = @([pscustomobject]@{ K = $k; Name = "LTV training length ($k)" })
    if ($k -ne $modelPoints) { $at += [pscustomobject]@{ K = $modelPoints; Name = "model training length ($modelPoints)" } }
    $marks = foreach ($m in $at) {
        foreach ($y in 0.0, $top) { [pscustomobject]@{ PromptLength = $m.K; Error = $y; StdError = 0.0; Series = $m.Name } }
    }
    @($curves) + @($marks) | Export-IclPlot -Path ([IO.Path]::Combine($ResultDir, "ltv-regression-lengths-$k.png")) -X PromptLength -Y Error -Series Series -ErrorBar StdError `
        -XLabel 'prompt length K (points, query included)' -YLabel 'squared error / D' `
        -Title "$ModelName (trained at K = $modelPoints): LTV trained at K = $k, $Samples fresh tasks per K" | Out-Null
}
"done in $([Math]::Round($watch.Elapsed.TotalSeconds, 1)) s"
