#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Task vectors: New-TaskVector (Hendel's task vector, Todd's function vector, the learnable task vector), Measure-HeadEffect,
# Export-/Import-TaskVector, and injection with -TaskVector into Invoke-IclPrompt and Measure-HiddenSimilarity.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    # gpt2-tiny (seed 0, 2 layers x 4 heads, byte tokenizer) and antonym.json split 70/15/15 with seed 0.
    $script:m = New-IclModel
    $script:ds = Import-IclDataset $AntonymPath

    # A small Hendel task vector at layer 0.
    function New-SmallTaskVector { New-TaskVector -Model $m -Dataset $ds -Method TaskVector -Shots 2 -Prompts 2 -ValidationPrompts 2 -Layer 0 }
}

Describe 'New-TaskVector' {
    It 'builds a Hendel task vector that replaces one layer, injected zero-shot by Invoke-IclPrompt' {
        $tv = New-TaskVector -Model $m -Dataset $ds -Method TaskVector -Shots 3 -Prompts 4 -ValidationPrompts 4 -Seed 1
        $injected = @(Invoke-IclPrompt $m $ds -Shots 0 -First 3 -MaxNewTokens 2 -TaskVector $tv)
        $plain = @(Invoke-IclPrompt $m $ds -Shots 0 -First 3 -MaxNewTokens 2)

        $tv.PSObject.TypeNames[0] | Should -Be 'IclPs.Engine.TaskVectors.TaskVector'
        $tv.Method | Should -Be 'TaskVector'
        $tv.Injection | Should -Be 'Replace'
        $tv.Vectors | Should -HaveCount 1
        $injected | Should -HaveCount 3
        foreach ($r in $injected) { $r.Intervention | Should -BeExactly $tv.ToString() }
        foreach ($r in $plain) { $r.Intervention | Should -BeNullOrEmpty }
        @(0..2 | Where-Object { $injected[$_].ExpectedLogProb -ne $plain[$_].ExpectedLogProb }) | Should -Not -BeNullOrEmpty
    }

    It 'builds a function vector from the top heads at -Layer, and Measure-HeadEffect ranks every head' {
        $fv = New-TaskVector -Model $m -Dataset $ds -Method FunctionVector -TopK 3 -Shots 3 -Prompts 6 -EffectPrompts 4 -Layer 0
        $effects = @(Measure-HeadEffect -Model $m -Dataset $ds -Shots 3 -MeanPrompts 6 -EffectPrompts 4)

        $fv.Method | Should -Be 'FunctionVector'
        $fv.Injection | Should -Be 'Add'
        $fv.Heads | Should -HaveCount 3
        $fv.Vectors | Should -HaveCount 1
        # -Layer 0, not the default round(2 / 3) = 1.
        $fv.Vectors[0].Layer | Should -Be 0
        # gpt2-tiny: 2 layers x 4 heads.
        $effects | Should -HaveCount 8
        $effects[0].PSObject.TypeNames[0] | Should -Be 'IclPs.Engine.TaskVectors.HeadEffect'
        $values = @($effects.AverageIndirectEffect)
        $values | Should -Be @($values | Sort-Object -Descending)
    }

    It 'trains an LTV with one weight per head and a training curve, reporting progress' {
        $run = Invoke-InFreshRunspace -Parameters @{ m = $m; ds = $ds } -Script '
            param($m, $ds)
            New-TaskVector -Model $m -Dataset $ds -Prompts 8 -TrainPrompts 16 -ValidationPrompts 8 -MaxEpochs 2 -BatchSize 8 -Seed 3 -Verbose
        '
        $run.Terminating | Should -BeNullOrEmpty
        $run.Errors | Should -BeNullOrEmpty
        $run.Output | Should -HaveCount 1
        $ltv = $run.Output[0]
        $ltv.Method | Should -Be 'Ltv'
        $ltv.Heads | Should -HaveCount 8
        $ltv.Provenance.TrainingCurve.Count | Should -BeGreaterThan 1
        $run.Progress | Should -Not -BeNullOrEmpty
        @($run.Verbose | Where-Object { $_.Contains('validation loss') }) | Should -Not -BeNullOrEmpty
    }

    It 'builds Hendel''s per-example vector from -Demonstrations, its layer chosen on validation queries' {
        $shown = @($ds.Train.Items | Select-Object -First 3 | ForEach-Object { [pscustomobject]@{ Input = $_.Input; Output = $_.Output } })
        $tv = New-TaskVector -Model $m -Dataset $ds -Method TaskVector -Demonstrations $shown -Prompts 2 -Shots 3 -ValidationPrompts 3 -Seed 1
        $same = New-TaskVector -Model $m -Dataset $ds -Method TaskVector -Demonstrations $shown -Prompts 2 -Shots 3 -ValidationPrompts 3 -Seed 1
        $other = New-TaskVector -Model $m -Dataset $ds -Method TaskVector -Demonstrations ($shown | Select-Object -Last 2) -Prompts 2 -Shots 3 -Layer $tv.Vectors[0].Layer -Seed 1

        $tv.Provenance.Shots | Should -Be 3
        $tv.Provenance.Prompts | Should -Be 2
        $tv.Provenance.ValidationPrompts | Should -Be 3
        $tv.Provenance.Settings['layer_selection'] | Should -Be 'validation'
        $tv.Provenance.Settings['demonstrations'] | Should -BeExactly (($shown | ForEach-Object { "$($_.Input)->$($_.Output)" }) -join ';')
        $same.Vectors[0].Values | Should -Be $tv.Vectors[0].Values
        $other.Vectors[0].Values | Should -Not -Be $tv.Vectors[0].Values
    }

    It 'refuses -Demonstrations with -Method <Method>' -ForEach @(
        @{ Method = 'FunctionVector' }
        @{ Method = 'Ltv' }
    ) {
        $run = Invoke-InFreshRunspace -Parameters @{ m = $m; ds = $ds; method = $Method } -Script '
            param($m, $ds, $method)
            New-TaskVector -Model $m -Dataset $ds -Method $method -Demonstrations @([pscustomobject]@{ Input = "hot"; Output = "cold" }) -Prompts 2
        '
        $run.Output | Should -BeNullOrEmpty
        $run.Errors | Should -HaveCount 1
        $run.Errors[0].FullyQualifiedErrorId | Should -BeExactly 'InvalidTaskVectorOption,IclPs.Cmdlets.NewTaskVectorCommand'
        $run.Errors[0].TargetObject | Should -Be $Method
    }

    It 'reports -Layer outside the model as the <Method> option error' -ForEach @(
        @{ Method = 'TaskVector' }
        @{ Method = 'FunctionVector' }
    ) {
        $run = Invoke-InFreshRunspace -Parameters @{ m = $m; ds = $ds; method = $Method } -Script '
            param($m, $ds, $method)
            New-TaskVector -Model $m -Dataset $ds -Method $method -Shots 2 -Prompts 2 -ValidationPrompts 2 -EffectPrompts 2 -Layer 99
        '
        $run.Output | Should -BeNullOrEmpty
        $run.Errors | Should -HaveCount 1
        $run.Errors[0].FullyQualifiedErrorId | Should -BeExactly 'InvalidTaskVectorOption,IclPs.Cmdlets.NewTaskVectorCommand'
        $run.Errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $run.Errors[0].TargetObject | Should -Be 99
    }

    It 'takes -Loss for regression models only' {
        $loss = (Get-Command New-TaskVector).Parameters['Loss']
        @($loss.ParameterSets.Keys) | Should -Be @('Regression')
        (Get-Command Measure-HeadEffect).Parameters.ContainsKey('Loss') | Should -BeFalse
    }

    It 'builds a regression LTV on the model''s task family, injected into numeric prompts' {
        $r = @(Start-IclTraining -Dimension 2 -Points 4 -Steps 4 -BatchSize 4 -EvaluateEvery 0 -Device cpu -PassThru)[-1]
        $ltv = $r | New-TaskVector -TrainPrompts 16 -ValidationPrompts 8 -MaxEpochs 2 -BatchSize 8
        $rows = @($r | Invoke-IclPrompt -Samples 4 -TaskVector $ltv)

        $ltv.Method | Should -Be 'Ltv'
        $ltv.ActivationSource | Should -Be 'Live'
        $rows | Should -HaveCount 4
        foreach ($row in $rows) { $row.Intervention | Should -BeExactly $ltv.ToString() }
    }
}

