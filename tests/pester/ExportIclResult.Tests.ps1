BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')

    # The staging files Export-IclResult writes beside the target (.NAME.*.tmp) before it moves one into place.
    function Get-LeftoverTempFiles([string]$Folder) { [IO.Directory]::GetFiles($Folder, '.*.tmp') }

    # A row read back by Import-Csv, as its values in column order.
    function Get-Values($Row) { $Row.PSObject.Properties.Value }
}

Describe 'Export-IclResult' {
    BeforeEach {
        $dir = New-Item -ItemType Directory (Join-Path $TestDrive ([guid]::NewGuid()))
    }

    It 'writes objects as rows in property order, culture-invariant, that Import-Csv reads back' {
        $path = Join-Path $dir 'results.csv'
        $culture = [cultureinfo]::CurrentCulture
        try {
            [cultureinfo]::CurrentCulture = 'de-DE'
            (0.25).ToString() | Should -Be '0,25' -Because 'the test needs a culture with a decimal comma'
            @(
                [pscustomobject]@{ Query = 'hot'; Score = 0.25; Correct = $true; Tokens = @(1, 2, 3); Note = "a, `"quoted`"`nline"
                    When = [datetime]::new(2024, 5, 6, 7, 8, 9, [DateTimeKind]::Utc); Nested = [pscustomobject]@{ k = 1 } }
                [pscustomobject]@{ Query = 'big'; Score = 1234.5; Correct = $false; Tokens = @(); Note = $null; When = $null; Nested = $null }
            ) | Export-IclResult $path
        }
        finally { [cultureinfo]::CurrentCulture = $culture }
        [IO.File]::ReadAllText($path) | Should -BeLikeExactly "Query,Score,Correct,Tokens,Note,When,Nested`r`n*"
        $rows = @(Import-Csv $path)
        $rows | Should -HaveCount 2
        $rows[0].PSObject.Properties.Name | Should -Be @('Query', 'Score', 'Correct', 'Tokens', 'Note', 'When', 'Nested')
        Get-Values $rows[0] | Should -BeExactly @('hot', '0.25', 'True', '1;2;3', "a, `"quoted`"`nline", '2024-05-06T07:08:09.0000000Z', '@{k=1}')
        Get-Values $rows[1] | Should -BeExactly @('big', '1234.5', 'False', '', '', '', '')
    }

    It 'summarises vectors unless -FlattenVectors' {
        $rows = @(
            [pscustomobject]@{ Layer = 1; Vector = [float[]]@(3, 4); Weights = [double[]]@(0.5, -1) }
            [pscustomobject]@{ Layer = 2; Vector = [float[]]@(0, 1); Weights = [double[]]@(2, 0) }
        )
        $rows | Export-IclResult (Join-Path $dir 'summary.csv')
        $rows | Export-IclResult (Join-Path $dir 'flat.csv') -FlattenVectors

        $summary = @(Import-Csv (Join-Path $dir 'summary.csv'))
        $summary[0].PSObject.Properties.Name | Should -Be @('Layer', 'Vector', 'Weights')
        Get-Values $summary[0] | Should -Be @('1', 'dim=2;norm=5', 'dim=2;norm=1.11803')
        Get-Values $summary[1] | Should -Be @('2', 'dim=2;norm=1', 'dim=2;norm=2')
        $flat = @(Import-Csv (Join-Path $dir 'flat.csv'))
        $flat[0].PSObject.Properties.Name | Should -Be @('Layer', 'Vector_0', 'Vector_1', 'Weights_0', 'Weights_1')
        Get-Values $flat[0] | Should -Be @('1', '3', '4', '0.5', '-1')
        Get-Values $flat[1] | Should -Be @('2', '0', '1', '2', '0')
    }

    It 'exports engine objects such as dataset examples by their properties' {
        $ds = Import-IclDataset $AntonymPath
        $path = Join-Path $dir 'train.csv'
        $ds.Train.Items | Export-IclResult $path
        $rows = @(Import-Csv $path)
        $rows | Should -HaveCount 1679
        $rows[0].PSObject.Properties.Name | Should -Be @('Input', 'Output')
        [Linq.Enumerable]::SequenceEqual([string[]]$rows.Input, [string[]]$ds.Train.Items.Input) | Should -BeTrue
        [Linq.Enumerable]::SequenceEqual([string[]]$rows.Output, [string[]]$ds.Train.Items.Output) | Should -BeTrue
    }

    It 'round-trips what Import-Csv, Where-Object and Select-Object make of its own file' {
        $path = Join-Path $dir 'scores.csv'
        1..6 | ForEach-Object { [pscustomobject]@{ Shots = $_; Model = "m$($_ % 2)"; Accuracy = $_ / 8 } } | Export-IclResult $path
        $filtered = Join-Path $dir 'filtered.csv'
        Import-Csv $path | Where-Object Model -EQ 'm1' | Select-Object Model, Shots, Accuracy | Export-IclResult $filtered
        Get-Content $filtered | Should -Be @('Model,Shots,Accuracy', 'm1,1,0.125', 'm1,3,0.375', 'm1,5,0.625')
        Import-Csv $filtered | ConvertTo-Json -Compress |
            Should -Be '[{"Model":"m1","Shots":"1","Accuracy":"0.125"},{"Model":"m1","Shots":"3","Accuracy":"0.375"},{"Model":"m1","Shots":"5","Accuracy":"0.625"}]'
    }

    It 'appends to a file Export-Csv wrote, and Export-Csv appends to one it wrote' {
        $theirs = Join-Path $dir 'theirs.csv'
        [pscustomobject]@{ Model = 'a'; Accuracy = 0.5 } | Export-Csv $theirs
        [pscustomobject]@{ Model = 'b'; Accuracy = 0.75 } | Export-IclResult $theirs -Append
        Import-Csv $theirs | ForEach-Object { "$($_.Model)=$($_.Accuracy)" } | Should -Be @('a=0.5', 'b=0.75')
        $ours = Join-Path $dir 'ours.csv'
        [pscustomobject]@{ Model = 'a'; Accuracy = 0.5 } | Export-IclResult $ours
        [pscustomobject]@{ Model = 'b'; Accuracy = 0.75 } | Export-Csv $ours -Append
        Import-Csv $ours | ForEach-Object { "$($_.Model)=$($_.Accuracy)" } | Should -Be @('a=0.5', 'b=0.75')
    }

    It 'leaves an existing file untouched when the pipeline fails part-way' {
        $path = Join-Path $dir 'keep.csv'
        [IO.File]::WriteAllText($path, "n`r`n41`r`n42`r`n")
        $before = (Get-FileHash $path).Hash
        { 1..5 | ForEach-Object { if ($_ -eq 3) { throw 'upstream failure' }; [pscustomobject]@{ n = $_ } } | Export-IclResult $path } |
            Should -Throw '*upstream failure*'
        (Get-FileHash $path).Hash | Should -Be $before
        Get-LeftoverTempFiles $dir | Should -BeNullOrEmpty
    }

    It 'leaves an existing file untouched when the pipeline is stopped, as by Ctrl+C' {
        $path = Join-Path $dir 'stopped.csv'
        [IO.File]::WriteAllText($path, "n`r`n1`r`n")
        $before = (Get-FileHash $path).Hash
        $ps = New-ModulePowerShell
        try {
            $null = $ps.AddScript('param($path) 1..100000000 | ForEach-Object { [pscustomobject]@{ n = $_ } } | Export-IclResult $path').AddArgument($path)
            $running = $ps.BeginInvoke()
            # Wait until rows are being staged, then stop, as when a user presses Ctrl+C during a long export.
            $deadline = [datetime]::UtcNow.AddSeconds(30)
            while (-not ($staged = Get-LeftoverTempFiles $dir) -or (Get-Item -Force $staged[0]).Length -eq 0) {
                [datetime]::UtcNow | Should -BeLessThan $deadline -Because 'the export should start staging rows'
                Start-Sleep -Milliseconds 20
            }
            Start-Sleep -Milliseconds 100
            $ps.Stop()
            $running.AsyncWaitHandle.WaitOne([timespan]::FromSeconds(60)) | Should -BeTrue -Because 'it stops within 60 s'
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $ps.InvocationStateInfo.Reason | Should -BeOfType ([System.Management.Automation.PipelineStoppedException])
        }
        finally { $ps.Dispose() }
        (Get-FileHash $path).Hash | Should -Be $before
        Get-LeftoverTempFiles $dir | Should -BeNullOrEmpty
    }

    It 'appends rows under the same header, and stops on a different one leaving the file as it was' {
        $path = Join-Path $dir 'append.csv'
        [pscustomobject]@{ Model = 'a'; Accuracy = 0.5 } | Export-IclResult $path
        [pscustomobject]@{ Model = 'b'; Accuracy = 0.75 }, [pscustomobject]@{ Model = 'c'; Accuracy = 1 } | Export-IclResult $path -Append
        Get-Content $path | Should -Be @('Model,Accuracy', 'a,0.5', 'b,0.75', 'c,1')
        Import-Csv $path | ForEach-Object Model | Should -Be @('a', 'b', 'c')

        $before = (Get-FileHash $path).Hash
        # One terminating error, not one per row: the mismatch stops the command.
        $e = { [pscustomobject]@{ Model = 'd'; Loss = 2 }, [pscustomobject]@{ Model = 'e'; Loss = 3 } | Export-IclResult $path -Append } |
            Should -Throw -ErrorId 'CsvHeaderMismatch,IclPs.Cmdlets.ExportIclResultCommand' -PassThru
        $e.CategoryInfo.Category | Should -Be 'InvalidData'
        $e.TargetObject | Should -Be $path
        (Get-FileHash $path).Hash | Should -Be $before
        Get-LeftoverTempFiles $dir | Should -BeNullOrEmpty
    }

    It 'stops on a row with a column outside the header and leaves the file as it was' {
        $path = Join-Path $dir 'ragged.csv'
        [IO.File]::WriteAllText($path, "a,b`r`n0,0`r`n")
        $before = (Get-FileHash $path).Hash
        $e = { [pscustomobject]@{ a = 1; b = 2 }, [pscustomobject]@{ a = 3; c = 4 }, [pscustomobject]@{ b = 6 } | Export-IclResult $path } |
            Should -Throw -ErrorId 'CsvRowColumnMismatch,IclPs.Cmdlets.ExportIclResultCommand' -PassThru
        $e.TargetObject | Should -Be 'c'
        $e.Exception.Message | Should -BeLike '*Nothing was written*-SkipInvalidRows*'
        (Get-FileHash $path).Hash | Should -Be $before
        Get-LeftoverTempFiles $dir | Should -BeNullOrEmpty
    }

    It 'reports a row with a column outside the header and writes the rest with -SkipInvalidRows' {
        $path = Join-Path $dir 'ragged.csv'
        [pscustomobject]@{ a = 1; b = 2 }, [pscustomobject]@{ a = 3; c = 4 }, [pscustomobject]@{ b = 6 } |
            Export-IclResult $path -SkipInvalidRows -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -Be 'CsvRowColumnMismatch,IclPs.Cmdlets.ExportIclResultCommand'
        $problems[0].TargetObject | Should -Be 'c'
        Get-Content $path | Should -Be @('a,b', '1,2', ',6')
        $rows = @(Import-Csv $path)
        $rows | Should -HaveCount 2
        Get-Values $rows[1] | Should -Be @('', '6')
    }

    It 'writes nothing with -WhatIf, to a new file or an existing one' {
        $fresh = Join-Path $dir 'fresh.csv'
        $existing = Join-Path $dir 'existing.csv'
        [IO.File]::WriteAllText($existing, "x`r`n1`r`n")
        $out = @(
            [pscustomobject]@{ x = 2 } | Export-IclResult $fresh -WhatIf -PassThru
            [pscustomobject]@{ x = 3 } | Export-IclResult $existing -WhatIf
            [pscustomobject]@{ x = 4 } | Export-IclResult $existing -Append -WhatIf
        )
        $out | Should -BeNullOrEmpty
        $fresh | Should -Not -Exist
        [IO.File]::ReadAllText($existing) | Should -BeExactly "x`r`n1`r`n"
        Get-LeftoverTempFiles $dir | Should -BeNullOrEmpty
    }

    It 'emits the file with -PassThru, counts the rows with -Verbose, and writes nothing for no input' {
        Push-Location $dir
        try {
            $out = @(1..3 | ForEach-Object { [pscustomobject]@{ i = $_ } } | Export-IclResult out.csv -PassThru -Verbose 4>&1)
            $empty = @(@() | Export-IclResult empty.csv -PassThru)
        }
        finally { Pop-Location }
        $files = @($out | Where-Object { $_ -is [IO.FileInfo] })
        $files | Should -HaveCount 1
        $files[0].FullName | Should -Be (Join-Path $dir 'out.csv')
        $out.Where({ $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Contain "Wrote 3 row(s) of 1 column(s) to '$(Join-Path $dir 'out.csv')'."
        $empty | Should -BeNullOrEmpty
        Join-Path $dir 'empty.csv' | Should -Not -Exist
    }

    It 'stops with the engine error when the folder is missing' {
        $path = Join-Path $dir 'no-such-folder/r.csv'
        $e = { [pscustomobject]@{ a = 1 } | Export-IclResult $path } |
            Should -Throw -ErrorId 'OutputDirectoryNotFound,IclPs.Cmdlets.ExportIclResultCommand' -PassThru
        $e.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $e.TargetObject | Should -Be $path
    }
}
