#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Start-IclTraining (regression on regression-tiny with D = 2..4, and -TextFamily on gpt2-tiny), Measure-IclRegression and
# Compare-IclGradientDescent.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:StartFqid = ',IclPs.Cmdlets.StartIclTrainingCommand'

    # Splits output merged with 4>&1 into objects and verbose messages.
    function Split-Verbose([object[]]$Records) {
        [pscustomobject]@{
            Output  = @($Records | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })
            Verbose = @($Records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        }
    }
}

Describe 'Start-IclTraining on regression tasks, and Measure-IclRegression' {
    It 'gives identical rows for the same seed, and a trained model that beats the zero predictor' {
        # A short run that reaches below the zero predictor: a pool of 4 tasks at D = 4, K = 8.
        $common = @{ Dimension = 4; Points = 8; TaskPoolSize = 4; Steps = 150; BatchSize = 32; LearningRate = 3e-3
                     Schedule = 'Cosine'; WarmupSteps = 15; EvaluateEvery = 50; EvaluationSamples = 128; Seed = 3; Device = 'cpu' }
        $first = @(Start-IclTraining @common)
        $second = @(Start-IclTraining @common -PassThru)
        $model = $second[-1]
        $rows = @(Measure-IclRegression $model -Samples 200)
        $summary = @(Measure-IclRegression $model -Samples 200 -Summary)

        $first | Should -HaveCount 3
        $second | Should -HaveCount 4
        foreach ($row in $first + $second[0..2]) { $row.PSObject.TypeNames[0] | Should -Be 'IclPs.RegressionTrainingProgress' }
        $first.Step | Should -Be @(50, 100, 150)
        foreach ($i in 0..2) {
            foreach ($name in 'Step', 'Loss', 'LearningRate', 'PretrainError', 'FreshError') {
                $second[$i].$name | Should -Be $first[$i].$name -Because "$name of row $i"
            }
        }

        $model.GetType().FullName | Should -Be 'IclPs.Engine.Regression.Runs.IclRegressionModel'
        $model.Name | Should -BeExactly 'regression-tiny'
        $model.Config.InputDim | Should -Be 5
        $model.Task.Dimension | Should -Be 4
        $model.Task.PoolSize | Should -Be 4

        # 2 task sources x 8 positions x (model + ridge, dmmse, least squares, 3-nn, averaging).
        $rows | Should -HaveCount (2 * 8 * 6)
        foreach ($row in $rows) { $row.PSObject.TypeNames[0] | Should -Be 'IclPs.Engine.Regression.Evaluation.RegressionErrorRow' }
        $summary | Should -HaveCount 2
        foreach ($row in $summary) { $row.PSObject.TypeNames[0] | Should -Be 'IclPs.Engine.Regression.Evaluation.RegressionSummary' }
        $pretrain = @($summary | Where-Object TaskSource -EQ 'pretrain')
        $pretrain | Should -HaveCount 1
        # Every baseline predicts 0 for the first point: its error there is the zero predictor's. Measured: 1.135 against
        # 1.308; the mean over positions includes the first ones, where no context helps.
        $zero = @($rows | Where-Object { $_.TaskSource -eq 'pretrain' -and $_.Position -eq 1 -and $_.Method -eq 'ridge' })
        $zero | Should -HaveCount 1
        $pretrain[0].ModelError | Should -BeLessThan (0.9 * $zero[0].Error)
        $pretrain[0].DeltaDmmse | Should -Not -BeNullOrEmpty
    }

    It 'continues a resumed run exactly, and Measure-IclRegression reads the tasks from the run folder' {
        $straight = New-TestFolder
        $broken = New-TestFolder
        $run = @{ Dimension = 2; Points = 4; TaskPoolSize = 3; TaskSeed = 5; Steps = 20; BatchSize = 8; EvaluateEvery = 10
                  EvaluationSamples = 32; Seed = 1; Device = 'cpu'; CheckpointEvery = 10 }
        $a = @(Start-IclTraining @run -Path $straight)
        $null = Start-IclTraining @run -Path $broken
        Remove-Item (Join-Path $broken 'step-00000020') -Recurse
        $b = Split-Verbose @(Start-IclTraining @run -Path $broken -Resume -Verbose 4>&1)

        $b.Output | Should -HaveCount 1
        $b.Output[0].PretrainError | Should -Be $a[-1].PretrainError
        $b.Output[0].FreshError | Should -Be $a[-1].FreshError
        @($b.Verbose | Where-Object { $_.Contains('Resumed from update 10') }) | Should -HaveCount 1
        Join-Path $broken 'regression-task.json' | Should -Exist

        $summary = @(Measure-IclRegression -Path $broken -Samples 20 -Summary)
        $summary | Should -HaveCount 2
        $summary[0].Dimension | Should -Be 2
        $summary[0].Points | Should -Be 4
        $summary[0].DeltaDmmse | Should -Not -BeNullOrEmpty
        # 2 task sources x 4 positions x 6 methods.
        @(Measure-IclRegression -Path $broken -Samples 20) | Should -HaveCount (2 * 4 * 6)
    }

    It 'extends a finished constant-rate run with a larger -Steps to the numbers of the longer run, and refuses it for the triangle' {
        $straight = New-TestFolder
        $extended = New-TestFolder
        $run = @{ Dimension = 2; Points = 4; TaskPoolSize = 3; BatchSize = 8; EvaluateEvery = 10; EvaluationSamples = 32; Seed = 1
                  Device = 'cpu'; Schedule = 'Constant'; WarmupSteps = 5 }
        $a = @(Start-IclTraining @run -Steps 20 -Path $straight)
        $null = Start-IclTraining @run -Steps 10 -Path $extended
        $b = Split-Verbose @(Start-IclTraining @run -Steps 20 -Path $extended -Resume -Verbose 4>&1)

        $b.Output | Should -HaveCount 1
        $b.Output[0].Step | Should -Be 20
        $b.Output[0].PretrainError | Should -Be $a[-1].PretrainError
        $b.Output[0].Loss | Should -Be $a[-1].Loss
        @($b.Verbose | Where-Object { $_.Contains('Resumed from update 10') }) | Should -HaveCount 1
        (Get-FileHash (Join-Path $extended 'step-00000020/model.safetensors')).Hash |
            Should -Be (Get-FileHash (Join-Path $straight 'step-00000020/model.safetensors')).Hash

        $triangle = New-TestFolder
        $null = Start-IclTraining @run -Schedule Triangle -Steps 10 -Path $triangle
        $refused = Start-IclTraining @run -Schedule Triangle -Steps 20 -Path $triangle -Resume -ErrorVariable problems -ErrorAction SilentlyContinue
        $refused | Should -BeNullOrEmpty
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'TrainingResumeMismatch*'
        $problems[0].TargetObject | Should -Be 'Steps'
    }

    It 'writes nothing and trains nothing with -WhatIf' {
        $folder = Join-Path (New-TestFolder) 'whatif'
        Start-IclTraining -Dimension 2 -Points 4 -Steps 5 -BatchSize 4 -Path $folder -PassThru -WhatIf | Should -BeNullOrEmpty
        $folder | Should -Not -Exist
    }

    It 'trains and reports with -Curriculum' {
        $run = Split-Verbose @(Start-IclTraining -Dimension 4 -Points 8 -Steps 12 -BatchSize 4 -Curriculum -EvaluateEvery 6 -EvaluationSamples 16 -Device cpu -Verbose 4>&1)
        $run.Output.Step | Should -Be @(6, 12)
        @($run.Verbose | Where-Object { $_.Contains('Curriculum: dimensions 1->4 by 1') }) | Should -HaveCount 1
    }

    It 'reports <Case> as <ErrorId>' -ForEach @(
        @{ Case = 'a curriculum on a task pool'; ErrorId = 'RegressionInvalidOption,IclPs.Cmdlets.StartIclTrainingCommand'
           Script = 'Start-IclTraining -Curriculum -TaskPoolSize 4 -Steps 1' }
        @{ Case = 'prompts longer than the model'; ErrorId = 'RegressionModelTooSmall,IclPs.Cmdlets.StartIclTrainingCommand'
           Script = 'Start-IclTraining -Dimension 4 -Points 40 -Steps 1' }
        @{ Case = '-Resume without -Path'; ErrorId = 'TrainingInvalidOption,IclPs.Cmdlets.StartIclTrainingCommand'
           Script = 'Start-IclTraining -Resume -Steps 1' }
        @{ Case = 'a diverging learning rate'; ErrorId = 'TrainingDiverged,IclPs.Cmdlets.StartIclTrainingCommand'
           Script = 'Start-IclTraining -Dimension 2 -Points 4 -Steps 2 -BatchSize 2 -LearningRate 1e6 -Schedule Constant -EvaluateEvery 0' }
        @{ Case = 'a missing run folder'; ErrorId = 'RegressionCheckpointNotFound,IclPs.Cmdlets.MeasureIclRegressionCommand'
           Script = 'Measure-IclRegression -Path ./no-such-run' }
        @{ Case = 'dMMSE on fresh tasks'; ErrorId = 'RegressionInvalidOption,IclPs.Cmdlets.MeasureIclRegressionCommand'
           Script = '@(Start-IclTraining -Dimension 2 -Points 4 -Steps 2 -BatchSize 2 -PassThru)[-1] | Measure-IclRegression -Baseline Dmmse -Samples 4' }
    ) {
        $run = Invoke-InFreshRunspace $Script
        $run.Terminating | Should -BeNullOrEmpty
        $run.Errors | Should -HaveCount 1
        $run.Errors[0].FullyQualifiedErrorId | Should -BeExactly $ErrorId
    }

    It 'refuses to resume a run folder with other tasks' {
        $folder = New-TestFolder
        $null = Start-IclTraining -Dimension 2 -Points 4 -Steps 2 -BatchSize 2 -Path $folder
        $rows = Start-IclTraining -Dimension 3 -Points 4 -Steps 2 -BatchSize 2 -Path $folder -Resume -ErrorVariable problems -ErrorAction SilentlyContinue
        $rows | Should -BeNullOrEmpty
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -BeExactly "RegressionTaskMismatch$StartFqid"
    }

    It 'completes -ModelPreset from the engine presets, like New-IclModel -Preset' {
        $completer = (Get-Command Start-IclTraining).Parameters['ModelPreset'].Attributes |
            Where-Object { $_ -is [System.Management.Automation.ArgumentCompleterAttribute] }
        $completer.Type.Name | Should -Be 'PresetCompleter'
        $line = 'Start-IclTraining -TextFamily KeyedLookup -ModelPreset gpt2-'
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $completions | Should -Be @('gpt2-mini', 'gpt2-small', 'gpt2-tiny', 'gpt2-tiny-6l')
    }
}