Describe 'Task vectors in Measure-HiddenSimilarity and with -ShuffleLabels' {
    It 'adds task-vector conditions to Measure-HiddenSimilarity' {
        $tv = New-SmallTaskVector
        $rows = @(Measure-HiddenSimilarity -Model $m -Dataset $ds -First 4 -Shots 2 -TaskVector $tv)
        $pairs = @($rows | ForEach-Object { "$($_.ConditionA)-$($_.ConditionB)" })
        $pairs | Should -Contain 'ZeroShot-TaskVector'
        $pairs | Should -Contain 'Icl-TaskVector'
    }

    It 'shuffles the demonstrations'' labels with -ShuffleLabels' {
        $shuffled = @(Invoke-IclPrompt $m $ds -Shots 3 -First 2 -MaxNewTokens 1 -ShuffleLabels)
        $shuffled | Should -HaveCount 2
        $shuffled.ShuffledLabels | Should -Be @($true, $true)
        @(Invoke-IclPrompt $m $ds -Shots 3 -First 2 -MaxNewTokens 1).ShuffledLabels | Should -Be @($false, $false)
    }
}

Describe 'Export-TaskVector and Import-TaskVector' {
    It 'round-trips a vector, and guards against overwrites and other model shapes' {
        $folder = New-TestFolder
        $tv = New-SmallTaskVector
        $tv | Export-TaskVector (Join-Path $folder 'whatif') -WhatIf
        Join-Path $folder 'whatif.json' | Should -Not -Exist

        $file = $tv | Export-TaskVector (Join-Path $folder 'tv') -PassThru
        $file.Name | Should -BeExactly 'tv.json'
        Join-Path $folder 'tv.safetensors' | Should -Exist
        $back = $file | Import-TaskVector -Model $m
        $back.Vectors[0].Values.Length | Should -Be $tv.Vectors[0].Values.Length
        [Linq.Enumerable]::SequenceEqual([float[]]$back.Vectors[0].Values, [float[]]$tv.Vectors[0].Values) | Should -BeTrue

        $tv | Export-TaskVector (Join-Path $folder 'tv') -ErrorAction SilentlyContinue -ErrorVariable exists
        $exists | Should -HaveCount 1
        $exists[0].FullyQualifiedErrorId | Should -BeLike 'TaskVectorFileExists,*'

        $other = New-IclModel -Preset gpt2-mini
        Import-TaskVector (Join-Path $folder 'tv.json') -Model $other -ErrorAction SilentlyContinue -ErrorVariable mismatch | Should -BeNullOrEmpty
        $mismatch | Should -HaveCount 1
        $mismatch[0].FullyQualifiedErrorId | Should -BeLike 'TaskVectorShapeMismatch,*'
        $mismatch[0].Exception.Message | Should -BeLike '*layers = 2*'
    }

    It 'reports a write failure for each piped vector with its id and path' {
        $blocker = Join-Path (New-TestFolder) 'a-file'
        Set-Content $blocker 'where the export wants a folder'
        $tv = New-SmallTaskVector
        $files = $tv, $tv | Export-TaskVector (Join-Path $blocker 'tv') -PassThru -ErrorVariable problems -ErrorAction SilentlyContinue
        $files | Should -BeNullOrEmpty
        $problems | Should -HaveCount 2
        foreach ($problem in $problems) {
            $problem.FullyQualifiedErrorId | Should -BeExactly 'TaskVectorWriteFailed,IclPs.Cmdlets.ExportTaskVectorCommand'
            $problem.CategoryInfo.Category | Should -Be 'WriteError'
            $problem.TargetObject | Should -Be (Join-Path $blocker 'tv.json')
        }
    }
}
