#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Reliability of the categorical runs and of failing writes, each case reproducing a fault: categorical checkpoints go
# through the engine's staged writes under the run folder's lock, the categorical cmdlets check their numbers, a stop that
# lands in a write still leaves the last checkpoint, write failures are IclPs error records, and an LTV that no epoch
# improved says so. Failures are forced portably (CI runs as root, where chmod stops nothing): a path under a regular
# file, or a name longer than the file system allows.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')

    # A fresh folder under TestDrive for one It.
    function New-TestFolder { (New-Item -ItemType Directory (Join-Path $TestDrive ([guid]::NewGuid()))).FullName }

    # A regular file in a fresh folder: a path under it can never be created.
    function New-BlockingFile {
        $file = Join-Path (New-TestFolder) 'a-file'
        Set-Content -LiteralPath $file -Value 'not a folder'
        $file
    }

    # IclPs's temporary names (staging folders, staged files) left in a folder.
    function Get-Leftovers([string]$Folder) {
        @(Get-ChildItem -LiteralPath $Folder -Force | Where-Object { [IclPs.Engine.Storage.TempFiles]::IsTempName($_.Name) })
    }

    # The error records $Script writes, terminating or not, and its output.
    function Invoke-Capturing([scriptblock]$Script) {
        $errors = [System.Collections.Generic.List[object]]::new()
        $output = try { & $Script 2>&1 | ForEach-Object { if ($_ -is [System.Management.Automation.ErrorRecord]) { $errors.Add($_) } else { $_ } } }
                  catch { $errors.Add($_) }
        [pscustomobject]@{ Output = @($output); Errors = @($errors) }
    }

    $script:Categorical = @{ Layers = 1; TrainContexts = 64; ValidationContexts = 32; BatchSize = 16; Device = 'cpu' }
    $script:Regression = @{ Dimension = 2; Points = 4; BatchSize = 4; EvaluationSamples = 4; Device = 'cpu' }
}

Describe 'Categorical checkpoints are written like training checkpoints' {
    It 'writes complete step folders and leaves no staging folder or lock behind' {
        $run = Join-Path (New-TestFolder) 'run'
        $null = Start-IclCategoricalTraining @Categorical -Steps 6 -EvaluateEvery 2 -CheckpointEvery 2 -KeepCheckpoints 2 -Path $run
        @(Get-ChildItem -LiteralPath $run -Directory | ForEach-Object Name) | Should -Be @('step-00000004', 'step-00000006')
        foreach ($step in 'step-00000004', 'step-00000006') {
            @(Get-ChildItem -LiteralPath (Join-Path $run $step) -Force | ForEach-Object Name | Sort-Object) |
                Should -Be @('best.safetensors', 'optimizer.safetensors', 'state.json', 'weights.safetensors')
        }
        Get-Leftovers $run | Should -BeNullOrEmpty
        Join-Path $run '.iclps.lock' | Should -Not -Exist
        @(Measure-IclCategorical -Path $run -EvaluationContexts 16) | Should -HaveCount 1
    }

    It 'refuses a second writer of the run folder with FolderInUse, naming the holder, before any update' {
        $run = New-TestFolder
        $held = [IclPs.Engine.Storage.WriterLock]::AcquireFolder($run, 'a test holding the run folder')
        try {
            $result = Invoke-Capturing { Start-IclCategoricalTraining @Categorical -Steps 4 -EvaluateEvery 1 -Path $run }
        }
        finally { $held.Dispose() }
        $result.Output | Should -BeNullOrEmpty
        $result.Errors | Should -HaveCount 1
        $result.Errors[0].FullyQualifiedErrorId | Should -BeLike 'FolderInUse,*'
        $result.Errors[0].CategoryInfo.Category | Should -Be 'ResourceBusy'
        $result.Errors[0].TargetObject | Should -Be $run
        $result.Errors[0].Exception.Message | Should -Match "process $PID"
        @(Get-ChildItem -LiteralPath $run -Directory) | Should -BeNullOrEmpty
    }

    It 'removes what a killed writer left in the run folder when it is next trained in' {
        $run = New-TestFolder
        $stale = New-Item -ItemType Directory (Join-Path $run ".step-00000002.$([guid]::NewGuid().ToString('N')).tmp")
        Set-Content -LiteralPath (Join-Path $stale 'weights.safetensors') -Value 'half written'
        $stale.LastWriteTimeUtc = [datetime]::UtcNow.AddHours(-1)
        $null = Start-IclCategoricalTraining @Categorical -Steps 2 -EvaluateEvery 1 -Path $run
        $stale.FullName | Should -Not -Exist
        Get-Leftovers $run | Should -BeNullOrEmpty
        Join-Path $run 'step-00000002/state.json' | Should -Exist
    }
}

