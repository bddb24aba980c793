<#
.SYNOPSIS
    Trains the regression models shipped with the module (module/models/linear-d8 and module/models/linear-d8-pool).
.DESCRIPTION
    Both are D = 8, K = 16, sigma^2 = 0.25 linear regression (docs/science.md §2) on the regression-small preset, whose
    256 positions cover prompts far longer than the 32 training tokens:
      linear-d8       a fresh task w per sequence (M = inf), with Garg et al.'s curriculum (D and K raised over the first half):
                      should behave like Ridge on fresh tasks. Without the curriculum it had not left the loss plateau after
                      1500 updates of 64.
      linear-d8-pool  a pool of -PoolSize tasks (default M = 4 < D): should behave like dMMSE, good on pool tasks only.
                      Shipped with -Steps 1500: a 4-task pool is learned long before 4000 updates.
    Each model is trained with Start-IclTraining, measured with Measure-IclRegression -Summary (Ridge, and dMMSE where there is
    a pool; -Samples sequences per task source), and written as <Destination>/<name>/: config.json + model.safetensors (the
    engine's checkpoint), regression-task.json, and iclps-model.json (the manifest Get-IclModel reads: the exact command,
    seed, steps, batch, wall seconds, metrics, commit). The folder is assembled beside its destination and renamed into
    place, so a stopped run leaves the previous model as it was.
        dotnet pwsh -NoProfile -c 'Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./tools/Train-DefaultModels.ps1'
        dotnet pwsh -NoProfile -c 'Import-Module ./artifacts/IclPs/0.1.0/IclPs.psd1; ./tools/Train-DefaultModels.ps1 -Name linear-d8-pool -Steps 1500'
    Each manifest's command is the script line, with every setting, that produced its folder.
#>
param(
    # Which models to train.
    [ValidateSet('linear-d8', 'linear-d8-pool')]
    [string[]]$Name = @('linear-d8', 'linear-d8-pool'),
    [int]$Steps = 4000,
    [int]$BatchSize = 64,
    [double]$LearningRate = 1e-3,
    [long]$Seed = 1,
    [long]$TaskSeed = 1,
    [int]$PoolSize = 4,
    [int]$Samples = 2000,
    # libtorch intra-op threads. On the shared 2-core build machine one thread trained about 3x faster than two (two threads
    # spin against each other and against other jobs); on a free machine more threads are faster.
    [int]$Threads = 1,
    [string]$Destination = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '../module/models'))
)
$ErrorActionPreference = 'Stop'
$preset = 'regression-small'
$repo = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '..'))

# The manifest names the source that trained the model; Start-Process and git's PowerShell helpers are not in every host.
function Get-SourceCommit {
    $info = [Diagnostics.ProcessStartInfo]::new('git', 'rev-parse --short HEAD')
    $info.WorkingDirectory = $repo
    $info.RedirectStandardOutput = $true
    $info.UseShellExecute = $false
    $process = [Diagnostics.Process]::Start($info)
    $commit = $process.StandardOutput.ReadToEnd().Trim()
    $process.WaitForExit()
    if ($process.ExitCode -ne 0 -or $commit -eq '') { throw "git rev-parse in $repo failed; the manifest needs the source commit." }
    $commit
}

