<#
.SYNOPSIS
    Plots of examples/icl-vs-it.ps1's summary CSV: per family, the cosine of each pair per layer with sd error bars (main
    setting: correct labels, random demonstrations, same-map adapter); the last layer's cosines against shots; and, when the
    CSV holds several adapter step counts, the last layer's cosines against them.
.DESCRIPTION
    Writes to -ResultDir, for each family F in the CSV:
        <Name>-layers-F.png  MeanCosine per layer at -Shots shots and -AdapterSteps updates, one series per pair, +- StdCosine.
        <Name>-shots-F.png   the last layer's MeanCosine against shots at -AdapterSteps updates, one series per pair, +- StdCosine.
        <Name>-steps-F.png   the last layer's MeanCosine against the adapter's updates at -Shots shots (only with 2+ step counts).
    icl-vs-it.ps1 calls it at its end; run it alone to redraw from a CSV:
        dotnet pwsh -c "Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./examples/icl-vs-it-plots.ps1 -ResultDir ./docs/results"
#>
param(
    [string]$ResultDir = (Get-Location).Path,
    [string]$Name = 'icl-vs-it',
    [int]$Shots = 4,
    [int]$AdapterSteps = 20
)
$ErrorActionPreference = 'Stop'
$rows = @(Import-Csv ([IO.Path]::Combine($ResultDir, "$Name.csv")) | Where-Object { $_.Labels -eq 'Correct' -and $_.Demos -eq 'Random' -and $_.Adapter -eq 'SameMap' } |
    ForEach-Object {
        [pscustomobject]@{
            Family = $_.Family; Pair = $_.Pair; Layer = [int]$_.Layer; Shots = [int]$_.Shots; AdapterSteps = [int]$_.AdapterSteps
            MeanCosine = [double]::Parse($_.MeanCosine, [cultureinfo]::InvariantCulture); StdCosine = [double]::Parse($_.StdCosine, [cultureinfo]::InvariantCulture)
            N = [int]$_.N; Model = $_.Model
        }
    })
$pairLabels = @{ AnchorIcl = 'cos(anchor, ICL)'; AnchorIt = 'cos(anchor, IT)'; IclIt = 'cos(ICL, IT)' }
$last = ($rows | Measure-Object Layer -Maximum).Maximum
foreach ($family in $rows.Family | Sort-Object -Unique) {
    $mine = @($rows | Where-Object Family -EQ $family)
    $model = $mine[0].Model
    $n = $mine[0].N
    $plot = @{ Y = 'MeanCosine'; Series = 'Series'; ErrorBar = 'StdCosine'; YLabel = "cosine, mean +- sd over $n inputs" }
    $mine | Where-Object { $_.Shots -eq $Shots -and $_.AdapterSteps -eq $AdapterSteps } | Sort-Object Pair, Layer |
        Select-Object Layer, MeanCosine, StdCosine, @{ n = 'Series'; e = { $pairLabels[$_.Pair] } } |
        Export-IclPlot -Path ([IO.Path]::Combine($ResultDir, "$Name-layers-$family.png")) -X Layer @plot -TicksAtData -XLabel 'layer (hook_resid_post, last token)' `
            -Title "$model, $family, $Shots shots, LoRA $AdapterSteps updates"
    $mine | Where-Object { $_.Layer -eq $last -and $_.AdapterSteps -eq $AdapterSteps } | Sort-Object Pair, Shots |
        Select-Object Shots, MeanCosine, StdCosine, @{ n = 'Series'; e = { $pairLabels[$_.Pair] } } |
        Export-IclPlot -Path ([IO.Path]::Combine($ResultDir, "$Name-shots-$family.png")) -X Shots @plot -TicksAtData -XLabel 'demonstrations (shots)' `
            -Title "$model, $family, last layer, LoRA $AdapterSteps updates"
    if (@($mine.AdapterSteps | Sort-Object -Unique).Count -gt 1) {
        $mine | Where-Object { $_.Layer -eq $last -and $_.Shots -eq $Shots } | Sort-Object Pair, AdapterSteps |
            Select-Object AdapterSteps, MeanCosine, StdCosine, @{ n = 'Series'; e = { $pairLabels[$_.Pair] } } |
            Export-IclPlot -Path ([IO.Path]::Combine($ResultDir, "$Name-steps-$family.png")) -X AdapterSteps @plot -TicksAtData -XLabel 'LoRA updates' `
                -Title "$model, $family, last layer, $Shots shots"
    }
}
