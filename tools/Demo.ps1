<#
.SYNOPSIS
    A short tour of IclPs: models from presets, their description, seed reproducibility, and how errors look.
.DESCRIPTION
    Uses only Microsoft.PowerShell.Core cmdlets, so it runs in any PowerShell 7.4+ session with the module imported:
        dotnet pwsh -NoProfile -c 'Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./tools/Demo.ps1'
#>
param([long]$Seed = 0)

'== Presets, described by Get-IclModelInfo =='
'gpt2-tiny', 'gpt2-mini', 'llama-tiny' | ForEach-Object { New-IclModel -Preset $_ -Seed $Seed } | Get-IclModelInfo

'== Same seed, same weights =='
$a = New-IclModel -Preset llama-tiny -Seed $Seed
$b = New-IclModel -Preset llama-tiny -Seed $Seed
$c = New-IclModel -Preset llama-tiny -Seed ($Seed + 1)
$first = { param($m) $m.Network.CheckpointTensors()[0].Item2 }
"seed $Seed vs seed $Seed identical: $((& $first $a).allclose((& $first $b), 0, 0))"
"seed $Seed vs seed $($Seed + 1) identical: $((& $first $a).allclose((& $first $c), 0, 0))"

'== A bad config is an error record with the engine''s id, a category and the offending path =='
New-IclModel -ConfigPath ./no-such-model/config.json -ErrorAction SilentlyContinue -ErrorVariable problems
foreach ($problem in $problems) {
    [pscustomobject]@{
        Id       = $problem.FullyQualifiedErrorId
        Category = $problem.CategoryInfo.Category
        Target   = $problem.TargetObject
    }
}
