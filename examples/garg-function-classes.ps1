<#
.SYNOPSIS
    Garg et al. 2022's error-versus-examples curves for each function class (docs/science.md §2): linear, sparse linear,
    decision trees and 2-layer ReLU networks, a transformer trained on each class beside that class's baselines.
.DESCRIPTION
    For each -Family, trains -Preset with Start-IclTraining -TaskFamily on noiseless tasks of D = -Dimension with -Points
    pairs per sequence (fresh task per sequence, Garg's protocol scaled down; no curriculum), in -OutDir/<family>, unless that
    folder already holds a finished run; then measures it with Measure-IclRegression on -Samples fresh sequences against the
    class's default baselines: least squares, 3-NN and averaging for every class, Lasso (-LassoAlpha) for sparse tasks.
    Garg's greedy tree, XGBoost and gradient-trained 2-layer network baselines are not implemented in IclPs.
    Error is squared error / D (every method predicts 0 with no examples, scoring E[y^2] / D: 1 for linear and ReLU-net
    tasks, s / D for sparse ones, 1 / D for trees). The prediction of y_k sees k - 1 examples: Examples = Position - 1.
    Writes <ResultDir>/garg-function-classes.csv (Family, Method, Examples, Error, Steps, Samples),
    garg-function-classes-training.csv (the training progress rows) and one garg-<family>.png per class (drawn by
    tools/Plot-Results.ps1 from the CSV).
    Run it in pwsh with the module imported:
        dotnet pwsh -c "Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./examples/garg-function-classes.ps1"
#>
param(
    [ValidateSet('Linear', 'SparseLinear', 'DecisionTree', 'ReluNet')]
    [string[]]$Family = @('Linear', 'SparseLinear', 'DecisionTree', 'ReluNet'),
    [ValidateSet('regression-tiny', 'regression-small', 'regression-base')]
    [string]$Preset = 'regression-tiny',
    [int]$Dimension = 8,
    [int]$Points = 24,
    [int]$Sparsity = 3,
    [int]$Depth = 4,
    [int]$Hidden = 100,
    [int]$Steps = 3000,
    [int]$BatchSize = 64,
    [double]$LearningRate = 1e-3,
    [long]$Seed = 0,
    [int]$Samples = 1000,
    [double]$LassoAlpha = 0.01,
    # Appends the measured rows of these -Family values to existing CSVs instead of starting them afresh.
    [switch]$Append,
    [string]$OutDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../out/garg-function-classes')),
    [string]$ResultDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../docs/results'))
)
$ErrorActionPreference = 'Stop'
$null = [IO.Directory]::CreateDirectory($ResultDir)
$csv = [IO.Path]::Combine($ResultDir, 'garg-function-classes.csv')
$trainingCsv = [IO.Path]::Combine($ResultDir, 'garg-function-classes-training.csv')
$labels = @{ 'model' = 'transformer'; 'least-squares' = 'least squares'; 'lasso' = 'Lasso'; '3-nn' = '3-NN'; 'averaging' = 'averaging' }
$classSize = @{ Linear = @{}; SparseLinear = @{ Sparsity = $Sparsity }; DecisionTree = @{ Depth = $Depth }; ReluNet = @{ Hidden = $Hidden } }

$first = -not $Append
foreach ($class in $Family) {
    $run = [IO.Path]::Combine($OutDir, $class)
    $size = $classSize[$class]
    $clock = [Diagnostics.Stopwatch]::StartNew()
    "training $Preset on $class (D=$Dimension, K=$Points, $Steps updates of $BatchSize, lr $LearningRate, seed $Seed)"
    $progress = @(Start-IclTraining -Preset $Preset -TaskFamily $class @size -Dimension $Dimension -Points $Points -NoiseVariance 0 `
        -Steps $Steps -BatchSize $BatchSize -LearningRate $LearningRate -Seed $Seed -EvaluateEvery 500 -EvaluationSamples 256 `
        -Path $run -Resume -Device cpu)
    $trained = $clock.Elapsed.TotalSeconds
    $progress | Select-Object @{ n = 'Family'; e = { $class } }, Step, Loss, PretrainError, FreshError, @{ n = 'Seconds'; e = { $_.Elapsed.TotalSeconds } } |
        Export-IclResult -Path $trainingCsv -Append:(-not $first)
    $errors = @(Measure-IclRegression -Path $run -TaskSource fresh -Samples $Samples -Seed $Seed -LassoAlpha $LassoAlpha -Device cpu)
    $rows = @($errors | ForEach-Object {
        [pscustomobject]@{ Family = $class; Method = $labels[$_.Method]; Examples = $_.Position - 1; Error = $_.Error; Steps = $Steps; Samples = $Samples }
    })
    $rows | Export-IclResult -Path $csv -Append:(-not $first)
    $first = $false
    '{0}: trained in {1:0} s, measured in {2:0} s' -f $class, $trained, ($clock.Elapsed.TotalSeconds - $trained)

    foreach ($k in 0, 2, 4, 8, 12, 16, ($Points - 1)) {
        $at = @($rows | Where-Object Examples -eq $k)
        if ($at.Count -gt 0) { "  k={0,-3} " -f $k + (($at | ForEach-Object { '{0} {1:0.000}' -f $_.Method, $_.Error }) -join ', ') }
    }
}
& ([IO.Path]::Combine($PSScriptRoot, '../tools/Plot-Results.ps1')) -Figure GargClasses -ResultDir $ResultDir
"wrote $csv and $trainingCsv"
