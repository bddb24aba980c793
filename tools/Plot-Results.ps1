<#
.SYNOPSIS
    Redraws figures of docs/results from their committed CSVs, without retraining or remeasuring anything.
.DESCRIPTION
    -Figure TaskDiversity: task-diversity-pretrain.png and task-diversity-fresh.png from task-diversity.csv: Delta(model,
    Ridge) and Delta(model, dMMSE) against M on log axes (Deltas span three decades), ticked at the measured M, the M = inf
    model's Delta to Ridge as a dashed reference line without markers. The CSV has one training seed per M, so there are no
    seed error bars to draw.
    -Figure TaskDiversityTransient: from task-diversity-d8.csv, one task-diversity-d8-M-<M>.png per M: Delta(model, Ridge)
    and Delta(model, dMMSE) on pool tasks against updates (means over the evaluation seeds, their SD as error bars, log Y),
    with Delta(Ridge, dMMSE) as the dashed resolution line; and from task-diversity-d8-threshold.csv,
    task-diversity-d8-threshold.png: the apparent log2 M* against updates (seed means and SD; a training length where no M
    is dMMSE-like, or all are, is drawn at the range's edge as its own series), beside the paper's 11.5 as a dashed line.
    -Figure LinearCurve: linear-regression-curve.png from linear-regression-curve.csv, every point on a log Y axis (the
    least-squares spike at k = D included, so nothing is left out and no line crosses a gap).
    -Figure GargClasses: garg-<family>.png from garg-function-classes.csv, one per function class, log Y; errors below
    1e-6 (least squares on noiseless tasks once k >= D: float rounding, about 1e-30) are drawn at 1e-6, the axis floor.
    examples/task-diversity.ps1, task-diversity-transient.ps1, linear-regression-curve.ps1 and garg-function-classes.ps1 draw their figures with it.
    Run it in pwsh with the module imported:
        dotnet pwsh -c "Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./tools/Plot-Results.ps1"
#>
param(
    [ValidateSet('TaskDiversity', 'TaskDiversityTransient', 'LinearCurve', 'GargClasses')]
    [string[]]$Figure = @('TaskDiversity', 'TaskDiversityTransient', 'LinearCurve', 'GargClasses'),
    [string]$ResultDir = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../docs/results'))
)
$ErrorActionPreference = 'Stop'

# Import-Csv gives empty cells as ''; numbers are culture-invariant text.
function ConvertTo-Number([string]$Text) { [double]::Parse($Text, [cultureinfo]::InvariantCulture) }

if ('TaskDiversity' -in $Figure) {
    $rows = @(Import-Csv ([IO.Path]::Combine($ResultDir, 'task-diversity.csv')))
    $steps = ($rows.Steps | Select-Object -Unique) -join '/'
    foreach ($source in 'pretrain', 'fresh') {
        $finite = @($rows | Where-Object { $_.TaskSource -eq $source -and $_.M -ne 'inf' } | Sort-Object { ConvertTo-Number $_.M })
        if ($finite.Count -eq 0) { continue }
        $plotRows = [Collections.Generic.List[object]]::new()
        foreach ($r in $finite) {
            $m = ConvertTo-Number $r.M
            $plotRows.Add([pscustomobject]@{ M = $m; Delta = ConvertTo-Number $r.DeltaRidge; Series = 'Delta vs Ridge' })
            if ($r.DeltaDmmse -ne '') { $plotRows.Add([pscustomobject]@{ M = $m; Delta = ConvertTo-Number $r.DeltaDmmse; Series = 'Delta vs dMMSE' }) }
        }
        # M = inf has no place on a log axis: its Delta to Ridge spans the sweep as a reference line.
        $inf = @($rows | Where-Object { $_.TaskSource -eq $source -and $_.M -eq 'inf' })
        $reference = 'M = inf model vs Ridge'
        if ($inf.Count -gt 0) {
            foreach ($m in (ConvertTo-Number $finite[0].M), (ConvertTo-Number $finite[-1].M)) {
                $plotRows.Add([pscustomobject]@{ M = $m; Delta = ConvertTo-Number $inf[0].DeltaRidge; Series = $reference })
            }
        }
        $png = [IO.Path]::Combine($ResultDir, "task-diversity-$source.png")
        $plotRows | Export-IclPlot -Path $png -X M -Y Delta -Series Series -LogX -LogY -TicksAtData -Reference $reference `
            -XLabel 'pretraining task pool size M' -YLabel 'Delta (mean sq. diff. / D)' -Title "Task diversity, $source tasks ($steps updates, 1 seed)"
        "wrote $png"
    }
}

# Mean and sample SD of numbers (SD 0 for one value).
function Get-MeanSd([double[]]$Values) {
    $mean = ($Values | Measure-Object -Average).Average
    $sd = if ($Values.Count -gt 1) { [Math]::Sqrt((($Values | ForEach-Object { ($_ - $mean) * ($_ - $mean) }) | Measure-Object -Sum).Sum / ($Values.Count - 1)) } else { 0.0 }
    $mean, $sd
}

if ('TaskDiversityTransient' -in $Figure) {
    $rows = @(Import-Csv ([IO.Path]::Combine($ResultDir, 'task-diversity-d8.csv')) | Where-Object TaskSource -EQ 'pretrain')
    $resolution = 'Delta(Ridge, dMMSE): resolution'
    foreach ($ofM in @($rows | Group-Object M)) {
        $plotRows = foreach ($atStep in @($ofM.Group | Group-Object { [int]$_.Steps } | Sort-Object { [int]$_.Name })) {
            foreach ($column in 'DeltaRidge', 'DeltaDmmse', 'DeltaRidgeDmmse') {
                $values = @($atStep.Group | Where-Object { $_.$column -ne '' } | ForEach-Object { ConvertTo-Number $_.$column })
                if ($values.Count -eq 0) { continue }
                $mean, $sd = Get-MeanSd $values
                $series = switch ($column) { 'DeltaRidge' { 'Delta(model, Ridge)' } 'DeltaDmmse' { 'Delta(model, dMMSE)' } default { $resolution } }
                [pscustomobject]@{ Steps = [int]$atStep.Name; Delta = $mean; Sd = $sd; Series = $series }
            }
        }
        $seeds = @($ofM.Group.EvalSeed | Select-Object -Unique).Count
        $png = [IO.Path]::Combine($ResultDir, "task-diversity-d8-M-$($ofM.Name).png")
        # M = inf has no pool, so no dMMSE and no resolution line.
        $reference = if ($plotRows.Series -contains $resolution) { @{ Reference = $resolution } } else { @{} }
        $plotRows | Export-IclPlot -Path $png -X Steps -Y Delta -Series Series -ErrorBar Sd -LogY @reference `
            -XLabel 'updates' -YLabel 'Delta (mean sq. diff. / D)' -Title "D = 8, M = $($ofM.Name), pool tasks ($seeds eval seeds)"
        "wrote $png"
    }
    $thresholds = @(Import-Csv ([IO.Path]::Combine($ResultDir, 'task-diversity-d8-threshold.csv')))
    $paper = 'paper: 11.5 (small model, 500K x 256)'
    $plotRows = @(foreach ($atStep in @($thresholds | Group-Object { [int]$_.Steps } | Sort-Object { [int]$_.Name })) {
        foreach ($kind in @($atStep.Group | Group-Object { $_.Bound -eq 'Crossing' })) {
            $mean, $sd = Get-MeanSd @($kind.Group | ForEach-Object { ConvertTo-Number $_.Log2MStar })
            $series = if ($kind.Name -eq 'True') { 'apparent log2 M*' } else { 'no crossing: range edge' }
            [pscustomobject]@{ Steps = [int]$atStep.Name; Log2M = $mean; Sd = $sd; Series = $series }
        }
    })
    if ($plotRows.Count -gt 0) {
        $steps = @($plotRows.Steps | Sort-Object)
        $plotRows += foreach ($x in $steps[0], $steps[-1]) { [pscustomobject]@{ Steps = $x; Log2M = 11.5; Sd = 0.0; Series = $paper } }
        $png = [IO.Path]::Combine($ResultDir, 'task-diversity-d8-threshold.png')
        $plotRows | Export-IclPlot -Path $png -X Steps -Y Log2M -Series Series -ErrorBar Sd -Reference $paper `
            -XLabel 'updates (T)' -YLabel 'log2 M* (pool tasks)' -Title 'Apparent task-diversity threshold against training length, D = 8'
        "wrote $png"
    }
}

if ('LinearCurve' -in $Figure) {
    $rows = @(Import-Csv ([IO.Path]::Combine($ResultDir, 'linear-regression-curve.csv')) |
        ForEach-Object { [pscustomobject]@{ Method = $_.Method; Examples = ConvertTo-Number $_.Examples; Error = ConvertTo-Number $_.Error } })
    $png = [IO.Path]::Combine($ResultDir, 'linear-regression-curve.png')
    $rows | Export-IclPlot -Path $png -X Examples -Y Error -Series Method -LogY -XLabel 'in-context examples' -YLabel 'squared error / D' `
        -Title 'Fresh linear tasks, D = 4: M = inf model vs baselines'
    "wrote $png"
}

if ('GargClasses' -in $Figure) {
    $csv = [IO.Path]::Combine($ResultDir, 'garg-function-classes.csv')
    $rows = @(Import-Csv $csv)
    foreach ($class in $rows.Family | Select-Object -Unique) {
        $of = @($rows | Where-Object Family -eq $class)
        $png = [IO.Path]::Combine($ResultDir, "garg-$($class.ToLowerInvariant()).png")
        $of | ForEach-Object { [pscustomobject]@{ Method = $_.Method; Examples = ConvertTo-Number $_.Examples; Error = [math]::Max((ConvertTo-Number $_.Error), 1e-6) } } |
            Export-IclPlot -Path $png -X Examples -Y Error -Series Method -LogY -XLabel 'in-context examples' -YLabel 'squared error / D' `
                -Title "$class ($($of[0].Steps) updates, $($of[0].Samples) fresh tasks)"
        "wrote $png"
    }
}