Describe 'Numbers given to the categorical cmdlets are checked before any work' {
    It 'gives every numeric parameter of <Command> a checked range' -ForEach @(
        @{ Command = 'Start-IclCategoricalTraining' }, @{ Command = 'Measure-IclCategorical' }, @{ Command = 'Test-IclCategoricalStationaryPoint' }
    ) {
        # Seeds take any value; -Layers is checked by the engine (CategoricalInvalidLayers, 1 to 1000).
        $unchecked = foreach ($parameter in (Get-Command $Command).Parameters.Values) {
            $type = $parameter.ParameterType
            if ($type.IsArray) { $type = $type.GetElementType() }
            if ([Nullable]::GetUnderlyingType($type)) { $type = [Nullable]::GetUnderlyingType($type) }
            if ($type -notin [int], [double] -or $parameter.Name -eq 'Layers') { continue }
            if (-not ($parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateRangeAttribute] })) { $parameter.Name }
        }
        @($unchecked) | Should -BeNullOrEmpty
    }

    It 'refuses <Parameter> = <Value> with <ErrorId>' -ForEach @(
        @{ Parameter = 'TrainContexts'; Value = 0; ErrorId = 'ParameterArgumentValidationError' }
        @{ Parameter = 'LearningRate'; Value = 1e7; ErrorId = 'ParameterArgumentValidationError' }
        @{ Parameter = 'Lambda'; Value = 0; ErrorId = 'ParameterArgumentValidationError' }
        @{ Parameter = 'Beta2'; Value = 1.5; ErrorId = 'ParameterArgumentValidationError' }
        @{ Parameter = 'NearestRbf'; Value = 1; ErrorId = 'CategoricalInvalidOption' }
        @{ Parameter = 'Layers'; Value = 1001; ErrorId = 'CategoricalInvalidLayers' }
    ) {
        $arguments = @{ Steps = 1; $Parameter = $Value }
        $result = Invoke-Capturing { Start-IclCategoricalTraining @arguments }
        $result.Output | Should -BeNullOrEmpty
        $result.Errors | Should -HaveCount 1
        $result.Errors[0].FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        $result.Errors[0].Exception.Message | Should -Match $Parameter
    }

    It 'refuses a data set larger than the memory limit before drawing it, naming the contexts' {
        $saved = $env:ICLPS_MEMORY_LIMIT_BYTES
        try {
            $env:ICLPS_MEMORY_LIMIT_BYTES = '1MB'
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $result = Invoke-Capturing { Start-IclCategoricalTraining -TrainContexts 100000 -Steps 1 -Device cpu }
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 10
        }
        finally { $env:ICLPS_MEMORY_LIMIT_BYTES = $saved }
        $result.Errors | Should -HaveCount 1
        $result.Errors[0].FullyQualifiedErrorId | Should -BeLike 'CategoricalDataTooLarge,*'
        $result.Errors[0].CategoryInfo.Category | Should -Be 'LimitsExceeded'
        $result.Errors[0].TargetObject | Should -Be 100000
        $result.Errors[0].Exception.Message | Should -Match 'ICLPS_MEMORY_LIMIT_BYTES'
    }
}

