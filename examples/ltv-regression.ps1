<#
.SYNOPSIS
    The learnable task vector (LTV) on a regression model (docs/science.md §5): squared error / D against prompt length, out
    to about 2.4 times the model's training length, for plain ICL, the function vector and the LTV, under the distribution
    shifts of Saglam et al. (skewed covariance, noisier targets, a query orthogonal to the demonstrations).
.DESCRIPTION
    On the shipped linear-d8 model (D = 8, trained on fresh tasks with prompts of K = 16 points), for each shift:
        Ltv:            New-TaskVector -Method Ltv trained on clean prompts of the model's training length (K = 16) under the
                        shift, live head activations at the query's x token (the paper's regression protocol).
        LtvLonger:      the same, trained on prompts of -LongerPoints points (beyond the training length, the "longer
                        prompt" setting of docs/science.md §5), to see whether theta can repair what the unseen positions break.
        FunctionVector: Todd's function vector from clean prompts of the training length (top -TopK heads), added at L/3.
        Icl:            the plain prompt, no vector.  Ridge: the Bayes-optimal posterior mean on the same prompts.
    Every method sees the same -Samples prompts at each length (one seed), so differences are paired. Error is the mean
    squared error of the query prediction divided by D; PromptLength counts the (x, y) pairs including the query.
    An orthogonal query needs K <= D (the demonstrations must leave room for it), so under that shift the LTV and FV are
    trained at K = D and lengths stop at D.
    Writes <ResultDir>/ltv-regression.csv (Method, Shift, PromptLength, Error, N) and ltv-regression-<shift>.png.
    Run it in pwsh with the module imported. From a clone, build the module first (dotnet pwsh ./build.ps1 lays it out
    in artifacts/IclPs/0.1.0), then:
        dotnet pwsh -c "Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./examples/ltv-regression.ps1"
#>
param(
    [string]$ModelName = 'linear-d8',
    # A folder laid out like the module's models folder; default: the shipped models.
    [string]$ModelCatalog,
    [string]$ResultDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../docs/results')),
    [int]$Samples = 2000,
    [int]$MaxPoints = 38,
    [int]$LongerPoints = 28,
    [double]$NoisyVariance = 1.0,
    [int]$TopK = 3,
    # Prompts for the function vector's mean head activations and for its head-effect sweep.
    [int]$FunctionVectorPrompts = 256,
    [int]$EffectPrompts = 64,
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
$trainingPoints = $model.Task.Points
"$ModelName trained on D = $dimension, K = $trainingPoints, noise variance $($model.Task.NoiseVariance); evaluating K = 2..$MaxPoints"

$shifts = [ordered]@{
    None             = @{}
    SkewedCovariance = @{ Covariance = 'Skewed' }
    NoisyTargets     = @{ NoiseVariance = $NoisyVariance }
    OrthogonalQuery  = @{ OrthogonalQuery = $true }
}

function MeanAndError([double[]]$values) {
    $sum = 0.0; foreach ($v in $values) { $sum += $v }
    $mean = $sum / $values.Count
    $squares = 0.0; foreach ($v in $values) { $squares += ($v - $mean) * ($v - $mean) }
    @{ Mean = $mean; StdError = [Math]::Sqrt($squares / ($values.Count - 1) / $values.Count) }
}

function Describe($vector) {
    $curve = $vector.Provenance.TrainingCurve
    $best = $curve[0]; foreach ($p in $curve) { if ($p.ValidationLoss -lt $best.ValidationLoss) { $best = $p } }
    'epochs {0}, validation loss {1:0.000} -> {2:0.000} (best at epoch {3}), theta [{4}]' -f $curve.Count, $curve[0].ValidationLoss, $best.ValidationLoss, $best.Epoch,
        (($vector.Heads | ForEach-Object { '{0:0.00}' -f $_.Weight }) -join ' ')
}

$rows = [Collections.Generic.List[object]]::new()
try {
    foreach ($shift in $shifts.Keys) {
        $on = $shifts[$shift]
        $longest = if ($on.OrthogonalQuery) { [Math]::Min($MaxPoints, $dimension) } else { $MaxPoints }
        $trainAt = [Math]::Min($trainingPoints, $longest)
        $ltv = @{ RegressionModel = $model; Method = 'Ltv'; Seed = $Seed; BatchSize = 64; TrainPrompts = $TrainPrompts; ValidationPrompts = $ValidationPrompts
            LearningRate = $LearningRate; MaxEpochs = $MaxEpochs; Patience = $Patience } + $on
        $vectors = [ordered]@{
            FunctionVector = New-TaskVector -RegressionModel $model -Method FunctionVector -Shots ($trainAt - 1) -TopK $TopK -Prompts $FunctionVectorPrompts -EffectPrompts $EffectPrompts -Seed $Seed @on
            Ltv            = New-TaskVector @ltv -Shots ($trainAt - 1)
        }
        if ($LongerPoints -le $longest -and $LongerPoints -gt $trainAt) { $vectors.LtvLonger = New-TaskVector @ltv -Shots ($LongerPoints - 1) }
        "${shift}: function vector at layer $($vectors.FunctionVector.Vectors[0].Layer) from heads " +
            (($vectors.FunctionVector.Heads | ForEach-Object { "L$($_.Layer)H$($_.Head)" }) -join ', ')
        foreach ($name in @($vectors.Keys) -like 'Ltv*') { "${shift}: $name ($($vectors[$name].Provenance.Shots + 1) points): $(Describe $vectors[$name])" }

        for ($points = 2; $points -le $longest; $points += 2) {
            $prompts = @{ RegressionModel = $model; TaskSource = 'fresh'; Points = $points; Samples = $Samples; Seed = $EvaluationSeed } + $on
            $plain = @(Invoke-IclPrompt @prompts -Baseline Ridge)
            $errors = [ordered]@{
                Icl   = MeanAndError ($plain | ForEach-Object { $_.SquaredError / $dimension })
                Ridge = MeanAndError ($plain | ForEach-Object { ($_.Ridge - $_.Expected) * ($_.Ridge - $_.Expected) / $dimension })
            }
            foreach ($name in $vectors.Keys) {
                $errors[$name] = MeanAndError (Invoke-IclPrompt @prompts -TaskVector $vectors[$name] | ForEach-Object { $_.SquaredError / $dimension })
            }
            foreach ($name in $errors.Keys) {
                $rows.Add([pscustomobject]@{ Method = $name; Shift = $shift; PromptLength = $points; Error = $errors[$name].Mean; N = $Samples; StdError = $errors[$name].StdError })
            }
            '{0} K={1,-3} {2}' -f $shift, $points, (($errors.Keys | ForEach-Object { '{0} {1:0.000}' -f $_, $errors[$_].Mean }) -join ', ')
        }
        $rows | Where-Object Shift -eq $shift |
            Export-IclPlot -Path ([IO.Path]::Combine($ResultDir, "ltv-regression-$shift.png")) -X PromptLength -Y Error -Series Method -ErrorBar StdError `
                -XLabel 'prompt length K (points, query included)' -YLabel 'squared error / D' `
                -Title "$ModelName (trained at K = $trainingPoints), shift: $shift, $Samples fresh tasks per K" | Out-Null
    }
}
finally {
    $model.Dispose()
}

$rows | ForEach-Object { [pscustomobject]@{ Method = $_.Method; Shift = $_.Shift; PromptLength = $_.PromptLength; Error = $_.Error; N = $_.N } } |
    Export-IclResult -Path ([IO.Path]::Combine($ResultDir, 'ltv-regression.csv'))
"done in $([Math]::Round($watch.Elapsed.TotalSeconds, 1)) s"
