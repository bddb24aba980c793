<#
.SYNOPSIS
    Speed-up of Invoke-IclSweep -ThrottleLimit N over the same sweep run serially in this session, measured in one run.
.DESCRIPTION
    The sweep: -Units tiny regression trainings (Start-IclTraining -Preset regression-tiny, D = 4, K = 16, -Steps updates of
    batch 64, one seed per unit). Serial: the units one after another in this pwsh, with torch's default threads (one per
    core). Parallel: -ThrottleLimit worker processes, max(1, cores / N) torch threads each; its time includes starting the
    workers. Both write shards into fresh folders; the merged CSVs are compared byte for byte (same numbers only when the
    thread counts agree; reported, not asserted). Prints the times, the ratio and the CPU, and appends a row to
    bench/results/sweep-speedup-<time>.csv.
        dotnet pwsh -NoProfile -c 'Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./bench/Sweep-Speedup.ps1'
#>
param([int]$Units = 4, [int]$Steps = 300, [int]$ThrottleLimit = [Environment]::ProcessorCount)
$ErrorActionPreference = 'Stop'
$work = Join-Path ([IO.Path]::GetTempPath()) "iclps-sweep-bench-$PID"
$plan = New-IclSweep ([ordered]@{ Seed = @(0..($Units - 1)); Steps = $Steps })
$train = {
    param([int]$Seed, [int]$Steps)
    $run = Join-Path ([IO.Path]::GetTempPath()) "iclps-sweep-bench-run-$([guid]::NewGuid())"
    try {
        Start-IclTraining -Preset regression-tiny -Dimension 4 -Points 16 -Steps $Steps -BatchSize 64 -EvaluateEvery $Steps -Path $run -Seed $Seed |
            Select-Object @{ Name = 'Seed'; Expression = { $Seed } }, Step, Loss, FreshError
    }
    finally { Remove-Item $run -Recurse -Force -ErrorAction SilentlyContinue }
}
try {
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $null = $plan | Invoke-IclSweep -Path "$work/serial" -ScriptBlock $train
    $serial = $clock.Elapsed.TotalSeconds
    $clock.Restart()
    $null = $plan | Invoke-IclSweep -Path "$work/parallel" -ScriptBlock $train -ThrottleLimit $ThrottleLimit
    $parallel = $clock.Elapsed.TotalSeconds
    Merge-IclSweep "$work/serial" "$work/serial.csv"
    Merge-IclSweep "$work/parallel" "$work/parallel.csv"
    $same = (Get-FileHash "$work/serial.csv").Hash -eq (Get-FileHash "$work/parallel.csv").Hash
    $cpu = ((Get-Content /proc/cpuinfo | Select-String '^model name' | Select-Object -First 1) -replace '^model name\s*:\s*', '')
    $row = [pscustomobject]@{
        Date = [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ'); Cpu = $cpu; Cores = [Environment]::ProcessorCount; Units = $Units; Steps = $Steps
        Workers = $ThrottleLimit; SerialSeconds = [Math]::Round($serial, 1); ParallelSeconds = [Math]::Round($parallel, 1)
        SpeedUp = [Math]::Round($serial / $parallel, 2); SameBytes = $same; Load = (Get-Content /proc/loadavg)
    }
    $out = Join-Path $PSScriptRoot "results/sweep-speedup-$([DateTime]::UtcNow.ToString('yyyyMMdd-HHmmss')).csv"
    $row | Export-IclResult -Path $out
    $row
}
finally { Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue }
