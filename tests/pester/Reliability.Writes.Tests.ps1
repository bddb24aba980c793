# Each write either completes or leaves what was there: the reported faults reproduced through the cmdlets. A save that
# cannot replace one file of a checkpoint, a bad row, a folder or read-only -Path, a final move that fails, two trainings
# on one run folder, and leftovers of killed writers. Files are made unreplaceable with chattr +i (Linux, as root);
# where that is not possible those tests are skipped (the engine tests inject the same failures through a seam).
BeforeDiscovery {
    $script:CanMakeImmutable = $false
    if ($IsLinux -and (Get-Command chattr -ErrorAction Ignore)) {
        $probe = Join-Path ([IO.Path]::GetTempPath()) "iclps-chattr-$([guid]::NewGuid().ToString('N'))"
        [IO.File]::WriteAllText($probe, 'x')
        & chattr +i $probe 2>$null
        if ($LASTEXITCODE -eq 0) {
            try { [IO.File]::Move($probe, "$probe.moved") } catch { $script:CanMakeImmutable = $true }
            & chattr -i $probe 2>$null
        }
        Remove-Item $probe, "$probe.moved" -ErrorAction Ignore
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')

    # IclPs's temporary entries (staging folders, staged files) in a folder.
    function Get-Leftovers([string]$Folder) {
        @(Get-ChildItem -LiteralPath $Folder -Force | Where-Object { [IclPs.Engine.Storage.TempFiles]::IsTempName($_.Name) })
    }

    function Get-FolderHashes([string]$Folder) {
        $hashes = [ordered]@{}
        Get-ChildItem -LiteralPath $Folder -File -Force | Sort-Object Name | ForEach-Object { $hashes[$_.Name] = (Get-FileHash -LiteralPath $_.FullName).Hash }
        $hashes | ConvertTo-Json -Compress
    }

    function Set-Immutable([string]$Path, [bool]$On) {
        & chattr $(if ($On) { '+i' } else { '-i' }) $Path
        $LASTEXITCODE | Should -Be 0
    }

    # A lock file as a process of this host that has since exited would have left it.
    function Write-DeadLock([string]$LockPath) {
        $gone = Start-Process -FilePath 'true' -PassThru -Wait
        $null = New-Item -ItemType Directory -Force (Split-Path $LockPath)
        $started = [datetime]::UtcNow.AddMinutes(-5)
        [ordered]@{ format = 'iclps-lock/1'; pid = $gone.Id; host = [Environment]::MachineName
            process_started = $started.ToString('o'); acquired = $started.AddSeconds(1).ToString('o'); purpose = 'a killed writer' } |
            ConvertTo-Json | Set-Content -LiteralPath $LockPath -NoNewline
        $gone.Id
    }

    # A new pwsh (the one running these tests; under `dotnet pwsh` that is dotnet with pwsh.dll) running $Command with the
    # module imported, in the background, its output in files.
    function Start-ChildPwsh([string]$Command, [string]$LogFolder) {
        $script = "`$ErrorActionPreference = 'Stop'; Import-Module '$(Join-Path $ModuleBase 'IclPs.psd1')'; $Command"
        $arguments = $PwshPrefix +
            @('-NoProfile', '-NonInteractive', '-EncodedCommand', [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($script)))
        Start-Process -FilePath $PwshExe -ArgumentList $arguments -PassThru `
            -RedirectStandardOutput (Join-Path $LogFolder 'child.out') -RedirectStandardError (Join-Path $LogFolder 'child.err')
    }

    # A stream of a running [powershell] as it is now (enumerating the collection itself waits for the pipeline to end).
    function Get-StreamSnapshot($Collection) { for ($i = 0; $i -lt $Collection.Count; $i++) { $Collection[$i] } }

    function Wait-Until([scriptblock]$Condition, [string]$Because, [int]$Seconds = 180) {
        $deadline = [datetime]::UtcNow.AddSeconds($Seconds)
        while (-not (& $Condition)) {
            [datetime]::UtcNow | Should -BeLessThan $deadline -Because $Because
            Start-Sleep -Milliseconds 100
        }
    }
}

Describe 'Save-IclModel: all files or none' {
    BeforeEach {
        $dir = (New-Item -ItemType Directory (Join-Path $TestDrive ([guid]::NewGuid()))).FullName
        $ckpt = Join-Path $dir 'ckpt'
        New-IclModel -Preset gpt2-tiny -Seed 1 | Save-IclModel -Path $ckpt
    }

    It 'keeps the previous checkpoint loadable when <File> cannot be replaced' -Skip:(-not $CanMakeImmutable) -ForEach @(
        @{ File = 'config.json' }
        # Sorted after config.json and the tokenizer, which are already swapped when this one fails.
        @{ File = 'model.safetensors' }
    ) {
        $before = Get-FolderHashes $ckpt
        $locked = Join-Path $ckpt $File
        Set-Immutable $locked $true
        try {
            $e = { New-IclModel -Preset gpt2-mini -Seed 2 | Save-IclModel -Path $ckpt -Force -ErrorAction Stop } |
                Should -Throw -ErrorId 'CheckpointWriteFailed,IclPs.Cmdlets.SaveIclModelCommand' -PassThru
        }
        finally { Set-Immutable $locked $false }
        $e.CategoryInfo.Category | Should -Be 'WriteError'
        $e.TargetObject | Should -Be $locked
        $e.Exception.Message | Should -BeLike "*Nothing was changed*"
        Get-FolderHashes $ckpt | Should -Be $before
        Get-Leftovers $ckpt | Should -BeNullOrEmpty
        (Import-IclModel $ckpt).Config | Should -Be (New-IclModel -Preset gpt2-tiny).Config

        New-IclModel -Preset gpt2-mini -Seed 2 | Save-IclModel -Path $ckpt -Force
        (Import-IclModel $ckpt).Config | Should -Be (New-IclModel -Preset gpt2-mini).Config
    }

    It 'refuses a folder another writer holds with FolderInUse naming the holder' {
        $before = Get-FolderHashes $ckpt
        $held = [IclPs.Engine.Storage.WriterLock]::AcquireFolder($ckpt, 'another save')
        try {
            $e = { New-IclModel -Preset gpt2-tiny -Seed 2 | Save-IclModel -Path $ckpt -Force -ErrorAction Stop } |
                Should -Throw -ErrorId 'FolderInUse,IclPs.Cmdlets.SaveIclModelCommand' -PassThru
        }
        finally { $held.Dispose() }
        $e.CategoryInfo.Category | Should -Be 'ResourceBusy'
        $e.TargetObject | Should -Be $ckpt
        $e.Exception.Message | Should -BeLike "*process $PID on host $([Environment]::MachineName) (started *for another save*"
        Get-FolderHashes $ckpt | Should -Be $before
    }

    It 'removes the staging folder of a save that was killed, and says so with -Verbose' {
        $stage = Join-Path $ckpt ([IclPs.Engine.Storage.TempFiles]::NewName('checkpoint'))
        $null = New-Item -ItemType Directory (Join-Path $stage 'new')
        [IO.File]::WriteAllBytes((Join-Path $stage 'new/model.safetensors'), [byte[]]::new(4096))
        $deadPid = Write-DeadLock (Join-Path $stage '.iclps.lock')

        $verbose = @(New-IclModel -Preset gpt2-tiny -Seed 3 | Save-IclModel -Path $ckpt -Force -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
        @([string[]]$verbose.Message -like "Removed leftover staging folder '$stage' (its writer, process $deadPid on host $([Environment]::MachineName) *, is gone).") |
            Should -HaveCount 1 -Because 'the verbose stream names what was removed and whose it was'
        $deadPid | Should -Not -Be $PID
        $stage | Should -Not -Exist
        Get-Leftovers $ckpt | Should -BeNullOrEmpty
        Join-Path $ckpt '.iclps.lock' | Should -Not -Exist
    }
}

Describe 'Export-IclResult: the original stays unless the whole write succeeds' {
    BeforeEach {
        $dir = (New-Item -ItemType Directory (Join-Path $TestDrive ([guid]::NewGuid()))).FullName
        $path = Join-Path $dir 'results.csv'
        [IO.File]::WriteAllText($path, "a,b`r`n1,2`r`n3,4`r`n5,6`r`n")
        $original = Get-FileHash $path
    }
    AfterEach {
        if (Test-Path $path) {
            if ($CanMakeImmutable) { & chattr -i $path 2>$null }
            Set-ItemProperty -LiteralPath $path -Name IsReadOnly -Value $false -ErrorAction Ignore
        }
    }

    It 'stops at a row whose columns disagree with the header and keeps the 3-row original' {
        $script:produced = 0
        $rows = { 1..100 | ForEach-Object { $script:produced++; if ($_ -eq 2) { [pscustomobject]@{ a = 9; c = 10 } } else { [pscustomobject]@{ a = $_; b = 0 } } } }
        $e = { & $rows | Export-IclResult $path } | Should -Throw -ErrorId 'CsvRowColumnMismatch,IclPs.Cmdlets.ExportIclResultCommand' -PassThru
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e.TargetObject | Should -Be 'c'
        $e.Exception.Message | Should -BeLike "*Nothing was written: '$path' was left as it was*-SkipInvalidRows*"
        $script:produced | Should -BeLessThan 100 -Because 'the error stops the pipeline instead of discarding its work'
        (Get-FileHash $path).Hash | Should -Be $original.Hash
        @(Import-Csv $path) | Should -HaveCount 3
        Get-Leftovers $dir | Should -BeNullOrEmpty
    }

    It 'with -SkipInvalidRows reports the bad row and writes the others' {
        $verbose = @([pscustomobject]@{ a = 1; b = 2 }, [pscustomobject]@{ a = 3; c = 4 }, [pscustomobject]@{ b = 6 } |
            Export-IclResult $path -SkipInvalidRows -ErrorVariable problems -ErrorAction SilentlyContinue -Verbose 4>&1)
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -Be 'CsvRowColumnMismatch,IclPs.Cmdlets.ExportIclResultCommand'
        $problems[0].TargetObject | Should -Be 'c'
        Get-Content $path | Should -Be @('a,b', '1,2', ',6')
        $verbose.Message | Should -Contain "Wrote 2 row(s) of 2 column(s) to '$path'. Skipped 1 invalid object(s), reported as errors."
    }

    It 'refuses a -Path that is a folder before any row is read' {
        $script:produced = 0
        $e = { 1..3 | ForEach-Object { $script:produced++; [pscustomobject]@{ a = $_ } } | Export-IclResult $dir } |
            Should -Throw -ErrorId 'ResultPathIsDirectory,IclPs.Cmdlets.ExportIclResultCommand' -PassThru
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e.TargetObject | Should -Be $dir
        $script:produced | Should -Be 0
        Get-Leftovers $dir | Should -BeNullOrEmpty
    }

    It 'refuses a read-only file and leaves it as it was' {
        Set-ItemProperty -LiteralPath $path -Name IsReadOnly -Value $true
        $e = { [pscustomobject]@{ a = 7; b = 8 } | Export-IclResult $path } |
            Should -Throw -ErrorId 'ResultFileReadOnly,IclPs.Cmdlets.ExportIclResultCommand' -PassThru
        $e.CategoryInfo.Category | Should -Be 'WriteError'
        $e.TargetObject | Should -Be $path
        (Get-FileHash $path).Hash | Should -Be $original.Hash
        Get-Leftovers $dir | Should -BeNullOrEmpty
    }

    It 'removes its staged copy when the final move fails' -Skip:(-not $CanMakeImmutable) {
        Set-Immutable $path $true
        $e = { [pscustomobject]@{ a = 7; b = 8 } | Export-IclResult $path } |
            Should -Throw -ErrorId 'ResultFileWriteFailed,IclPs.Cmdlets.ExportIclResultCommand' -PassThru
        $e.CategoryInfo.Category | Should -Be 'WriteError'
        $e.TargetObject | Should -Be $path
        Set-Immutable $path $false
        (Get-FileHash $path).Hash | Should -Be $original.Hash
        Get-Leftovers $dir | Should -BeNullOrEmpty
    }

    Context 'concurrent exports to one path' {
        BeforeAll {
            # Runs each script in its own runspace of this process, all at once, and waits for all.
            function Invoke-Parallel([string[]]$Scripts) {
                $runs = foreach ($script in $Scripts) {
                    $ps = New-ModulePowerShell
                    $null = $ps.AddScript($script)
                    [pscustomobject]@{ PowerShell = $ps; Handle = $ps.BeginInvoke() }
                }
                foreach ($run in $runs) {
                    try { $null = $run.PowerShell.EndInvoke($run.Handle); $run.PowerShell.Streams.Error | Should -BeNullOrEmpty }
                    finally { $run.PowerShell.Dispose() }
                }
            }
        }

        It 'keeps every row when several -Append exports finish together' {
            Invoke-Parallel @(1..4 | ForEach-Object { "1..50 | ForEach-Object { [pscustomobject]@{ a = $_; b = `$_ } } | Export-IclResult '$path' -Append" })
            $rows = @(Import-Csv $path)
            $rows | Should -HaveCount (3 + 4 * 50)
            @($rows | Select-Object -Skip 3 | ForEach-Object { "$($_.a)/$($_.b)" } | Sort-Object -Unique) | Should -HaveCount 200
            Get-Leftovers $dir | Should -BeNullOrEmpty
        }

        It 'leaves one export''s whole file when several replacing exports finish together (the last wins)' {
            Invoke-Parallel @(1..4 | ForEach-Object { "1..300 | ForEach-Object { [pscustomobject]@{ writer = $_; row = `$_ } } | Export-IclResult '$path'" })
            $rows = @(Import-Csv $path)
            $rows | Should -HaveCount 300
            @($rows.writer | Sort-Object -Unique) | Should -HaveCount 1
            ($rows.row -join ',') | Should -Be ((1..300) -join ',')
            Get-Leftovers $dir | Should -BeNullOrEmpty
        }
    }

    It 'removes staged copies left by a killed export, keeps a live writer''s, and says so with -Verbose' {
        $dead = Join-Path $dir ([IclPs.Engine.Storage.TempFiles]::NewName('results.csv'))
        [IO.File]::WriteAllText($dead, "a,b`r`n99,99`r`n")
        (Get-Item -Force $dead).LastWriteTimeUtc = [datetime]::UtcNow.AddMinutes(-10)
        $live = Join-Path $dir ([IclPs.Engine.Storage.TempFiles]::NewName('other.csv'))
        [IO.File]::WriteAllText($live, "x`r`n")
        (Get-Item -Force $live).LastWriteTimeUtc = [datetime]::UtcNow.AddMinutes(-10)
        $young = Join-Path $dir ([IclPs.Engine.Storage.TempFiles]::NewName('young.csv'))
        [IO.File]::WriteAllText($young, "x`r`n")
        $holder = [IO.File]::Open($live, 'Open', 'ReadWrite', 'None')
        try {
            $verbose = @([pscustomobject]@{ a = 7; b = 8 } | Export-IclResult $path -Append -Verbose 4>&1)
        }
        finally { $holder.Dispose() }
        $verbose.Message | Should -Contain "Removed leftover temporary file '$dead': no writer holds it."
        $dead | Should -Not -Exist
        $live | Should -Exist
        $young | Should -Exist
        @(Import-Csv $path) | Should -HaveCount 4
    }
}

