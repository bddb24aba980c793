#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# New-IclSweep, Invoke-IclSweep and Merge-IclSweep: stable unit ids, one shard per unit, resuming after a failure or a kill,
# worker processes, and a merged CSV with the bytes of a serial run.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')

    function New-TestFolder { (New-Item -ItemType Directory (Join-Path $TestDrive ([guid]::NewGuid()))).FullName }

    # A unit's work: deterministic numbers from its parameters, with a string that needs quoting and an empty cell.
    $script:UnitScript = {
        param([int]$K, [int]$Seed)
        if ($env:ICLPS_SWEEP_TEST_FAIL -eq "$K") { throw "unit K=$K stopped midway" }
        foreach ($i in 1..2) {
            [pscustomobject]@{ K = $K; Seed = $Seed; Draw = $i; Value = (Get-Random -SetSeed ($K * 100 + $Seed * 10 + $i)) / 7; Note = "a, ""quoted"" $i"; Empty = $null }
        }
    }
    $script:Units = @(New-IclSweep ([ordered]@{ K = 1, 2, 3; Seed = 0, 1 }))

    # What a serial loop writes: every unit's objects, in order, piped into one Export-IclResult.
    function Get-SerialBytes([object[]]$Units, [scriptblock]$Script) {
        $path = Join-Path (New-TestFolder) 'serial.csv'
        $Units | ForEach-Object {
            $parameters = @{}
            foreach ($p in $_.Parameters) { $parameters[$p.Key] = $p.Value }
            & $Script @parameters
        } | Export-IclResult -Path $path
        [IO.File]::ReadAllBytes($path)
    }

    function Get-MergedBytes([string]$Folder) {
        $path = Join-Path $Folder 'merged.csv'
        Merge-IclSweep -Path $Folder -Destination $path
        [IO.File]::ReadAllBytes($path)
    }
}

Describe 'New-IclSweep' {
    It 'makes one unit per combination, the first axis outermost, with names and indices' {
        $Units | Should -HaveCount 6
        $Units.Index | Should -Be @(0, 1, 2, 3, 4, 5)
        $Units.Name | Should -Be @('K=1, Seed=0', 'K=1, Seed=1', 'K=2, Seed=0', 'K=2, Seed=1', 'K=3, Seed=0', 'K=3, Seed=1')
        $Units[0].PSObject.TypeNames | Should -Contain 'IclPs.Engine.Sweeps.SweepUnit'
    }

    It 'derives each id from the canonical JSON of the parameters alone (SHA-256, 12 hex digits)' {
        $sha = [Security.Cryptography.SHA256]::Create()
        $expected = ([BitConverter]::ToString($sha.ComputeHash([Text.Encoding]::UTF8.GetBytes('{"K":2,"Seed":1}'))) -replace '-').Substring(0, 12).ToLowerInvariant()
        ($Units | Where-Object Name -EQ 'K=2, Seed=1').Id | Should -BeExactly $expected
        # Other axis values, another axis order, another plan: the same parameters keep their id.
        $other = @(New-IclSweep ([ordered]@{ Seed = 1, 5; K = 7, 2 }))
        ($other | Where-Object Name -EQ 'Seed=1, K=2').Id | Should -BeExactly $expected
        @($Units.Id | Sort-Object -Unique) | Should -HaveCount 6
    }

    It 'keeps value types apart: 1, 1.0 and "1" are three units' {
        $ids = @(New-IclSweep @{ X = 1, 1.0, '1' }).Id
        @($ids | Sort-Object -Unique) | Should -HaveCount 3
    }

    It 'orders the axes of a plain hashtable by name' {
        (New-IclSweep @{ Zeta = 1; Alpha = 2, 3 }).Name | Should -Be @('Alpha=2, Zeta=1', 'Alpha=3, Zeta=1')
    }

    It 'refuses <Case> with <ErrorId>' -ForEach @(
        @{ Case = 'a hashtable value'; Axis = @{ M = @(1, @{ a = 1 }) }; ErrorId = 'SweepAxisValueType' }
        @{ Case = 'a script block value'; Axis = @{ M = { 1 } }; ErrorId = 'SweepAxisValueType' }
        @{ Case = 'a null value'; Axis = @{ M = @(1, $null) }; ErrorId = 'SweepAxisValueType' }
        @{ Case = 'an axis without values'; Axis = @{ M = @() }; ErrorId = 'SweepAxisEmpty' }
        @{ Case = 'no axes'; Axis = @{}; ErrorId = 'SweepAxisEmpty' }
        @{ Case = 'a name that is no parameter'; Axis = @{ '2x' = 1 }; ErrorId = 'SweepAxisNameInvalid' }
        @{ Case = 'a value twice'; Axis = @{ M = 4, 4 }; ErrorId = 'SweepUnitDuplicate' }
    ) {
        $record = $null
        try { New-IclSweep -Axis $Axis } catch { $record = $_ }
        $record | Should -Not -BeNullOrEmpty
        $record.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }
}

