#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Invoke-IclSweep -Scheduler Slurm against a real single-node Slurm cluster: installs Debian's slurmd, slurmctld,
# slurm-client and munge when they are missing (apt-get, as root), starts munged, slurmctld and slurmd with a private
# slurm.conf (SLURM_CONF), submits a small sweep as an array job, waits for it, merges the shards and compares the bytes
# with a serial run in this session; AfterAll stops the daemons it started, by process id. Tagged Slurm: it installs
# packages and takes about a minute; CI runs it.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:Started = [Collections.Generic.List[Diagnostics.Process]]::new()
    $script:Unavailable = $null
    $script:PreviousSlurmConf = $env:SLURM_CONF

    function Test-Tool([string[]]$Names) { -not ($Names | Where-Object { -not (Get-Command $_ -ErrorAction SilentlyContinue) }) }

    # Waits up to $Seconds for $Condition; returns whether it held.
    function Wait-Until([scriptblock]$Condition, [int]$Seconds) {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        while ($clock.Elapsed.TotalSeconds -lt $Seconds) {
            if (& $Condition) { return $true }
            Start-Sleep -Milliseconds 500
        }
        $false
    }

    function Start-Daemon([string]$Name, [string[]]$Arguments) {
        $log = Join-Path $TestDrive "$Name.log"
        $process = Start-Process -FilePath (Get-Command $Name).Source -ArgumentList $Arguments -PassThru -RedirectStandardOutput $log -RedirectStandardError "$log.err"
        $Started.Add($process)
        $process
    }

    $isRoot = $IsLinux -and (& id -u) -eq '0'
    $tools = 'munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'sinfo'
    if (-not (Test-Tool $tools)) {
        if (-not $isRoot -or -not (Get-Command apt-get -ErrorAction SilentlyContinue)) {
            $script:Unavailable = 'Slurm is not installed and this is not a root Debian session that could apt-get install it.'
        }
        else {
            $env:DEBIAN_FRONTEND = 'noninteractive'
            $aptLog = Join-Path $TestDrive 'apt.log'
            & apt-get install -y -q --no-install-recommends slurmd slurmctld slurm-client munge *> $aptLog
            if ($LASTEXITCODE -ne 0) {
                & apt-get update -q *>> $aptLog
                & apt-get install -y -q --no-install-recommends slurmd slurmctld slurm-client munge *>> $aptLog
            }
            if (-not (Test-Tool $tools)) { throw "apt-get could not install Slurm (exit code $LASTEXITCODE): $(Get-Content $aptLog -Tail 20 | Out-String)" }
        }
    }
    if (-not $Unavailable -and -not $isRoot) { $script:Unavailable = 'The single-node cluster runs its daemons as root; this session is not root.' }

    if (-not $Unavailable) {
        $hostName = (& hostname -s).Trim()
        $root = Join-Path $TestDrive 'slurm'
        $null = New-Item -ItemType Directory (Join-Path $root 'state'), (Join-Path $root 'spool')
        # Ports of its own, so a cluster already on this machine is left alone.
        $port = Get-Random -Minimum 17000 -Maximum 27000 -SetSeed $PID
        $conf = Join-Path $root 'slurm.conf'
        @(
            'ClusterName=iclpstest'
            "SlurmctldHost=$hostName"
            "SlurmctldPort=$port"
            "SlurmdPort=$($port + 1)"
            'SlurmUser=root'
            'AuthType=auth/munge'
            'ProctrackType=proctrack/linuxproc'
            'TaskPlugin=task/none'
            'SelectType=select/cons_tres'
            'SelectTypeParameters=CR_CPU'
            'MpiDefault=none'
            'ReturnToService=2'
            'AccountingStorageType=accounting_storage/none'
            'JobCompType=jobcomp/none'
            "StateSaveLocation=$root/state"
            "SlurmdSpoolDir=$root/spool"
            "SlurmctldPidFile=$root/slurmctld.pid"
            "SlurmdPidFile=$root/slurmd.pid"
            "SlurmctldLogFile=$root/slurmctld.log"
            "SlurmdLogFile=$root/slurmd.log"
            "NodeName=$hostName CPUs=$([Environment]::ProcessorCount) State=UNKNOWN"
            "PartitionName=iclps Nodes=$hostName Default=YES MaxTime=INFINITE State=UP"
        ) | Set-Content $conf
        $env:SLURM_CONF = $conf

        # One munged per machine: start it only when none runs, and then stop it afterwards.
        if (-not (Get-Process munged -ErrorAction SilentlyContinue)) {
            if (-not (Test-Path /etc/munge/munge.key)) { & mungekey --create *> $null }
            $null = New-Item -ItemType Directory /run/munge -Force
            $null = Start-Daemon munged @('--foreground', '--force')
            if (-not (Wait-Until { Test-Path /run/munge/munge.socket.2 } 20)) { throw "munged did not start: $(Get-Content (Join-Path $TestDrive 'munged.log.err') -Raw)" }
        }
        $null = Start-Daemon slurmctld @('-D', '-f', $conf)
        $null = Start-Daemon slurmd @('-D', '-f', $conf)
        $idle = Wait-Until { (& sinfo -h -o '%T' 2> $null) -match '^idle' } 60
        if (-not $idle) { throw "The Slurm node did not come up idle: $(& sinfo 2>&1 | Out-String) $(Get-Content "$root/slurmctld.log", "$root/slurmd.log" -Tail 10 -ErrorAction SilentlyContinue | Out-String)" }
    }
}