Describe 'Start-IclTraining -TextFamily' {
    BeforeAll {
        $script:Text = @{ TextFamily = 'KeyedLookup'; TrainTasks = 40; HeldOutTasks = 4; Steps = 6; BatchSize = 8; LearningRate = 3e-3
                          EvaluateEvery = 3; EvaluationTasks = 2; Seed = 2; Device = 'cpu' }
    }

    It 'repeats its typed rows with the seed, and -PassThru gives a model Invoke-IclPrompt runs' {
        $first = @(Start-IclTraining @Text)
        $second = Split-Verbose @(Start-IclTraining @Text -PassThru -Verbose 4>&1)
        $model = $second.Output[-1]
        $rows = @($second.Output | Select-Object -SkipLast 1)

        $first | Should -HaveCount 2
        $rows | Should -HaveCount 2
        foreach ($row in $first + $rows) {
            $row.PSObject.TypeNames[0] | Should -Be 'IclPs.TextTrainingProgress'
            $row.HeldOutAccuracy | Should -BeGreaterOrEqual 0
            $row.HeldOutAccuracy | Should -BeLessOrEqual 1
        }
        foreach ($i in 0, 1) {
            foreach ($name in 'Step', 'Loss', 'LearningRate', 'Shots', 'TrainAccuracy', 'HeldOutAccuracy') {
                $rows[$i].$name | Should -Be $first[$i].$name -Because "$name of row $i"
            }
        }
        $first.Step | Should -Be @(3, 6)
        $first[0].Shots | Should -Be 8

        $model.GetType().FullName | Should -Be 'IclPs.Engine.Models.IclModel'
        $model.Name | Should -BeExactly 'gpt2-tiny'
        $queries = @([pscustomobject]@{ Input = 'a1'; Output = 'r' }, [pscustomobject]@{ Input = 'b2'; Output = 's' })
        $answers = @($queries | Invoke-IclPrompt -Model $model -Demonstrations $queries -Shots 1 -Template '{input}=' -TargetDelimiter '' -FewShotDelimiter ',')
        $answers | Should -HaveCount 2
        # BOS + "b2=s," + "a1=".
        $answers[0].PromptTokens | Should -Be (1 + 5 + 3)
        @($second.Verbose | Where-Object { $_.Contains('40 training and 4 held-out maps') }) | Should -HaveCount 1
        @($second.Verbose | Where-Object { $_.Contains('best possible 0.975') }) | Should -Not -BeNullOrEmpty
    }

    It 'continues a resumed run exactly, and writes nothing with -WhatIf' {
        $straight = New-TestFolder
        $broken = New-TestFolder
        $whatIf = Join-Path (New-TestFolder) 'whatif'
        $a = @(Start-IclTraining @Text -Path $straight -CheckpointEvery 3)
        $null = Start-IclTraining @Text -Path $broken -CheckpointEvery 3
        Remove-Item (Join-Path $broken 'step-00000006') -Recurse
        $b = Split-Verbose @(Start-IclTraining @Text -Path $broken -CheckpointEvery 3 -Resume -Verbose 4>&1)

        $b.Output | Should -HaveCount 1
        $b.Output[0].Loss | Should -Be $a[-1].Loss
        $b.Output[0].HeldOutAccuracy | Should -Be $a[-1].HeldOutAccuracy
        @($b.Verbose | Where-Object { $_.Contains('Resumed from update 3') }) | Should -HaveCount 1

        @(Start-IclTraining @Text -Path $whatIf -PassThru -WhatIf) | Should -HaveCount 0
        $whatIf | Should -Not -Exist
    }

    It 'reports <Case> as <ErrorId>' -ForEach @(
        @{ Case = 'keys that are also outputs'; ErrorId = 'SymbolSetsOverlap'; Script = 'Start-IclTraining -TextFamily KeyedLookup -Keys ab -Outputs xa -Steps 1' }
        @{ Case = 'more tasks than the family has'; ErrorId = 'TooManyTasks'; Script = 'Start-IclTraining -TextFamily KeyedLookup -TrainTasks 700 -Steps 1' }
        @{ Case = 'more shots than keys'; ErrorId = 'InvalidShots'; Script = 'Start-IclTraining -TextFamily KeyedLookup -Shots 27 -Steps 1' }
        @{ Case = '-Resume without -Path'; ErrorId = 'TrainingInvalidOption'; Script = 'Start-IclTraining -TextFamily KeyedLookup -Resume -Steps 1' }
    ) {
        $run = Invoke-InFreshRunspace $Script
        $run.Terminating | Should -BeNullOrEmpty
        $run.Errors | Should -HaveCount 1
        $run.Errors[0].FullyQualifiedErrorId | Should -BeExactly "$ErrorId$StartFqid"
    }

    It 'trains the Rules family on a 6-layer preset, scoring the held-out shift, and repeats with the seed' {
        $rules = @{ TextFamily = 'Rules'; ModelPreset = 'gpt2-tiny-6l'; Alphabet = 'abcdefghijkl'; Shifts = 0, 1, -1; Permutations = 1; HeldOutShifts = 2
                    Steps = 4; BatchSize = 4; EvaluateEvery = 2; Seed = 3; Device = 'cpu' }
        $first = Split-Verbose @(Start-IclTraining @rules -PassThru -Verbose 4>&1)
        $second = @(Start-IclTraining @rules)
        $model = $first.Output[-1]
        $rows = @($first.Output | Select-Object -SkipLast 1)
        $rows.Step | Should -Be @(2, 4)
        foreach ($i in 0, 1) {
            $second[$i].Loss | Should -Be $rows[$i].Loss
            $second[$i].TrainAccuracy | Should -Be $rows[$i].TrainAccuracy
        }
        $model.Config.Layers | Should -Be 6
        @($first.Verbose | Where-Object { $_.Contains('Rules with 4 training and 1 held-out maps') }) | Should -HaveCount 1
        @($first.Verbose | Where-Object { $_.Contains('rules copy, successor, predecessor, perm-1; zero-shot chance among them 0.250') }) | Should -HaveCount 1
    }

    It 'refuses a Rules shift that repeats another modulo the alphabet as DuplicateRule' {
        $run = Invoke-InFreshRunspace 'Start-IclTraining -TextFamily Rules -Alphabet abcdef -Shifts 1, 7 -Steps 1'
        $run.Errors | Should -HaveCount 1
        $run.Errors[0].FullyQualifiedErrorId | Should -BeExactly "DuplicateRule$StartFqid"
        $run.Errors[0].TargetObject | Should -Be 7
    }

    It 'trains one LLaMA-family model on a KeyedLookup + Transduction mixture: a row per family per report, repeatable with the seed' {
        $mix = @{ TextFamily = 'KeyedLookup', 'Transduction'; FamilyWeight = 3, 1; ModelPreset = 'llama-tiny'; TrainTasks = 16; HeldOutTasks = 4
                  Steps = 4; BatchSize = 8; Shots = 4; EvaluationShots = 4; EvaluateEvery = 2; EvaluationTasks = 1; Seed = 5; Device = 'cpu' }
        $first = Split-Verbose @(Start-IclTraining @mix -PassThru -Verbose 4>&1)
        $second = @(Start-IclTraining @mix)
        $model = $first.Output[-1]
        $rows = @($first.Output | Select-Object -SkipLast 1)

        $rows.Step | Should -Be @(2, 2, 4, 4)
        $rows.Family | Should -Be @('KeyedLookup', 'Transduction', 'KeyedLookup', 'Transduction')
        # One loss per report: the mixture's.
        $rows[0].Loss | Should -Be $rows[1].Loss
        foreach ($i in 0..3) {
            foreach ($name in 'Family', 'Loss', 'TrainAccuracy', 'HeldOutAccuracy') { $second[$i].$name | Should -Be $rows[$i].$name -Because "$name of row $i" }
            $rows[$i].PSObject.TypeNames[0] | Should -Be 'IclPs.TextTrainingProgress'
        }
        $model.Config.Family | Should -Be 'Llama'
        @($first.Verbose | Where-Object { $_.Contains('Mixture: KeyedLookup 0.75, Transduction 0.25 of the training sequences.') }) | Should -HaveCount 1
        @($first.Verbose | Where-Object { $_.Contains('Transduction with 16 training and 4 held-out maps') }) | Should -HaveCount 1
        $words = @([pscustomobject]@{ Input = 'AB'; Output = 'CD' }, [pscustomobject]@{ Input = 'BA'; Output = 'DC' })
        $answers = @($words | Invoke-IclPrompt -Model $model -Demonstrations $words -Shots 1 -Template '{input}=' -TargetDelimiter '' -FewShotDelimiter ',')
        # BOS + "BA=DC," + "AB=".
        $answers[0].PromptTokens | Should -Be (1 + 6 + 3)
    }

    It 'reports a mixture with <Case> as <ErrorId>' -ForEach @(
        @{ Case = 'a weight per family missing'; ErrorId = 'TrainingInvalidOption'; Script = 'Start-IclTraining -TextFamily KeyedLookup, Transduction -FamilyWeight 1 -Steps 1' }
        @{ Case = 'a zero weight'; ErrorId = 'TrainingInvalidOption'; Script = 'Start-IclTraining -TextFamily KeyedLookup, Transduction -FamilyWeight 1, 0 -Steps 1' }
        @{ Case = 'a family named twice'; ErrorId = 'TrainingInvalidOption'; Script = 'Start-IclTraining -TextFamily Transduction, transduction -Steps 1' }
        @{ Case = 'words longer than the limit'; ErrorId = 'InvalidWordLength'; Script = 'Start-IclTraining -TextFamily Transduction -WordLength 5 -Steps 1' }
    ) {
        $run = Invoke-InFreshRunspace $Script
        $run.Terminating | Should -BeNullOrEmpty
        $run.Errors | Should -HaveCount 1
        $run.Errors[0].FullyQualifiedErrorId | Should -BeExactly "$ErrorId$StartFqid"
    }

    It 'does not bind regression parameters in the text set' {
        { Start-IclTraining -TextFamily KeyedLookup -Dimension 4 -Steps 1 } | Should -Throw -ErrorId 'AmbiguousParameterSet*'
    }
}

Describe 'Compare-IclGradientDescent' {
    It 'trains a linear self-attention layer that matches one step of tuned gradient descent' {
        $run = Split-Verbose @(Compare-IclGradientDescent -Dimension 3 -ContextPoints 4 -Steps 300 -BatchSize 128 -LearningRate 1e-2 -EvaluationSamples 2000 -Device cpu -Verbose 4>&1)
        $run.Output | Should -HaveCount 1
        $r = $run.Output[0]
        $r.PSObject.TypeNames[0] | Should -Be 'IclPs.Engine.Regression.GradientDescent.GradientDescentExperimentResult'
        $r.GdHalfMse | Should -BeLessThan $r.ZeroHalfMse
        $r.ModelHalfMse | Should -BeLessThan ($r.GdHalfMse + 0.02) -Because "LSA $($r.ModelHalfMse) vs GD $($r.GdHalfMse)"
        $r.GradientCosine | Should -BeGreaterThan 0.95
        $r.GradientCosine | Should -BeLessOrEqual 1.000001
        @($run.Verbose | Where-Object { $_.Contains('tuned GD learning rate') }) | Should -Not -BeNullOrEmpty
    }
}