Describe 'Invoke-IclSweep in this session and Merge-IclSweep' {
    BeforeAll {
        $script:Serial = Get-SerialBytes $Units $UnitScript
    }

    It 'writes one shard per unit, recording its parameters, and merges to the bytes of a serial run' {
        $folder = New-TestFolder
        $results = @($Units | Invoke-IclSweep -Path $folder -ScriptBlock $UnitScript)
        $results.Status | Should -Be (@('Completed') * 6)
        $results.Rows | Should -Be (@(2) * 6)
        $results[0].PSObject.TypeNames | Should -Contain 'IclPs.Engine.Sweeps.SweepUnitResult'
        $info = Get-Content (Join-Path $folder "shards/$($Units[3].Id)/unit.json") -Raw | ConvertFrom-Json
        $info.parameters.K | Should -Be 2
        $info.parameters.Seed | Should -Be 1
        $info.script.text | Should -Match 'unit K=\$K stopped midway'
        $bytes = Get-MergedBytes $folder
        [Convert]::ToBase64String($bytes) | Should -BeExactly ([Convert]::ToBase64String($Serial))
    }

    It 'skips finished units when run again' {
        $folder = New-TestFolder
        $null = $Units | Invoke-IclSweep -Path $folder -ScriptBlock $UnitScript
        $again = @($Units | Invoke-IclSweep -Path $folder -ScriptBlock $UnitScript)
        $again.Status | Should -Be (@('Skipped') * 6)
    }

    It 'resumes a sweep stopped midway to the same bytes, ignoring a leftover staging shard' {
        $folder = New-TestFolder
        $env:ICLPS_SWEEP_TEST_FAIL = '2'
        try {
            $first = @($Units | Invoke-IclSweep -Path $folder -ScriptBlock $UnitScript -ErrorAction SilentlyContinue -ErrorVariable failures)
        }
        finally { Remove-Item Env:ICLPS_SWEEP_TEST_FAIL }
        $first.Name | Should -Be @('K=1, Seed=0', 'K=1, Seed=1', 'K=3, Seed=0', 'K=3, Seed=1')
        $failures | Should -HaveCount 2
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'SweepUnitFailed,*'
        $failures[0].TargetObject.Name | Should -Be 'K=2, Seed=0'
        $failures[0].Exception.Message | Should -Match 'stopped midway'

        # What a run killed while writing a shard leaves: a staging folder with partial rows.
        $stage = New-Item -ItemType Directory (Join-Path $folder "shards/.$($Units[2].Id).$([guid]::NewGuid().ToString('N')).tmp/new") -Force
        Set-Content (Join-Path $stage 'rows.csv') "K,Seed`r`n2,0,partial"

        $merged = Join-Path $folder 'merged.csv'
        Merge-IclSweep -Path $folder -Destination $merged -ErrorAction SilentlyContinue -ErrorVariable missing -WarningAction SilentlyContinue
        $missing | Should -HaveCount 2
        $missing[0].FullyQualifiedErrorId | Should -BeLike 'SweepShardMissing,*'
        $missing.TargetObject.Name | Should -Be @('K=2, Seed=0', 'K=2, Seed=1')
        Test-Path $merged | Should -BeFalse

        $second = @($Units | Invoke-IclSweep -Path $folder -ScriptBlock $UnitScript)
        ($second | Where-Object Status -EQ 'Completed').Name | Should -Be @('K=2, Seed=0', 'K=2, Seed=1')
        @($second | Where-Object Status -EQ 'Skipped') | Should -HaveCount 4
        [Convert]::ToBase64String((Get-MergedBytes $folder)) | Should -BeExactly ([Convert]::ToBase64String($Serial))
    }

    It 'gives the same bytes when a subset ran first and the rest later, from the plan in the folder' {
        $folder = New-TestFolder
        $null = $Units | Invoke-IclSweep -Path $folder -ScriptBlock $UnitScript
        Remove-Item (Join-Path $folder "shards/$($Units[0].Id)"), (Join-Path $folder "shards/$($Units[5].Id)") -Recurse
        # -Path alone runs the plan kept in sweep.json: only the two units without a shard.
        $rerun = @(Invoke-IclSweep -Path $folder)
        ($rerun | Where-Object Status -EQ 'Completed').Index | Should -Be @(0, 5)
        [Convert]::ToBase64String((Get-MergedBytes $folder)) | Should -BeExactly ([Convert]::ToBase64String($Serial))
    }

    It 'leaves a unit another process is running to it (Busy)' {
        $folder = New-TestFolder
        $null = $Units[0] | Invoke-IclSweep -Path $folder -ScriptBlock $UnitScript
        $claim = [IclPs.Engine.Storage.WriterLock]::AcquireFile((Join-Path $folder "shards/$($Units[1].Id)"), 'test', [TimeSpan]::Zero, [Threading.CancellationToken]::None)
        try {
            $results = @($Units[0..1] | Invoke-IclSweep -Path $folder -ScriptBlock $UnitScript)
        }
        finally { $claim.Dispose() }
        $results.Status | Should -Be @('Skipped', 'Busy')
        Test-Path (Join-Path $folder "shards/$($Units[1].Id)") | Should -BeFalse
    }

    It 'runs a script file given by -FilePath' {
        $folder = New-TestFolder
        $file = Join-Path $folder 'unit.ps1'
        Set-Content $file $UnitScript.ToString()
        $null = $Units | Invoke-IclSweep -Path (Join-Path $folder 'sweep') -FilePath $file
        [Convert]::ToBase64String((Get-MergedBytes (Join-Path $folder 'sweep'))) | Should -BeExactly ([Convert]::ToBase64String($Serial))
    }

    It 'writes nothing under -WhatIf, locally or for Slurm' {
        $folder = Join-Path (New-TestFolder) 'sweep'
        $Units | Invoke-IclSweep -Path $folder -ScriptBlock $UnitScript -WhatIf
        $Units | Invoke-IclSweep -Path $folder -ScriptBlock $UnitScript -Scheduler Slurm -UnitsPerTask 4 -WhatIf
        Test-Path $folder | Should -BeFalse
    }

    It 'refuses -Wait and -Timeout where there is no Slurm job to wait for, before writing anything' {
        $folder = Join-Path (New-TestFolder) 'sweep'
        { $Units | Invoke-IclSweep -Path $folder -ScriptBlock $UnitScript -Wait } | Should -Throw -ErrorId 'SweepWaitWithoutScheduler,*'
        { $Units | Invoke-IclSweep -Path $folder -ScriptBlock $UnitScript -Scheduler Slurm -Timeout 10 } | Should -Throw -ErrorId 'SweepTimeoutWithoutWait,*'
        Test-Path $folder | Should -BeFalse
    }

    It 'refuses to merge rows with a column the first shard lacks' {
        $folder = New-TestFolder
        $null = New-IclSweep @{ K = 1, 2 } | Invoke-IclSweep -Path $folder -ScriptBlock {
            param($K)
            if ($K -eq 1) { [pscustomobject]@{ K = $K } } else { [pscustomobject]@{ K = $K; Extra = 1 } }
        }
        { Merge-IclSweep -Path $folder -Destination (Join-Path $folder 'm.csv') } | Should -Throw -ErrorId 'SweepShardColumnMismatch,*'
        Test-Path (Join-Path $folder 'm.csv') | Should -BeFalse
    }

    It 'reports a folder without a plan as SweepManifestNotFound' {
        $folder = New-TestFolder
        { Merge-IclSweep -Path $folder -Destination (Join-Path $folder 'm.csv') -ErrorAction Stop } | Should -Throw -ErrorId 'SweepManifestNotFound,*'
        { Invoke-IclSweep -Path $folder } | Should -Throw -ErrorId 'SweepManifestNotFound,*'
    }
}