Describe 'A stop that lands in a write still leaves the last checkpoint' {
    It 'writes the checkpoint of the updates done when PowerShell.Stop() hits a progress row' {
        $run = Join-Path (New-TestFolder) 'run'
        $reached = [System.Threading.ManualResetEventSlim]::new($false)
        $ps = New-ModulePowerShell
        try {
            # Downstream of the first row the pipeline waits, so the stop surfaces inside Start-IclTraining's WriteObject.
            $null = $ps.AddScript({
                param($Run, $Reached, $Settings)
                Start-IclTraining @Settings -Steps 100000 -EvaluateEvery 1 -Path $Run |
                    ForEach-Object { $null = $Reached.Set(); Start-Sleep -Seconds 120 }
            }).AddArgument($run).AddArgument($reached).AddArgument($Regression)
            $pending = $ps.BeginInvoke()
            $reached.Wait([timespan]::FromSeconds(120)) | Should -BeTrue
            $ps.Stop()
            $pending.IsCompleted | Should -BeTrue
        }
        finally { $ps.Dispose(); $reached.Dispose() }
        @(Get-ChildItem -LiteralPath $run -Directory | ForEach-Object Name) | Should -Be @('step-00000001')
        (Get-Content -Raw (Join-Path $run 'step-00000001/trainer.json') | ConvertFrom-Json).step | Should -Be 1
        Get-Leftovers $run | Should -BeNullOrEmpty
        Join-Path $run '.iclps.lock' | Should -Not -Exist
        @(Measure-IclRegression -Path $run -Samples 4) | Should -Not -BeNullOrEmpty
    }

    It 'writes it when Select-Object -First ends the pipeline (<Command>)' -ForEach @(
        @{ Command = 'Start-IclTraining'; State = 'trainer.json' }, @{ Command = 'Start-IclCategoricalTraining'; State = 'state.json' }
    ) {
        $run = Join-Path (New-TestFolder) 'run'
        $settings = if ($Command -eq 'Start-IclTraining') { $Regression } else { $Categorical }
        $rows = @(& $Command @settings -Steps 1000 -EvaluateEvery 1 -Path $run | Select-Object -First 1)
        $rows | Should -HaveCount 1
        @(Get-ChildItem -LiteralPath $run -Directory | ForEach-Object Name) | Should -Be @('step-00000001')
        Join-Path $run "step-00000001/$State" | Should -Exist
        Get-Leftovers $run | Should -BeNullOrEmpty
    }
}

Describe 'A failed write is an IclPs error record' {
    It '<Command> refuses a -Path under a file with RunPathIsFile before any update' -ForEach @(
        @{ Command = 'Start-IclTraining' }, @{ Command = 'Start-IclCategoricalTraining' }
    ) {
        $file = New-BlockingFile
        $path = Join-Path $file 'run'
        $settings = if ($Command -eq 'Start-IclTraining') { $Regression } else { $Categorical }
        $result = Invoke-Capturing { & $Command @settings -Steps 4 -EvaluateEvery 1 -Path $path }
        # Before the fix the categorical run trained to the end and failed at its first checkpoint.
        $result.Output | Should -BeNullOrEmpty
        $result.Errors | Should -HaveCount 1
        $result.Errors[0].FullyQualifiedErrorId | Should -BeLike 'RunPathIsFile,*'
        $result.Errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $result.Errors[0].TargetObject | Should -Be $path
        $result.Errors[0].Exception | Should -BeOfType [IclPs.Engine.IclPsException]
        $result.Errors[0].Exception.Message | Should -BeLike "*'$file' is a file*"
    }

    It 'Start-IclTraining reports a run folder it cannot create as RunFolderWriteFailed' {
        $path = Join-Path (New-TestFolder) ('n' * 300)
        $result = Invoke-Capturing { Start-IclTraining @Regression -Steps 2 -EvaluateEvery 1 -Path $path }
        $result.Output | Should -BeNullOrEmpty
        $result.Errors | Should -HaveCount 1
        $result.Errors[0].FullyQualifiedErrorId | Should -BeLike 'RunFolderWriteFailed,*'
        $result.Errors[0].CategoryInfo.Category | Should -Be 'WriteError'
        $result.Errors[0].TargetObject | Should -Be $path
        $result.Errors[0].Exception | Should -BeOfType [IclPs.Engine.IclPsException]
        $result.Errors[0].Exception.InnerException | Should -BeOfType [System.IO.IOException]
    }

    It 'leaves no temporary file when regression-task.json cannot be written' {
        $run = New-TestFolder
        $null = New-Item -ItemType Directory (Join-Path $run 'regression-task.json')
        $result = Invoke-Capturing { Start-IclTraining @Regression -Steps 2 -EvaluateEvery 1 -Path $run }
        $result.Errors | Should -HaveCount 1
        $result.Errors[0].Exception | Should -BeOfType [IclPs.Engine.IclPsException]
        $result.Errors[0].TargetObject | Should -Be (Join-Path $run 'regression-task.json')
        @(Get-ChildItem -LiteralPath $run -Force | ForEach-Object Name) | Should -Be @('regression-task.json')
    }

    It '<Command> maps a file-system failure to <ErrorId> with the path, its cause kept inside (<Case>)' -ForEach @(
        @{ Command = 'Save-IclModel'; ErrorId = 'CheckpointWriteFailed'; Case = 'under a file'; Category = 'WriteError' }
        @{ Command = 'Save-IclModel'; ErrorId = 'CheckpointWriteFailed'; Case = 'name too long'; Category = 'WriteError' }
        @{ Command = 'Export-TaskVector'; ErrorId = 'TaskVectorWriteFailed'; Case = 'under a file'; Category = 'WriteError' }
        @{ Command = 'Export-TaskVector'; ErrorId = 'TaskVectorWriteFailed'; Case = 'name too long'; Category = 'WriteError' }
        @{ Command = 'Export-IclResult'; ErrorId = 'ResultFileOpenFailed'; Case = 'name too long'; Category = 'OpenError' }
    ) {
        $base = if ($Case -eq 'under a file') { Join-Path (New-BlockingFile) 'sub' } else { Join-Path (New-TestFolder) ('n' * 300) }
        $result = switch ($Command) {
            'Save-IclModel' { $target = $base; Invoke-Capturing { New-IclModel | Save-IclModel -Path $base } }
            'Export-TaskVector' {
                $target = "$base.json"
                $vector = Get-IclModel linear-d8 -Load | New-TaskVector -Method TaskVector -Prompts 4 -ValidationPrompts 4
                Invoke-Capturing { $vector | Export-TaskVector -Path $base }
            }
            'Export-IclResult' { $target = "$base.csv"; Invoke-Capturing { [pscustomobject]@{ a = 1 } | Export-IclResult -Path "$base.csv" } }
        }
        $result.Errors | Should -HaveCount 1
        $record = $result.Errors[0]
        $record.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        $record.CategoryInfo.Category | Should -Be $Category
        $record.TargetObject | Should -Be $target
        # Not the raw .NET exception: an IclPs one that says what could not be written, the cause as its inner exception.
        $record.Exception | Should -BeOfType [IclPs.Engine.IclPsException]
        $record.Exception.ErrorId | Should -Be $ErrorId
        $record.Exception.Message | Should -BeLike 'Cannot write *'
        $record.Exception.InnerException | Should -Not -BeNullOrEmpty
    }
}

