<#
.SYNOPSIS
    Hidden-state similarity per layer, plotted: mean cosine (± standard deviation over queries) for each pair of conditions.
.DESCRIPTION
    The models are RANDOMLY INITIALISED (-Preset, seeds -Seed and -Seed + 1) until trained ones ship, so the curves show
    the pipeline, not ICL. Conditions: ZeroShot and Icl (-Shots demonstrations) through the first model, and OtherModel
    (the same zero-shot prompts through the second model). Writes the rows to CSV and the plot to PNG.
    Run it in pwsh with the module imported. From a clone, build the module first (dotnet pwsh ./build.ps1 lays it out
    in artifacts/IclPs/0.1.0), then:
        dotnet pwsh -c "Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./examples/plot-similarity.ps1"
.PARAMETER DatasetPath
    A Function Vector style JSON dataset; defaults to the antonym.json the module ships (module/data/function-vectors).
#>
param(
    [string]$DatasetPath = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../module/data/function-vectors/antonym.json')),
    [string]$OutDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../out/plot-similarity')),
    [string]$Preset = 'gpt2-mini',
    [int]$Seed = 0,
    [int]$Queries = 16,
    [int]$Shots = 5
)
$ErrorActionPreference = 'Stop'

$model = New-IclModel -Preset $Preset -Seed $Seed -Name "$Preset-random-$Seed"
$other = New-IclModel -Preset $Preset -Seed ($Seed + 1) -Name "$Preset-random-$($Seed + 1)"
$data = Import-IclDataset -Path $DatasetPath -Seed $Seed

$similarity = @(Measure-HiddenSimilarity -Model $model -Dataset $data -Condition ZeroShot, Icl -Shots $Shots `
        -CompareModel $other -Seed $Seed -First $Queries)

# One series per pair of conditions.
$rows = $similarity | ForEach-Object {
    [pscustomobject]@{
        Layer      = $_.Layer
        Pair       = "$($_.ConditionA) vs $($_.ConditionB)"
        MeanCosine = $_.MeanCosine
        StdCosine  = $_.StdCosine
    }
}

$null = [IO.Directory]::CreateDirectory($OutDir)
$csv = [IO.Path]::Combine($OutDir, 'similarity.csv')
$png = [IO.Path]::Combine($OutDir, 'similarity.png')
$rows | Export-IclResult -Path $csv
$rows | Export-IclPlot -Path $png -X Layer -Y MeanCosine -Series Pair -ErrorBar StdCosine `
    -Title "Last-token hidden-state similarity ($Preset, random weights, $($similarity[0].N) queries)" `
    -XLabel 'Layer' -YLabel 'Mean cosine (± std over queries)' -PassThru |
    ForEach-Object { "wrote $csv and $($_.FullName)" }