Describe 'Invoke-IclSweep -ThrottleLimit (worker processes)' {
    It 'gives the bytes of a serial run, with the torch threads divided between the workers' {
        $serial = Get-SerialBytes $Units $UnitScript
        $folder = New-TestFolder
        $results = @($Units | Invoke-IclSweep -Path $folder -ScriptBlock $UnitScript -ThrottleLimit 2 -Verbose 4>&1)
        $verbose = @($results | Where-Object { $_ -is [Management.Automation.VerboseRecord] }).Message
        $threads = [Math]::Max(1, [Math]::Floor([Environment]::ProcessorCount / 2))
        $verbose | Should -Contain ($verbose | Where-Object { $_ -like "2 worker processes x $threads torch thread(s)*OMP_NUM_THREADS=$threads*torch.set_num_threads($threads)*" })
        $units = @($results | Where-Object { $_ -is [IclPs.Engine.Sweeps.SweepUnitResult] })
        $units | Should -HaveCount 6
        @($units.Status | Sort-Object -Unique) | Should -Be 'Completed'
        @($units.Worker | Sort-Object -Unique) | Should -Be @(1, 2)
        [Convert]::ToBase64String((Get-MergedBytes $folder)) | Should -BeExactly ([Convert]::ToBase64String($serial))
    }
}