Describe 'An LTV that no epoch improved says so' {
    BeforeAll {
        $script:linear = Get-IclModel linear-d8 -Load
        # Seeds whose single epoch raises (1) or lowers (3) the validation loss of the zero start (see the probe in the report).
        function New-ShortLtv([int]$Seed) {
            $warnings = $null
            $vector = $linear | New-TaskVector -Method Ltv -NoiseVariance 1 -TrainPrompts 32 -ValidationPrompts 16 -MaxEpochs 1 -Loss SquaredError -Seed $Seed -WarningVariable warnings -WarningAction SilentlyContinue
            [pscustomobject]@{ Vector = $vector; Warnings = @($warnings) }
        }
    }

    It 'keeps the all-zero initial theta when its epoch did not lower the validation loss, and warns' {
        $run = New-ShortLtv 1
        $curve = $run.Vector.Provenance.TrainingCurve
        $curve[1].ValidationLoss | Should -BeGreaterThan $curve[0].ValidationLoss
        $run.Vector.Provenance.Settings['BestEpoch'] | Should -Be '0'
        @($run.Vector.Heads.Weight | Where-Object { $_ -ne 0 }) | Should -BeNullOrEmpty
        $run.Warnings | Should -HaveCount 1
        "$($run.Warnings[0])" | Should -Match 'initial theta, all zero: injecting it changes nothing'
    }

    It 'keeps the trained theta without a warning when its epoch lowered the validation loss' {
        $run = New-ShortLtv 3
        $curve = $run.Vector.Provenance.TrainingCurve
        $curve[1].ValidationLoss | Should -BeLessThan $curve[0].ValidationLoss
        $run.Vector.Provenance.Settings['BestEpoch'] | Should -Be '1'
        @($run.Vector.Heads.Weight | Where-Object { $_ -ne 0 }) | Should -Not -BeNullOrEmpty
        $run.Warnings | Should -BeNullOrEmpty
    }
}
