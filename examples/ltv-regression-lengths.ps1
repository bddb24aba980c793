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
    Run it in pwsh with the module imported. From a clone, build the module first (dotnet pwsh ./build.ps1 lays it out
    in artifacts/IclPs/0.1.0), then:
        OMP_NUM_THREADS=1 dotnet pwsh -c "Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./examples/ltv-regression-lengths.ps1"
#>
param(
    [string]$ModelName = 'linear-d8',
    # A folder laid out like the module's models folder; default: the shipped models.
    [string]$ModelCatalog,
    [string]$ResultDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../docs/results')),
    [int[]]$TrainLengths = @(16, 20, 24, 28, 32),
    [int]$MaxPoints = 78,
    [int]$Samples = 1000,
    [int]$TrainPrompts = 1024,
    [int]$ValidationPrompts = 256,
    [double]$LearningRate = 0.05,
    [int]$MaxEpochs = 40,
    [int]$Patience = 8,
    [int]$Seed = 1,
    [long]$EvaluationSeed = 7
)
$ErrorActionPreference = 'Stop'
$watch = [Diagnostics.Stopwatch]::StartNew()
$null = [IO.Directory]::CreateDirectory($ResultDir)
$catalog = if ($ModelCatalog) { @{ Path = $ModelCatalog } } else { @{} }
$model = Get-IclModel -Name $ModelName -Load @catalog
$dimension = $model.Task.Dimension
$modelPoints = $model.Task.Points
$shortfall = @($TrainLengths | Where-Object { $MaxPoints -lt 2.4 * $_ })
if ($shortfall) { throw "-MaxPoints $MaxPoints is below 2.4 x the training length $($shortfall[0])." }
"$ModelName trained on D = $dimension, K = $modelPoints; LTVs at K = $($TrainLengths -join ', '); evaluating K = 2..$MaxPoints on $Samples fresh tasks"

function MeanAndError([double[]]$values) {
    $sum = 0.0; foreach ($v in $values) { $sum += $v }
    $mean = $sum / $values.Count
    $squares = 0.0; foreach ($v in $values) { $squares += ($v - $mean) * ($v - $mean) }
    @{ Mean = $mean; StdError = [Math]::Sqrt($squares / ($values.Count - 1) / $values.Count) }
}

$rows = [Collections.Generic.List[object]]::new()
try {
    # Keyed by training length (a plain hashtable: an ordered one reads an int key as a position).
    $vectors = @{}
    foreach ($k in $TrainLengths) {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $vectors[$k] = New-TaskVector -RegressionModel $model -Method Ltv -Shots ($k - 1) -Seed $Seed -BatchSize 64 -TrainPrompts $TrainPrompts `
            -ValidationPrompts $ValidationPrompts -LearningRate $LearningRate -MaxEpochs $MaxEpochs -Patience $Patience
        $curve = $vectors[$k].Provenance.TrainingCurve
        $best = $curve[0]; foreach ($p in $curve) { if ($p.ValidationLoss -lt $best.ValidationLoss) { $best = $p } }
        'LTV at K = {0}: {1} epochs, validation loss {2:0.000} -> {3:0.000} (best at epoch {4}), {5:0.0} s' -f $k, $curve.Count, $curve[0].ValidationLoss,
            $best.ValidationLoss, $best.Epoch, $clock.Elapsed.TotalSeconds
    }
    for ($points = 2; $points -le $MaxPoints; $points += 2) {
        $prompts = @{ RegressionModel = $model; TaskSource = 'fresh'; Points = $points; Samples = $Samples; Seed = $EvaluationSeed }
        $plain = @(Invoke-IclPrompt @prompts -Baseline Ridge)
        $errors = [ordered]@{
            Icl   = MeanAndError ($plain | ForEach-Object { $_.SquaredError / $dimension })
            Ridge = MeanAndError ($plain | ForEach-Object { ($_.Ridge - $_.Expected) * ($_.Ridge - $_.Expected) / $dimension })
        }
        foreach ($name in $errors.Keys) {
            $rows.Add([pscustomobject]@{ Method = $name; TrainLength = $null; PromptLength = $points; Error = $errors[$name].Mean; StdError = $errors[$name].StdError; N = $Samples })
        }
        $line = foreach ($k in $TrainLengths) {
            $e = MeanAndError (Invoke-IclPrompt @prompts -TaskVector $vectors[$k] | ForEach-Object { $_.SquaredError / $dimension })
            $rows.Add([pscustomobject]@{ Method = 'Ltv'; TrainLength = $k; PromptLength = $points; Error = $e.Mean; StdError = $e.StdError; N = $Samples })
            'Ltv{0} {1:0.000}' -f $k, $e.Mean
        }
        'K={0,-3} Icl {1:0.000}, Ridge {2:0.000}, {3}' -f $points, $errors.Icl.Mean, $errors.Ridge.Mean, ($line -join ', ')
    }
}
finally {
    $model.Dispose()
}

$rows | Export-IclResult -Path ([IO.Path]::Combine($ResultDir, 'ltv-regression-lengths.csv'))
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
