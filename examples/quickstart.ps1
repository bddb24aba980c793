<#
.SYNOPSIS
    The IclPs main job on built-in defaults: few-shot prompts and hidden-state similarity on a model made without any download.
.DESCRIPTION
    Until trained default models ship, the model is a RANDOMLY INITIALISED gpt2-tiny (byte tokenizer, seed -Seed): expect near-zero
    accuracy. The point is the pipeline: dataset -> few-shot prompts -> per-query results -> CSV, and per-layer similarity statistics.
    Runs in pwsh with the module imported, or here through the host:
        dotnet run --project src/IclPs.Host -c Release -- -File examples/quickstart.ps1
.PARAMETER DatasetPath
    A Function Vector style JSON dataset; defaults to antonym.json in ../shared beside the repository.
#>
param(
    [string]$DatasetPath = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../../shared/data/function-vectors/antonym.json')),
    [string]$OutDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../out/quickstart')),
    [int]$Seed = 0,
    [int]$Queries = 16,
    [int]$Shots = 5
)
$ErrorActionPreference = 'Stop'

'== Model (random weights: no trained default model yet) =='
$model = New-IclModel -Preset gpt2-tiny -Seed $Seed -Name 'gpt2-tiny-random'
$model | Get-IclModelInfo | Out-Host

'== Dataset =='
$data = Import-IclDataset -Path $DatasetPath -Seed $Seed
$data | Out-Host

"== $Shots-shot prompts on the first $Queries test queries =="
$results = @(Invoke-IclPrompt -Model $model -Dataset $data -Shots $Shots -Seed $Seed -First $Queries -BatchSize 8 -MaxNewTokens 8)
$results | Out-Host
$firstToken = @($results | Where-Object FirstTokenCorrect).Count
$exact = @($results | Where-Object ExactMatch).Count
"first-token accuracy {0}/{1}, exact match {2}/{1}" -f $firstToken, $results.Count, $exact

'== Hidden-state similarity: zero-shot vs ICL, per layer =='
$similarity = @(Measure-HiddenSimilarity -Model $model -Dataset $data -Condition ZeroShot, Icl -Shots $Shots -Seed $Seed -First $Queries)
$similarity | Out-Host

# .NET calls instead of New-Item/Join-Path keep the script runnable where only the Core cmdlets exist (the host).
$null = [IO.Directory]::CreateDirectory($OutDir)
$promptsCsv = [IO.Path]::Combine($OutDir, 'prompts.csv')
$similarityCsv = [IO.Path]::Combine($OutDir, 'similarity.csv')
$results | Export-IclResult -Path $promptsCsv
$similarity | Export-IclResult -Path $similarityCsv
"wrote $promptsCsv and $similarityCsv"