AfterAll {
    # Newest first: slurmd, slurmctld, then munged if this suite started it.
    for ($i = $Started.Count - 1; $i -ge 0; $i--) {
        $process = $Started[$i]
        if (-not $process.HasExited) {
            Stop-Process -Id $process.Id -ErrorAction SilentlyContinue
            if (-not $process.WaitForExit(10000)) { Stop-Process -Id $process.Id -Force -ErrorAction SilentlyContinue }
        }
    }
    $env:SLURM_CONF = $PreviousSlurmConf
}

Describe 'Invoke-IclSweep -Scheduler Slurm on a single-node cluster' -Tag Slurm {
    It 'runs a sweep as an array job whose merged shards equal a serial run byte for byte' {
        if ($Unavailable) { Set-ItResult -Skipped -Because $Unavailable; return }
        # Each unit prompts the shipped linear-d8 model on fresh tasks: real engine work in each array task.
        $unitScript = {
            param([int]$Points, [int]$Seed)
            Get-IclModel linear-d8 -Load | Invoke-IclPrompt -TaskSource fresh -Points $Points -Samples 3 -Seed $Seed -Baseline Ridge |
                Select-Object @{ Name = 'Points'; Expression = { $Points } }, Index, Seed, Prediction, Expected, Ridge
        }
        $units = @(New-IclSweep ([ordered]@{ Points = 4, 8; Seed = 0, 1 }))
        $serial = Join-Path $TestDrive 'serial.csv'
        $units | ForEach-Object { & $unitScript -Points $_.Parameters[0].Value -Seed $_.Parameters[1].Value } | Export-IclResult -Path $serial

        $folder = Join-Path $TestDrive 'sweep'
        # -Wait returns once the job has left the queue; -Timeout keeps a stuck cluster from hanging the suite.
        $submission = $units | Invoke-IclSweep -Path $folder -ScriptBlock $unitScript -Scheduler Slurm -UnitsPerTask 2 -Wait -Timeout 240 -PollSeconds 1 -ErrorVariable waitErrors
        $logs = Get-ChildItem (Join-Path $folder 'slurm') -Filter '*.out' | ForEach-Object { "$($_.Name):`n$(Get-Content $_ -Raw)" }
        $waitErrors | Should -BeNullOrEmpty -Because "the job should end within 4 minutes with every unit's shard; $logs"
        $submission.PSObject.TypeNames | Should -Contain 'IclPs.Engine.Sweeps.SweepSubmission'
        $submission.JobId | Should -Match '^\d+$'
        $submission.Array | Should -Be '0-1'
        Get-Content (Join-Path $folder 'slurm/sweep.sbatch') | Should -Contain '#SBATCH --array=0-1'
        & squeue -h -j $submission.JobId 2> $null | Should -BeNullOrEmpty
        @(Get-ChildItem (Join-Path $folder 'slurm') -Filter "slurm-$($submission.JobId)_*.out") | Should -HaveCount 2

        $merged = Join-Path $TestDrive 'merged.csv'
        Merge-IclSweep -Path $folder -Destination $merged -ErrorAction Stop
        [Convert]::ToBase64String([IO.File]::ReadAllBytes($merged)) | Should -BeExactly ([Convert]::ToBase64String([IO.File]::ReadAllBytes($serial))) -Because ($logs -join "`n")

        # Submitted again, every unit has its shard: nothing to submit.
        $units | Invoke-IclSweep -Path $folder -ScriptBlock $unitScript -Scheduler Slurm -UnitsPerTask 2 | Should -BeNullOrEmpty
    }

    It 'reports each unit the job left without a shard once -Wait sees the job end, naming its task log' {
        if ($Unavailable) { Set-ItResult -Skipped -Because $Unavailable; return }
        $folder = Join-Path $TestDrive 'failing'
        $units = @(New-IclSweep ([ordered]@{ Value = 1, 2 }))
        $submission = $units | Invoke-IclSweep -Path $folder -ScriptBlock { param([int]$Value) if ($Value -eq 2) { throw 'unit two fails' }; [pscustomobject]@{ Value = $Value } } `
            -Scheduler Slurm -Wait -Timeout 240 -PollSeconds 1 -ErrorVariable waitErrors -ErrorAction SilentlyContinue
        $submission.Tasks | Should -Be 2
        $waitErrors | Should -HaveCount 1
        $waitErrors[0].FullyQualifiedErrorId | Should -BeLike 'SweepShardMissing,*'
        $waitErrors[0].TargetObject.Index | Should -Be 1
        $waitErrors[0].Exception.Message | Should -Match "slurm-$($submission.JobId)_1\.out"
        Get-Content (Join-Path $folder "slurm/slurm-$($submission.JobId)_1.out") -Raw | Should -Match 'unit two fails'
        Test-Path (Join-Path $folder "shards/$($units[0].Id)/rows.csv") | Should -BeTrue
    }
}
