<#
.SYNOPSIS
    What the scripts that train and ship a text model share; dot-source it (. "$PSScriptRoot/common/ShippedTextModel.ps1").
.DESCRIPTION
    Get-RunCheckpointOption: Start-IclTraining's checkpoint parameters for an optional run folder.
    Measure-HeldOutShotCurve: first-token accuracy on every pair of every held-out map of a task family, per shot count,
        through Invoke-IclPrompt.
    Save-ShippedModelManifest: a model folder's iclps-model.json, written whole or not at all.
    Get-RepositoryCommit: the short commit of the checkout the script runs from, or nothing outside a git checkout.
#>

function Get-RunCheckpointOption {
    # Splat into Start-IclTraining: checkpoints every -Every updates into -Path, the newest -Keep kept; a folder that already
    # holds a checkpoint is resumed (bit-identical to an uninterrupted run). No -Path, no checkpoints.
    param([string]$Path, [int]$Every, [int]$Keep)
    if (-not $Path) { return @{} }
    $options = @{ Path = $Path; CheckpointEvery = $Every; KeepCheckpoints = $Keep }
    if ([IO.Directory]::Exists($Path) -and [IO.Directory]::GetDirectories($Path, 'step-*').Length -gt 0) { $options.Resume = $true }
    $options
}

function Measure-HeldOutShotCurve {
    # Exports every held-out map of -Tasks (never trained on) as a dataset, then, for each shot count, pipes each map's pairs
    # through Invoke-IclPrompt with the map's own pairs as -Demonstrations (so the query's pair is never shown), -Seeds
    # times. One row per shot count: Shots, Accuracy, N, Chance, Ceiling (the best any predictor can do).
    param($Model, $Tasks, [int[]]$ShotCounts, [int]$Seeds, [int]$BatchSize, [hashtable]$Format)
    $dataDir = [IO.Path]::Combine([IO.Path]::GetTempPath(), "iclps-held-out-$PID-$([guid]::NewGuid().ToString('N'))")
    try {
        $paths = $Tasks.Export($dataDir, $Tasks.HeldOutTasks)
        $datasets = @($paths | ForEach-Object { $d = Import-IclDataset -Path $_; , @($d.Train.Items + $d.Valid.Items + $d.Test.Items) })
    }
    finally {
        if ([IO.Directory]::Exists($dataDir)) { [IO.Directory]::Delete($dataDir, $true) }
    }
    foreach ($k in $ShotCounts) {
        $right = 0; $n = 0
        foreach ($s in 1..$Seeds) {
            foreach ($pairs in $datasets) {
                foreach ($r in @($pairs | Invoke-IclPrompt -Model $Model -Demonstrations $pairs -Shots $k -Seed $s -MaxNewTokens 0 -BatchSize $BatchSize @Format)) {
                    $n++; if ($r.FirstTokenCorrect) { $right++ }
                }
            }
        }
        [pscustomobject]@{ Shots = $k; Accuracy = $right / $n; N = $n; Chance = $Tasks.Chance; Ceiling = $Tasks.AccuracyCeiling($k) }
    }
}

function Save-ShippedModelManifest {
    # Through a temporary file and a rename, so a reader never sees half a manifest.
    param([string]$ModelDir, [System.Collections.IDictionary]$Manifest)
    $options = [System.Text.Json.JsonSerializerOptions]@{ WriteIndented = $true; Encoder = [System.Text.Encodings.Web.JavaScriptEncoder]::UnsafeRelaxedJsonEscaping }
    $json = [System.Text.Json.JsonSerializer]::Serialize($Manifest, $options)
    $path = [IO.Path]::Combine($ModelDir, 'iclps-model.json')
    [IO.File]::WriteAllText("$path.tmp", $json + "`n")
    [IO.File]::Move("$path.tmp", $path, $true)
}

function Get-RepositoryCommit {
    try { (& git -C $PSScriptRoot rev-parse --short HEAD 2>$null) } catch { $null }
}
