#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# The scripts the repository ships: each parses, and the demo and the reproductions run small in a fresh pwsh with the
# module imported, as a user runs them, writing the tables and plots they promise.

BeforeDiscovery {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    # Every example and tool, so a new one is checked without touching this list.
    $shipped = @(Get-ChildItem (Join-Path $root 'examples'), (Join-Path $root 'tools') -Filter '*.ps1' -File -Recurse |
        ForEach-Object { [IO.Path]::GetRelativePath($root, $_.FullName).Replace('\', '/') } | Sort-Object)
    $script:ShippedScripts = @('build.ps1', 'module/IclPs.psd1') + $shipped | ForEach-Object { @{ Path = $_ } }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')

    # Runs $Command in a new pwsh (the one running these tests; a dotnet tool runs as `dotnet pwsh.dll`) after importing
    # the module under test, in $WorkingDirectory; returns its exit code, standard output lines and standard error text.
    function Invoke-ChildPwsh([string]$Command, [string]$WorkingDirectory) {
        $manifest = Join-Path $ModuleBase 'IclPs.psd1'
        $stderr = Join-Path $WorkingDirectory 'stderr.txt'
        Push-Location $WorkingDirectory
        try {
            $stdout = & $PwshExe @PwshPrefix -NoProfile -NonInteractive -Command "Import-Module '$manifest' -ErrorAction Stop; $Command" 2> $stderr
            $exitCode = $LASTEXITCODE
        }
        finally { Pop-Location }
        [pscustomobject]@{ ExitCode = $exitCode; Stdout = @($stdout); Stderr = [IO.File]::ReadAllText($stderr) }
    }

    # Culture-invariant number from a CSV cell.
    function ConvertTo-Double([string]$Text) { [double]::Parse($Text, [cultureinfo]::InvariantCulture) }
}

Describe 'Shipped scripts' {
    It '<Path> parses without errors' -ForEach $ShippedScripts {
        $tokens = $errors = $null
        $null = [System.Management.Automation.Language.Parser]::ParseFile((Join-Path $RepositoryRoot $Path), [ref]$tokens, [ref]$errors)
        @($errors | ForEach-Object { "$($_.Extent.StartLineNumber): $($_.Message)" }) | Should -BeNullOrEmpty
        $tokens.Count | Should -BeGreaterThan 1
    }

    It 'tools/Demo.ps1 tours the presets, seed reproducibility and an error record' {
        $folder = New-TestFolder
        $xml = Join-Path $folder 'demo.xml'
        $run = Invoke-ChildPwsh -WorkingDirectory $folder -Command "& '$(Join-Path $RepositoryRoot 'tools/Demo.ps1')' -Seed 5 | Export-Clixml '$xml'"
        $run.Stderr | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0
        $output = @(Import-Clixml $xml)
        $lines = @($output | Where-Object { $_ -is [string] })
        $lines | Should -Contain 'seed 5 vs seed 5 identical: True'
        $lines | Should -Contain 'seed 5 vs seed 6 identical: False'
        $infos = @($output | Where-Object { $_.PSObject.TypeNames -contains 'Deserialized.IclPs.ModelInfo' })
        $infos.Name | Should -Be @('gpt2-tiny', 'gpt2-mini', 'llama-tiny')
        $problems = @($output | Where-Object { $_ -isnot [string] -and $_.PSObject.Properties['Id'] })
        $problems | Should -HaveCount 1
        $problems[0].Id | Should -BeExactly 'ModelConfigNotFound,IclPs.Cmdlets.NewIclModelCommand'
        $problems[0].Target | Should -Be (Join-Path $folder 'no-such-model/config.json')
    }

    It 'examples/ltv-regression.ps1 runs small and writes its table and plots' {
        $folder = New-TestFolder
        $script = Join-Path $RepositoryRoot 'examples/ltv-regression.ps1'
        $run = Invoke-ChildPwsh -WorkingDirectory $folder -Command ("& '$script' -ResultDir '$folder' -Samples 16 -MaxPoints 20 -LongerPoints 20 " +
            '-TrainPrompts 32 -ValidationPrompts 16 -MaxEpochs 2 -Patience 1 -FunctionVectorPrompts 32 -EffectPrompts 16')
        $run.Stderr | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0

        $csv = Join-Path $folder 'ltv-regression.csv'
        Get-Content $csv -TotalCount 1 | Should -BeExactly 'Method,Shift,PromptLength,Error,N'
        $rows = @(Import-Csv $csv)
        # K = 2..20 step 2 for three shifts with Icl, Ridge, FunctionVector, Ltv and LtvLonger (trained at 20, beyond the
        # model's 16); an orthogonal query stops at K = D = 8, without LtvLonger.
        $rows | Should -HaveCount (3 * 10 * 5 + 4 * 4)
        foreach ($shift in 'None', 'SkewedCovariance', 'NoisyTargets') {
            $shifted = @($rows | Where-Object Shift -EQ $shift)
            @($shifted.PromptLength | Sort-Object { [int]$_ } -Unique) | Should -Be @(2, 4, 6, 8, 10, 12, 14, 16, 18, 20)
            @($shifted.Method | Sort-Object -Unique) | Should -Be @('FunctionVector', 'Icl', 'Ltv', 'LtvLonger', 'Ridge')
        }
        $orthogonal = @($rows | Where-Object Shift -EQ 'OrthogonalQuery')
        @($orthogonal.PromptLength | Sort-Object { [int]$_ } -Unique) | Should -Be @(2, 4, 6, 8)
        $orthogonal.Method | Should -Not -Contain 'LtvLonger'
        foreach ($row in $rows) {
            $value = ConvertTo-Double $row.Error
            $value | Should -BeGreaterThan 0 -Because ($row | ConvertTo-Json -Compress)
            $value | Should -BeLessThan 100 -Because ($row | ConvertTo-Json -Compress)
        }
        foreach ($shift in 'None', 'SkewedCovariance', 'NoisyTargets', 'OrthogonalQuery') {
            (Get-Item (Join-Path $folder "ltv-regression-$shift.png")).Length | Should -BeGreaterThan 1000
        }
    }

    It 'examples/ltv-regression-lengths.ps1 runs small and writes its table and one plot per training length' {
        $folder = New-TestFolder
        $script = Join-Path $RepositoryRoot 'examples/ltv-regression-lengths.ps1'
        $command = ("& '$script' -ResultDir '$folder' -RunDir '$folder/run' -TrainLengths 4, 6 -MaxPoints 16 -Samples 16 " +
            '-TrainPrompts 32 -ValidationPrompts 16 -MaxEpochs 2 -Patience 1')
        $run = Invoke-ChildPwsh -WorkingDirectory $folder -Command $command
        $run.Stderr | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0
        # One sweep unit for the plain prompts and one per training length.
        @($run.Stdout | Where-Object { $_ -match '^unit \d+ \(TrainLength=(0|4|6)\): Completed' }) | Should -HaveCount 3
        $csv = Join-Path $folder 'ltv-regression-lengths.csv'
        $first = [IO.File]::ReadAllBytes($csv)
        # Run again: every unit is skipped and the table is written again byte for byte from the shards.
        $again = Invoke-ChildPwsh -WorkingDirectory $folder -Command $command
        $again.ExitCode | Should -Be 0
        @($again.Stdout | Where-Object { $_ -match '^unit \d+ \(TrainLength=\d+\): Skipped' }) | Should -HaveCount 3
        [IO.File]::ReadAllBytes($csv) | Should -Be $first
        Get-Content $csv -TotalCount 1 | Should -BeExactly 'Method,TrainLength,PromptLength,Error,StdError,N'
        $rows = @(Import-Csv $csv)
        # K = 2..16 step 2: Icl, Ridge and one LTV per training length.
        $rows | Should -HaveCount (8 * 4)
        @($rows | Where-Object Method -EQ 'Ltv' | ForEach-Object TrainLength | Sort-Object -Unique) | Should -Be @('4', '6')
        @($rows | Where-Object Method -NE 'Ltv' | ForEach-Object TrainLength | Sort-Object -Unique) | Should -Be @('')
        foreach ($k in 4, 6) { (Get-Item (Join-Path $folder "ltv-regression-lengths-$k.png")).Length | Should -BeGreaterThan 1000 }
        # Evaluating short of 2.4 x a training length is refused before anything is trained.
        $short = Invoke-ChildPwsh -WorkingDirectory $folder -Command "& '$script' -ResultDir '$folder' -TrainLengths 10 -MaxPoints 20"
        $short.ExitCode | Should -Not -Be 0
        $short.Stderr | Should -Match 'below 2.4 x the training length 10'
    }

    It 'examples/task-diversity-transient.ps1 measures every checkpoint, and a later, longer run continues from the stored ones' {
        $folder = New-TestFolder
        $script = Join-Path $RepositoryRoot 'examples/task-diversity-transient.ps1'
        $tiny = "-Dimension 2 -Points 4 -Exponents 1, 2 -WarmupSteps 2 -EvaluateEvery 4 -Samples 32 -EvaluationSeeds 1, 2 -TrainingSamples 16 -BatchSize 8 -ResultDir '$folder' -CheckpointStore '$folder/store'"
        $run = Invoke-ChildPwsh -WorkingDirectory $folder -Command "& '$script' $tiny -Steps 8 -RunDir '$folder/run'"
        $run.Stderr | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0
        $csv = Join-Path $folder 'task-diversity-d8.csv'
        Get-Content $csv -TotalCount 1 | Should -BeExactly 'M,Steps,TaskSource,DeltaRidge,DeltaDmmse,DeltaRidgeDmmse,Error,RidgeError,DmmseError,EvalSeed,Samples'
        $rows = @(Import-Csv $csv)
        # M = inf, 2, 4; checkpoints at 4 and 8 updates; two evaluation seeds; two task sources.
        $rows | Should -HaveCount (3 * 2 * 2 * 2)
        @($rows.M | Select-Object -Unique) | Should -Be @('inf', '2', '4')
        @($rows | Where-Object M -EQ 'inf' | ForEach-Object DeltaDmmse | Sort-Object -Unique) | Should -Be @('')
        foreach ($r in $rows | Where-Object M -NE 'inf') { [double]$r.DeltaRidgeDmmse | Should -BeGreaterThan 0 }
        # Another evaluation seed, other sequences.
        $pair = @($rows | Where-Object { $_.M -eq '2' -and $_.Steps -eq '8' -and $_.TaskSource -eq 'pretrain' })
        $pair[0].Error | Should -Not -Be $pair[1].Error
        $threshold = @(Import-Csv (Join-Path $folder 'task-diversity-d8-threshold.csv'))
        $threshold | Should -HaveCount (2 * 2)
        foreach ($t in $threshold) { $t.Bound | Should -BeIn 'Crossing', 'BelowRange', 'AboveRange' }
        @(Import-Csv (Join-Path $folder 'task-diversity-d8-switch.csv')) | Should -HaveCount (2 * 2)
        @(Import-Csv (Join-Path $folder 'task-diversity-d8-training.csv')) | Should -HaveCount (3 * 2)
        foreach ($png in 'M-2', 'M-4', 'M-inf', 'threshold') { (Get-Item (Join-Path $folder "task-diversity-d8-$png.png")).Length | Should -BeGreaterThan 1000 }
        @(Get-ChildItem (Join-Path $folder 'store/M-2') -Directory).Name | Should -Be 'step-00000008'

        # Elsewhere, without the run folders: 12 updates continue from the stored checkpoints, keep the rows at 4 updates
        # and replace the stored checkpoints.
        $longer = Invoke-ChildPwsh -WorkingDirectory $folder -Command "& '$script' $tiny -Steps 12 -RunDir '$folder/elsewhere'"
        $longer.Stderr | Should -BeNullOrEmpty
        @($longer.Stdout | Where-Object { $_ -like 'M=*continuing from the stored step-00000008*' }) | Should -HaveCount 3
        @(Get-ChildItem (Join-Path $folder 'elsewhere/M-2') -Directory -Filter 'step-*').Name | Should -Be @('step-00000008', 'step-00000012')
        $rows = @(Import-Csv $csv)
        $rows | Should -HaveCount (3 * 3 * 2 * 2)
        @($rows.Steps | Select-Object -Unique) | Should -Be @('4', '8', '12')
        @(Get-ChildItem (Join-Path $folder 'store/M-2') -Directory).Name | Should -Be 'step-00000012'
        @(Import-Csv (Join-Path $folder 'task-diversity-d8-training.csv')) | Should -HaveCount (3 * 3)
    }

    It 'examples/task-vectors-rules.ps1 runs on two rules and writes its tables and plot' {
        $folder = New-TestFolder
        $script = Join-Path $RepositoryRoot 'examples/task-vectors-rules.ps1'
        $run = Invoke-ChildPwsh -WorkingDirectory $folder -Command ("& '$script' -ResultDir '$folder' -Rules 2 -MeanPrompts 16 -EffectPrompts 8 " +
            '-AveragedPrompts 4 -LtvTrainPrompts 16 -LtvValidationPrompts 13')
        $run.Stderr | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0
        $run.Stdout | Should -Contain 'model text-rules-6l, 6 layers: the function vector goes to block 2 (layers / 3 = 2, rounded), 0-based'
        Get-Content (Join-Path $folder 'task-vectors-rules.csv') -TotalCount 1 | Should -BeExactly 'Method,Setting,Accuracy,N,Tasks,StdError'
        $summary = @(Import-Csv (Join-Path $folder 'task-vectors-rules.csv'))
        $summary | Should -HaveCount (2 * 6)
        @(Import-Csv (Join-Path $folder 'task-vectors-rules-tasks.csv')) | Should -HaveCount (2 * 2 * 6)
        # 15 pairs of 6 methods in 2 settings; 6 layers of 2 methods for 2 rules.
        @(Import-Csv (Join-Path $folder 'task-vectors-rules-pairs.csv')) | Should -HaveCount (2 * 15)
        @(Import-Csv (Join-Path $folder 'task-vectors-rules-layers.csv')) | Should -HaveCount (2 * 6 * 2)
        # The shipped model knows copy and successor: 8 clean shots beat the empty prompt.
        $icl = ConvertTo-Double ($summary | Where-Object { $_.Method -eq 'Icl' -and $_.Setting -eq 'ZeroShot' }).Accuracy
        $baseline = ConvertTo-Double ($summary | Where-Object { $_.Method -eq 'Baseline' -and $_.Setting -eq 'ZeroShot' }).Accuracy
        $icl | Should -BeGreaterThan ($baseline + 0.5)
        (Get-Item (Join-Path $folder 'task-vectors-rules.png')).Length | Should -BeGreaterThan 1000
    }

    It 'examples/icl-vs-it.ps1 runs on three inputs and writes its summary, its tests and its accuracies' {
        $folder = New-TestFolder
        $script = Join-Path $RepositoryRoot 'examples/icl-vs-it.ps1'
        $run = Invoke-ChildPwsh -WorkingDirectory $folder -Command "& '$script' -ResultDir '$folder' -Family KeyedLookup -Inputs 3 -Shots 1, 2 -AdapterSteps 2"
        $run.Stderr | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0

        $csv = Join-Path $folder 'icl-vs-it.csv'
        Get-Content $csv -TotalCount 1 | Should -BeExactly 'Family,Layer,Pair,Shots,Labels,Demos,Adapter,MeanCosine,StdCosine,N,AdapterSteps,Model,MeanCentredCosine,StdCentredCosine'
        $rows = @(Import-Csv $csv)
        # 1 shot: main, dissimilar, other map (wrong labels need two); 2 shots: all four. Four layers (llama-tiny-4l-mix),
        # three pairs each.
        $rows | Should -HaveCount ((3 + 4) * 4 * 3)
        $rows.Family + $rows.AdapterSteps + $rows.Model | Sort-Object -Unique | Should -Be @('2', 'KeyedLookup', 'llama-tiny-4l-mix')
        $rows.N | Sort-Object -Unique | Should -Be '3'
        $rows.Pair | Sort-Object -Unique | Should -Be @('AnchorIcl', 'AnchorIt', 'IclIt')
        # Every input of a setting runs in one call, so each row has a centred cosine (a cosine, so within [-1, 1]).
        foreach ($r in $rows) { [Math]::Abs((ConvertTo-Double $r.MeanCentredCosine)) | Should -BeLessOrEqual 1 }
        # The other-map control changes only the adapter: its anchor-ICL rows are the main sweep's.
        foreach ($k in '1', '2') {
            $main = @($rows | Where-Object { $_.Shots -eq $k -and $_.Pair -eq 'AnchorIcl' -and $_.Labels -eq 'Correct' -and $_.Demos -eq 'Random' -and $_.Adapter -eq 'SameMap' })
            $other = @($rows | Where-Object { $_.Shots -eq $k -and $_.Pair -eq 'AnchorIcl' -and $_.Adapter -eq 'OtherMap' })
            $other.MeanCosine | Should -Be $main.MeanCosine
            $other = @($rows | Where-Object { $_.Shots -eq $k -and $_.Pair -eq 'IclIt' -and $_.Adapter -eq 'OtherMap' })
            $main = @($rows | Where-Object { $_.Shots -eq $k -and $_.Pair -eq 'IclIt' -and $_.Labels -eq 'Correct' -and $_.Demos -eq 'Random' -and $_.Adapter -eq 'SameMap' })
            $other.MeanCosine | Should -Not -Be $main.MeanCosine
        }

        $tests = @(Import-Csv (Join-Path $folder 'icl-vs-it-tests.csv'))
        # Two contrasts per setting and layer on the cosine and the centred cosine, and one more per layer for each of the
        # five varied settings on the cosine alone (each setting is centred on its own mean).
        $tests | Should -HaveCount (2 * 7 * 2 * 4 + 5 * 4)
        @($tests | Where-Object Contrast -Like 'IclIt > Anchor*' | ForEach-Object Measure | Sort-Object -Unique) | Should -Be @('CentredCosine', 'Cosine')
        @($tests | Where-Object Contrast -NotLike 'IclIt > Anchor*' | ForEach-Object Measure | Sort-Object -Unique) | Should -Be 'Cosine'
        foreach ($t in $tests) {
            [int]$t.N + [int]$t.Zeros | Should -Be 3
            ConvertTo-Double $t.PHolm | Should -BeGreaterOrEqual (ConvertTo-Double $t.P)
            ConvertTo-Double $t.PHolm | Should -BeLessOrEqual 1
        }
        @($tests.Contrast | Sort-Object -Unique) | Should -Be @('IclIt > AnchorIcl', 'IclIt > AnchorIt', 'IclIt Dissimilar < Random', 'IclIt OtherMap < SameMap', 'IclIt Wrong vs Correct')

        $csv = Join-Path $folder 'icl-vs-it-accuracy.csv'
        Get-Content $csv -TotalCount 1 | Should -BeExactly 'Family,Condition,Shots,Labels,Demos,Adapter,Accuracy,StdError,N,AdapterSteps,Model'
        $accuracy = @(Import-Csv $csv)
        # Anchor, ICL and IT in each of the seven settings, on the same three inputs.
        $accuracy | Should -HaveCount (7 * 3)
        $accuracy.N | Sort-Object -Unique | Should -Be '3'
        foreach ($r in $accuracy) {
            $p = ConvertTo-Double $r.Accuracy
            [Math]::Round($p * 3, 9) | Should -Be ([Math]::Round($p * 3))
            [Math]::Abs((ConvertTo-Double $r.StdError) - [Math]::Sqrt($p * (1 - $p) / 3)) | Should -BeLessThan 1e-12
        }
        # The anchor is the same zero-shot prompt in every setting, and the other-map adapter leaves the ICL prompt alone.
        @($accuracy | Where-Object Condition -EQ 'Anchor' | ForEach-Object Accuracy | Sort-Object -Unique) | Should -HaveCount 1
        foreach ($k in '1', '2') {
            $main = $accuracy | Where-Object { $_.Shots -eq $k -and $_.Condition -eq 'Icl' -and $_.Labels -eq 'Correct' -and $_.Demos -eq 'Random' -and $_.Adapter -eq 'SameMap' }
            ($accuracy | Where-Object { $_.Shots -eq $k -and $_.Condition -eq 'Icl' -and $_.Adapter -eq 'OtherMap' }).Accuracy | Should -Be $main.Accuracy
        }
        # The plots per layer and against shots; one adapter step count gives no plot against steps.
        foreach ($plot in 'layers', 'shots') { (Get-Item (Join-Path $folder "icl-vs-it-$plot-KeyedLookup.png")).Length | Should -BeGreaterThan 1000 }
        Join-Path $folder 'icl-vs-it-steps-KeyedLookup.png' | Should -Not -Exist
    }

    It 'examples/task-vectors-text.ps1 runs on one held-out map and writes its table and plots' {
        $folder = New-TestFolder
        $script = Join-Path $RepositoryRoot 'examples/task-vectors-text.ps1'
        $run = Invoke-ChildPwsh -WorkingDirectory $folder -Command "& '$script' -ResultDir '$folder' -Tasks 1"
        $run.Stderr | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0

        $csv = Join-Path $folder 'task-vectors-text.csv'
        Get-Content $csv -TotalCount 1 | Should -BeExactly 'Method,Setting,Task,Accuracy,N'
        $rows = @(Import-Csv $csv)
        # Six methods in two settings.
        $rows | Should -HaveCount (2 * 6)
        @($rows | Group-Object Setting | ForEach-Object { "$($_.Name):$($_.Count)" } | Sort-Object) | Should -Be @('ShuffledLabels:6', 'ZeroShot:6')
        $rows.N | Sort-Object -Unique | Should -Be '4'
        # The shipped model learns held-out maps in context: 8 clean shots beat the empty prompt.
        $zeroShot = @($rows | Where-Object Setting -EQ 'ZeroShot')
        $icl = ConvertTo-Double ($zeroShot | Where-Object Method -EQ 'Icl').Accuracy
        $baseline = ConvertTo-Double ($zeroShot | Where-Object Method -EQ 'Baseline').Accuracy
        $icl | Should -BeGreaterThan $baseline
        foreach ($png in 'task-vectors-text.png', 'task-vectors-ltv-theta.png', 'task-vectors-head-effects.png') {
            (Get-Item (Join-Path $folder $png)).Length | Should -BeGreaterThan 1000 -Because $png
        }
    }

    It 'examples/text-icl-shots.ps1 runs small, writes its table, plot and manifest, and a rerun on the same run folder resumes' {
        $folder = New-TestFolder
        $modelDir = Join-Path $folder 'keyed-small'
        $script = Join-Path $RepositoryRoot 'examples/text-icl-shots.ps1'
        $arguments = "-ModelDir '$modelDir' -ResultDir '$folder' -CheckpointDir '$(Join-Path $folder 'run')' -Steps 4 -BatchSize 4 -TrainingShots 4 -WarmupSteps 1 -EvaluateEvery 2 -TrainTasks 8 -HeldOutTasks 2 -Seeds 1 -ShotCounts 0, 2"
        $first = Invoke-ChildPwsh -WorkingDirectory $folder -Command "& '$script' $arguments"
        $first.Stderr | Should -BeNullOrEmpty
        $first.ExitCode | Should -Be 0
        $csv = Join-Path $folder 'text-icl-shots.csv'
        Get-Content $csv -TotalCount 1 | Should -BeExactly 'Shots,Accuracy,N,Chance,Ceiling'
        @(Import-Csv $csv | ForEach-Object { "$($_.Shots):$($_.N)" }) | Should -Be @('0:54', '2:54')
        (Get-Item (Join-Path $folder 'text-icl-shots.png')).Length | Should -BeGreaterThan 1000
        $manifest = Get-Content (Join-Path $modelDir 'iclps-model.json') -Raw | ConvertFrom-Json
        $manifest.family.name, $manifest.steps, $manifest.commit | Should -Not -BeNullOrEmpty
        $manifest.metrics.PSObject.Properties.Name | Should -Contain 'finalLoss'
        $weights = (Get-FileHash (Join-Path $modelDir 'model.safetensors')).Hash

        # The run folder holds the finished run: the rerun trains nothing (no progress rows, so no finalLoss) and saves the same weights.
        $again = Invoke-ChildPwsh -WorkingDirectory $folder -Command "& '$script' $arguments"
        $again.ExitCode | Should -Be 0
        (Get-FileHash (Join-Path $modelDir 'model.safetensors')).Hash | Should -Be $weights
        (Get-Content (Join-Path $modelDir 'iclps-model.json') -Raw | ConvertFrom-Json).metrics.PSObject.Properties.Name | Should -Not -Contain 'finalLoss'
        @(Get-ChildItem ([IO.Path]::GetTempPath()) -Filter "iclps-held-out-*" -Directory | Where-Object LastWriteTime -GT (Get-Date).AddMinutes(-5)) | Should -HaveCount 0
    }

    It 'examples/text-rules-model.ps1 runs small and writes the model with its manifest' {
        $folder = New-TestFolder
        $modelDir = Join-Path $folder 'rules-small'
        $script = Join-Path $RepositoryRoot 'examples/text-rules-model.ps1'
        $run = Invoke-ChildPwsh -WorkingDirectory $folder -Command "& '$script' -ModelDir '$modelDir' -Preset gpt2-tiny -Steps 2 -BatchSize 2 -TrainingShots 4 -WarmupSteps 1 -EvaluateEvery 2"
        $run.Stderr | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0
        $manifest = Get-Content (Join-Path $modelDir 'iclps-model.json') -Raw | ConvertFrom-Json
        $manifest.family.name | Should -Be 'Rules'
        @($manifest.metrics.PSObject.Properties.Name)[0..2] | Should -Be @('accuracy8Shot', 'accuracy0Shot', 'chance')
        (Import-IclModel -Path $modelDir).Config.Layers | Should -Be 2
    }

    It 'examples/text-icl-mixture-shots.ps1 runs small and writes its per-family table, plot and model manifest' {
        $folder = New-TestFolder
        $modelDir = Join-Path $folder 'mix-small'
        $script = Join-Path $RepositoryRoot 'examples/text-icl-mixture-shots.ps1'
        $arguments = "-Name mix-small -ModelDir '$modelDir' -ResultDir '$folder' -Preset llama-tiny -Steps 4 -BatchSize 4 -TrainingShots 4 -WarmupSteps 1 -EvaluateEvery 2 -TrainTasks 8 -HeldOutTasks 2 -Seeds 1 -ShotCounts 0, 2"
        $run = Invoke-ChildPwsh -WorkingDirectory $folder -Command "& '$script' $arguments 6>`$null"
        $run.Stderr | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0

        $csv = Join-Path $folder 'mix-small-shots.csv'
        Get-Content $csv -TotalCount 1 | Should -BeExactly 'Family,Shots,Accuracy,N,Chance,Ceiling'
        $rows = @(Import-Csv $csv)
        @($rows | ForEach-Object { "$($_.Family):$($_.Shots):$($_.N)" }) | Should -Be @('KeyedLookup:0:54', 'KeyedLookup:2:54', 'Transduction:0:162', 'Transduction:2:162')
        (Get-Item (Join-Path $folder 'mix-small-shots.png')).Length | Should -BeGreaterThan 1000
        $manifest = Get-Content (Join-Path $modelDir 'iclps-model.json') -Raw | ConvertFrom-Json
        $manifest.name | Should -Be 'mix-small'
        $manifest.families.name | Should -Be @('KeyedLookup', 'Transduction')
        $manifest.metrics.PSObject.Properties.Name | Should -Contain 'heldOutAccuracy0ShotTransduction'
        (Import-IclModel -Path $modelDir).Config.Family.ToString() | Should -Be 'Llama'
    }
}
