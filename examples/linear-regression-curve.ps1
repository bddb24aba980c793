<#
.SYNOPSIS
    Garg et al. 2022 figure (docs/science.md §2): squared error / D against the number of in-context examples on fresh linear
    tasks, for a transformer trained on fresh tasks and the least-squares, 3-nearest-neighbour, averaging and Ridge baselines.
.DESCRIPTION
    Measures the run folder -ModelPath (its newest checkpoint; by default the M = inf model of examples/task-diversity.ps1, so
    nothing is retrained). When that folder does not exist, first trains -Preset on fresh tasks there with the settings below.
    The prediction of y_k sees k - 1 examples, so Examples = position - 1; every method predicts 0 with none.
    Writes <ResultDir>/linear-regression-curve.csv (Method, Examples, Error) and linear-regression-curve.png (drawn by tools/Plot-Results.ps1).
    Run it in pwsh with the module imported. From a clone, build the module first (dotnet pwsh ./build.ps1 lays it out
    in artifacts/IclPs/0.1.0), then:
        dotnet pwsh -c "Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./examples/linear-regression-curve.ps1"
#>
param(
    [string]$ModelPath = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../out/task-diversity/M-inf')),
    [ValidateSet('regression-tiny', 'regression-small', 'regression-base')]
    [string]$Preset = 'regression-tiny',
    [int]$Dimension = 4,
    [int]$Points = 16,
    [int]$Steps = 6000,
    [int]$BatchSize = 128,
    [long]$Seed = 0,
    [int]$Samples = 2000,
    [string]$ResultDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../docs/results'))
)
$ErrorActionPreference = 'Stop'
$null = [IO.Directory]::CreateDirectory($ResultDir)

if (-not [IO.Directory]::Exists($ModelPath)) {
    "No model at ${ModelPath}: training $Preset on fresh tasks (D=$Dimension, K=$Points, $Steps updates of $BatchSize, seed $Seed)"
    $null = Start-IclTraining -Preset $Preset -Dimension $Dimension -Points $Points -Steps $Steps -BatchSize $BatchSize -Seed $Seed `
        -EvaluateEvery 0 -Path $ModelPath
}

$labels = @{ 'model' = 'transformer'; 'least-squares' = 'least squares'; '3-nn' = '3-NN'; 'averaging' = 'averaging'; 'ridge' = 'ridge' }
# -Dimension/-Points left unbound: the model's recorded training tasks decide them; fresh tasks only.
$errors = @(Measure-IclRegression -Path $ModelPath -TaskSource fresh -TaskPoolSize 0 -Baseline Ridge, LeastSquares, NearestNeighbours, Averaging `
    -Samples $Samples -Seed $Seed)
$rows = @($errors | ForEach-Object {
    [pscustomobject]@{ Method = $labels[$_.Method]; Examples = $_.Position - 1; Error = $_.Error }
})

$csv = [IO.Path]::Combine($ResultDir, 'linear-regression-curve.csv')
$png = [IO.Path]::Combine($ResultDir, 'linear-regression-curve.png')
$rows | Export-IclResult -Path $csv
# Every point is drawn, on a log Y axis: the least-squares spike near Examples = D stays in view without flattening the rest.
& ([IO.Path]::Combine($PSScriptRoot, '../tools/Plot-Results.ps1')) -Figure LinearCurve -ResultDir $ResultDir
foreach ($k in 0, 2, 4, 8, 12, 15) {
    $at = @($rows | Where-Object Examples -eq $k)
    if ($at.Count -gt 0) { "k={0,-3} " -f $k + (($at | ForEach-Object { '{0} {1:0.000}' -f $_.Method, $_.Error }) -join ', ') }
}
"wrote $csv and $png"