$commit = Get-SourceCommit
# TorchSharp's statics may be touched only after the engine has loaded its natives.
[IclPs.Engine.Native.TorchNativeLoader]::EnsureLoaded()
[TorchSharp.torch]::set_num_threads($Threads)
$null = [IO.Directory]::CreateDirectory($Destination)
foreach ($model in $Name) {
    $pool = if ($model -eq 'linear-d8-pool') { $PoolSize } else { 0 }
    [string]$description = if ($pool -eq 0) {
        "D=8 linear regression, a fresh task per sequence (M=inf), ${preset} with Garg's curriculum: Ridge-like in context."
    }
    else {
        "D=8 linear regression on a pool of M=$pool tasks (task seed $TaskSeed), ${preset}: dMMSE-like, good on pool tasks only."
    }
    [string]$command = "./tools/Train-DefaultModels.ps1 -Name $model -Steps $Steps -BatchSize $BatchSize " +
        "-LearningRate $LearningRate -Seed $Seed -TaskSeed $TaskSeed -PoolSize $PoolSize -Samples $Samples -Threads $Threads"
    "== ${model}: $Steps updates of $BatchSize on $preset, M = $(if ($pool -eq 0) { 'inf' } else { $pool }), seed $Seed =="

    $clock = [Diagnostics.Stopwatch]::StartNew()
    # The curriculum exists for fresh tasks only; a pool model learns its few tasks without it.
    $output = @(Start-IclTraining -Preset $preset -Dimension 8 -Points 16 -TaskPoolSize $pool -TaskSeed $TaskSeed -Steps $Steps `
        -BatchSize $BatchSize -LearningRate $LearningRate -Seed $Seed -Curriculum:($pool -eq 0) -EvaluateEvery 500 -Name $model -PassThru)
    $trainingSeconds = $clock.Elapsed.TotalSeconds
    $trained = $output[-1]
    $staging = [IO.Path]::Combine($Destination, ".$model.partial-$PID")
    try {
        foreach ($row in $output[0..($output.Count - 2)]) {
            'update {0,6}: loss {1:0.0000}, held-out error pretrain {2:0.0000}, fresh {3:0.0000}' -f $row.Step, $row.Loss, $row.PretrainError, $row.FreshError
        }
        $baselines = if ($pool -eq 0) { @('Ridge') } else { @('Ridge', 'Dmmse') }
        $summaries = @(Measure-IclRegression -Model $trained -Baseline $baselines -Samples $Samples -Seed 0 -Summary)
        # Typed values: the serializer must see doubles and strings, not PowerShell's wrappers around them.
        $measured = [ordered]@{}
        foreach ($s in $summaries) {
            $measured["$($s.TaskSource)Error"] = [double][Math]::Round($s.ModelError, 5)
            $measured["$($s.TaskSource)RidgeError"] = [double][Math]::Round($s.RidgeError, 5)
            $measured["$($s.TaskSource)DeltaRidge"] = [double][Math]::Round($s.DeltaRidge, 5)
            if ($null -ne $s.DmmseError) {
                $measured["$($s.TaskSource)DmmseError"] = [double][Math]::Round($s.DmmseError, 5)
                $measured["$($s.TaskSource)DeltaDmmse"] = [double][Math]::Round($s.DeltaDmmse, 5)
            }
        }
        $measured['finalLoss'] = [double][Math]::Round($output[-2].Loss, 5)
        # The first three are the headline Get-IclModel's table shows: how close to Ridge on fresh tasks, or pool vs fresh and dMMSE.
        $headline = if ($pool -eq 0) { 'freshError', 'freshRidgeError', 'freshDeltaRidge' } else { 'pretrainError', 'freshError', 'pretrainDeltaDmmse' }
        $metrics = [ordered]@{}
        foreach ($key in @($headline) + @($measured.Keys | Where-Object { $_ -notin $headline })) { $metrics[$key] = $measured[$key] }
        $manifest = [ordered]@{
            name            = [string]$model
            kind            = 'Regression'
            description     = $description
            command         = $command
            seed            = $Seed
            steps           = $Steps
            batchSize       = $BatchSize
            trainingSeconds = [double][Math]::Round($trainingSeconds, 1)
            metrics         = $metrics
            commit          = [string]$commit
        }

        if ([IO.Directory]::Exists($staging)) { [IO.Directory]::Delete($staging, $true) }
        [IclPs.Engine.Checkpoints.HfCheckpoint]::Save($trained.Network, $staging)
        $trained.Task.Save($staging)
        $json = [Text.Json.JsonSerializer]::Serialize($manifest, [Collections.Specialized.OrderedDictionary],
            [Text.Json.JsonSerializerOptions]@{ WriteIndented = $true; Encoder = [Text.Encodings.Web.JavaScriptEncoder]::UnsafeRelaxedJsonEscaping })
        [IO.File]::WriteAllText([IO.Path]::Combine($staging, 'iclps-model.json'), $json + "`n")

        # The old folder steps aside only once the new one is complete, and is removed only after the new one is in place.
        $target = [IO.Path]::Combine($Destination, $model)
        $previous = [IO.Path]::Combine($Destination, ".$model.previous-$PID")
        if ([IO.Directory]::Exists($target)) { [IO.Directory]::Move($target, $previous) }
        [IO.Directory]::Move($staging, $target)
        if ([IO.Directory]::Exists($previous)) { [IO.Directory]::Delete($previous, $true) }
    }
    finally {
        $trained.Dispose()
        if ([IO.Directory]::Exists($staging)) { [IO.Directory]::Delete($staging, $true) }
    }
    foreach ($s in $summaries) {
        '{0,-8} error {1:0.0000}  ridge {2:0.0000}  DeltaRidge {3:0.0000}  dMMSE {4}  DeltaDmmse {5}' -f $s.TaskSource, $s.ModelError, $s.RidgeError,
            $s.DeltaRidge, $(if ($null -eq $s.DmmseError) { 'n/a' } else { '{0:0.0000}' -f $s.DmmseError }),
            $(if ($null -eq $s.DeltaDmmse) { 'n/a' } else { '{0:0.0000}' -f $s.DeltaDmmse })
    }
    '{0}: trained in {1:0.0} s, total {2:0.0} s; wrote {3}' -f $model, $trainingSeconds, $clock.Elapsed.TotalSeconds, $target
}