Describe 'Start-IclTraining: one run per folder' {
    BeforeAll {
        $dir = (New-Item -ItemType Directory (Join-Path $TestDrive 'training')).FullName
        $run = Join-Path $dir 'run'
        # A run long enough to be killed part-way; -Resume must repeat its run-defining options. It keeps every checkpoint:
        # a kill while it deletes an old one would leave that one renamed and unlocked, which cleanup rightly keeps for a
        # minute (it looks like a staging folder whose writer has not locked it yet), and this test checks a clean folder.
        $trainArgs = "-Dimension 2 -Points 4 -Steps 1000000 -BatchSize 4 -EvaluateEvery 0 -EvaluationSamples 4 -Seed 7 -CheckpointEvery 50 -KeepCheckpoints 1000 -Path '$run'"
        $child = Start-ChildPwsh "Start-IclTraining $trainArgs | Out-Null" $dir
    }
    AfterAll {
        if ($child -and -not $child.HasExited) { $child.Kill($true); $child.WaitForExit() }
    }

    It 'stops a second run on a held folder with FolderInUse naming the holder, then takes over after the holder is killed' {
        $lockPath = Join-Path $run '.iclps.lock'
        Wait-Until -Because "the child run should lock its folder and write a checkpoint (see $dir/child.err)" {
            $child.HasExited | Should -BeFalse -Because (Get-Content -Raw (Join-Path $dir 'child.err') -ErrorAction Ignore)
            (Test-Path $lockPath) -and @(Get-ChildItem $run -Directory -Filter 'step-*').Count -gt 0
        }
        $before = Get-FolderHashes $run

        $e = { Start-IclTraining -Dimension 2 -Points 4 -Steps 10 -BatchSize 4 -EvaluationSamples 4 -Path $run -ErrorAction Stop } |
            Should -Throw -ErrorId 'FolderInUse,IclPs.Cmdlets.StartIclTrainingCommand' -PassThru
        $e.CategoryInfo.Category | Should -Be 'ResourceBusy'
        $e.TargetObject | Should -Be $run
        $e.Exception.Message | Should -BeLike "Folder '$run' is in use by process $($child.Id) on host $([Environment]::MachineName) (started *Z, holding it since *Z for Start-IclTraining)*"
        (Get-FolderHashes $run) | Should -Be $before -Because 'the refused run writes nothing (regression-task.json included)'

        # Killed: its lock file stays behind, held by nobody; so does what it was staging, plus one more leftover.
        $child.Kill($true)
        $child.WaitForExit()
        $lockPath | Should -Exist
        $stage = Join-Path $run ([IclPs.Engine.Storage.TempFiles]::NewName('step-00000121'))
        $null = New-Item -ItemType Directory (Join-Path $stage 'new')
        Set-Content (Join-Path $stage 'new/config.json') '{}'
        $null = Write-DeadLock (Join-Path $stage '.iclps.lock')
        $csvTemp = Join-Path $run ([IclPs.Engine.Storage.TempFiles]::NewName('x.csv'))
        Set-Content $csvTemp 'partial'
        (Get-Item -Force $csvTemp).LastWriteTimeUtc = [datetime]::UtcNow.AddMinutes(-10)

        # -Resume: stopped (as by Ctrl+C) once it trains, which releases the folder.
        $ps = New-ModulePowerShell
        try {
            $null = $ps.AddScript("Start-IclTraining $trainArgs -Resume -Verbose")
            $handle = $ps.BeginInvoke()
            Wait-Until -Because 'the resumed run should start training' {
                $handle.IsCompleted | Should -BeFalse -Because "the resumed run should still be training: $(Get-StreamSnapshot $ps.Streams.Error)"
                @(Get-StreamSnapshot $ps.Streams.Verbose | Where-Object Message -Like 'Training *').Count -gt 0
            }
            $ps.Stop()
            $messages = [string[]]@(Get-StreamSnapshot $ps.Streams.Verbose | ForEach-Object Message)
            # Stopping records one error, PipelineStopped; nothing else may have gone wrong.
            @(Get-StreamSnapshot $ps.Streams.Error | Where-Object { $_.FullyQualifiedErrorId -notlike 'PipelineStopped*' } | ForEach-Object { "$($_.FullyQualifiedErrorId): $_" }) |
                Should -BeNullOrEmpty
        }
        finally { $ps.Dispose() }

        @($messages -like "Took over the lock of run folder '$run' left by process $($child.Id) on host *, which is gone.") | Should -HaveCount 1 -Because ($messages -join "`n")
        @($messages -like "Removed leftover staging folder '$stage' (its writer, process * is gone).") | Should -HaveCount 1
        $messages | Should -Contain "Removed leftover temporary file '$csvTemp': no writer holds it."
        Get-Leftovers $run | Should -BeNullOrEmpty
        $lockPath | Should -Not -Exist
        @(Get-ChildItem $run -Directory -Filter 'step-*').Count | Should -BeGreaterThan 0 -Because 'complete checkpoints are never cleaned up'
    }
}
