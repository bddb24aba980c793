BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')

    function Get-Logits($Model) {
        $ids = [long[]]@($Model.Tokenizer.Encode('hot ->'))
        , $Model.Network.Forward([TorchSharp.torch]::tensor($ids).unsqueeze(0)).to_type('Float32').flatten().data[float]().ToArray()
    }
    function Get-MaxDifference([float[]]$A, [float[]]$B) {
        $max = 0.0
        for ($i = 0; $i -lt $A.Length; $i++) { $max = [math]::Max($max, [math]::Abs($A[$i] - $B[$i])) }
        $max
    }
    $script:Pairs = 'hot:cold', 'up:down', 'in:out', 'yes:no', 'big:small', 'wet:dry' | ForEach-Object {
        $i, $o = $_ -split ':'; [pscustomobject]@{ Input = $i; Output = $o }
    }
}

Describe 'Start-IclAdapterTraining' {
    It 'tunes an adapter whose loss falls, leaving the base weights as they were' {
        $model = New-IclModel -Preset llama-tiny -Seed 1
        $before = Get-Logits $model
        $weights = @($model.Network.CheckpointTensors() | ForEach-Object { , $_.Item2.clone() })
        $rows = @($Pairs | Start-IclAdapterTraining -Model $model -Steps 30 -ReportEvery 10 -LearningRate 0.03 -TargetModule q_proj, v_proj, down_proj -Seed 4)
        $rows.Count | Should -Be 3
        $rows[0].PSObject.TypeNames[0] | Should -Be 'IclPs.AdapterTrainingProgress'
        $rows.Step | Should -Be @(10, 20, 30)
        # An untrained base with small logits: the adapter lowers the loss by about a nat in 30 updates.
        $rows[2].Loss | Should -BeLessThan ($rows[0].Loss - 0.3)
        $model.Network.Adapter.Layers.Count | Should -Be 6
        $i = 0
        foreach ($tensor in $model.Network.CheckpointTensors()) {
            $tensor.Item2.equal($weights[$i]).all().item[bool]() | Should -BeTrue -Because "$($tensor.Item1) is frozen"
            $i++
        }
        Get-MaxDifference $before (Get-Logits $model) | Should -BeGreaterThan 1e-3
    }

    It 'gives the same losses for the same seed and others for another' {
        $run = { param($seed) $m = New-IclModel -Preset llama-tiny -Seed 1; @($Pairs | Start-IclAdapterTraining -Model $m -Steps 4 -ReportEvery 1 -Seed $seed).Loss }
        $a = & $run 7
        & $run 7 | Should -Be $a
        (& $run 8) -join ',' | Should -Not -Be ($a -join ',')
    }

    It 'resumes from its checkpoints to the adapter an uninterrupted run saves, byte for byte' {
        $straight = Join-Path $TestDrive 'straight'
        $split = Join-Path $TestDrive 'split'
        $tune = @{ Steps = 9; ReportEvery = 3; LearningRate = 0.03; Seed = 4 }
        $null = $Pairs | Start-IclAdapterTraining -Model (New-IclModel -Preset llama-tiny -Seed 1) @tune -Path $straight
        $first = @($Pairs | Start-IclAdapterTraining -Model (New-IclModel -Preset llama-tiny -Seed 1) @tune -Path $split -CheckpointEvery 3 -Steps 5)
        $first.Step | Should -Be @(3, 5)
        @(Get-ChildItem (Join-Path $split 'checkpoints') -Directory).Name | Should -Be @('step-00000003', 'step-00000005')
        # A freshly made model (its new adapter's A is replaced by the checkpoint's), carried on from update 5.
        $rest = @($Pairs | Start-IclAdapterTraining -Model (New-IclModel -Preset llama-tiny -Seed 1) @tune -Path $split -CheckpointEvery 3 -Resume -Verbose 4>&1)
        ($rest | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Contain "Resumed from the checkpoint at update 5 in '$(Join-Path $split 'checkpoints')'."
        @($rest | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }).Step | Should -Be @(6, 9)
        $bytes = { param($folder) [Convert]::ToBase64String([IO.File]::ReadAllBytes((Join-Path $folder 'adapter_model.safetensors'))) }
        & $bytes $split | Should -BeExactly (& $bytes $straight)
        @(Get-ChildItem (Join-Path $split 'checkpoints') -Directory).Name | Should -Be @('step-00000006', 'step-00000009')
    }

    It 'refuses <Case> with <ErrorId>' -ForEach @(
        @{ Case = '-Resume without -Path'; ErrorId = 'CheckpointsNeedPath'; Extra = @{ Resume = $true } }
        @{ Case = 'checkpoints found without -Resume'; ErrorId = 'TrainingCheckpointsExist'; Extra = @{ Force = $true } }
        @{ Case = 'a resume at another learning rate'; ErrorId = 'TrainingResumeMismatch'; Extra = @{ Resume = $true; LearningRate = 0.01 } }
    ) {
        $folder = Join-Path $TestDrive "refused-$([guid]::NewGuid())"
        $null = $Pairs | Start-IclAdapterTraining -Model (New-IclModel -Preset llama-tiny -Seed 1) -Steps 2 -LearningRate 0.03 -Path $folder -CheckpointEvery 1
        $settings = @{ Steps = 4; LearningRate = 0.03; CheckpointEvery = 1 }
        foreach ($key in $Extra.Keys) { $settings[$key] = $Extra[$key] }
        if ($Case -ne '-Resume without -Path') { $settings.Path = $folder } else { $settings.Remove('CheckpointEvery') }
        { $Pairs | Start-IclAdapterTraining -Model (New-IclModel -Preset llama-tiny -Seed 1) @settings } | Should -Throw -ErrorId "$ErrorId,*"
        @(Get-ChildItem (Join-Path $folder 'checkpoints') -Directory).Name | Should -Be @('step-00000001', 'step-00000002')
    }

    It 'with zero steps leaves the logits bit-identical (B = 0)' {
        $model = New-IclModel -Preset gpt2-tiny -Seed 2
        $before = Get-Logits $model
        $Pairs | Start-IclAdapterTraining -Model $model -Steps 0 | Should -BeNullOrEmpty
        $model.Network.Adapter | Should -Not -BeNullOrEmpty
        Get-MaxDifference $before (Get-Logits $model) | Should -Be 0
    }

    It 'saves the adapter tuned so far when the pipeline is stopped, as by Ctrl+C' {
        $folder = Join-Path $TestDrive 'stopped'
        $ps = New-ModulePowerShell
        try {
            $null = $ps.AddScript('param($folder, $pairs) $pairs | Start-IclAdapterTraining -Model (New-IclModel -Preset llama-tiny) -Steps 1000000 -ReportEvery 1 -Path $folder').AddArgument($folder).AddArgument($Pairs)
            $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $running = $ps.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]::new(), $output)
            $deadline = [datetime]::UtcNow.AddSeconds(60)
            while ($output.Count -lt 2) {
                [datetime]::UtcNow | Should -BeLessThan $deadline -Because 'tuning should report its first updates'
                Start-Sleep -Milliseconds 20
            }
            $ps.Stop()
            $running.AsyncWaitHandle.WaitOne([timespan]::FromSeconds(60)) | Should -BeTrue -Because 'it stops within 60 s'
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally { $ps.Dispose() }
        (Get-ChildItem $folder).Name | Sort-Object | Should -Be @('adapter_config.json', 'adapter_model.safetensors')
        $base = Join-Path $TestDrive 'stopped-base'
        New-IclModel -Preset llama-tiny | Save-IclModel -Path $base
        (Import-IclModel $base -Adapter $folder).Network.Adapter.Layers.Count | Should -Be 4
    }

    It 'refuses a model that already carries an adapter, and -WhatIf does nothing' {
        $model = New-IclModel -Preset llama-tiny -Seed 1
        $Pairs | Start-IclAdapterTraining -Model $model -Steps 1 -WhatIf
        $model.Network.Adapter | Should -BeNullOrEmpty
        $Pairs | Start-IclAdapterTraining -Model $model -Steps 1 | Out-Null
        { $Pairs | Start-IclAdapterTraining -Model $model -Steps 1 -ErrorAction Stop } | Should -Throw -ErrorId 'AdapterAlreadyAttached*'
    }
}

Describe 'Adapters in PEFT layout' {
    BeforeAll {
        $root = Join-Path $TestDrive 'peft'
        New-IclModel -Preset gpt2-tiny -Seed 5 | Save-IclModel -Path "$root/base"
        $script:Tuned = Import-IclModel "$root/base"
        $Pairs | Start-IclAdapterTraining -Model $Tuned -Steps 5 -LearningRate 0.03 -TargetModule c_attn, c_fc -Path "$root/adapter" | Out-Null
        $script:TunedLogits = Get-Logits $Tuned
        $script:Root = $root
    }

    It 'writes adapter_config.json and adapter_model.safetensors as PEFT does' {
        (Get-ChildItem "$Root/adapter").Name | Sort-Object | Should -Be @('adapter_config.json', 'adapter_model.safetensors')
        $config = Get-Content "$Root/adapter/adapter_config.json" -Raw | ConvertFrom-Json
        $config.peft_type | Should -Be 'LORA'
        $config.r | Should -Be 4
        $config.lora_alpha | Should -Be 8
        $config.fan_in_fan_out | Should -BeTrue
        $config.target_modules | Should -Be @('c_attn', 'c_fc')
        $config.task_type | Should -Be 'CAUSAL_LM'
        $config.bias | Should -Be 'none'
        $reader = [IclPs.Engine.Checkpoints.SafetensorsReader]::Open("$Root/adapter/adapter_model.safetensors")
        try { $reader.Entries.Name | Should -Contain 'base_model.model.transformer.h.0.attn.c_attn.lora_A.weight' }
        finally { $reader.Dispose() }
    }

    It 'loads back kept separate with the tuned logits, and merged within 1e-5' {
        $separate = Import-IclModel "$Root/base" -Adapter "$Root/adapter"
        $separate.Source | Should -BeLike '*adapter:*'
        Get-MaxDifference $TunedLogits (Get-Logits $separate) | Should -Be 0
        $merged = Import-IclModel "$Root/base" -Adapter "$Root/adapter" -MergeAdapter
        $merged.Network.Adapter | Should -BeNullOrEmpty
        Get-MaxDifference $TunedLogits (Get-Logits $merged) | Should -BeLessThan 1e-5
        $merged | Save-IclModel -Path "$Root/merged"
        Get-MaxDifference (Get-Logits $merged) (Get-Logits (Import-IclModel "$Root/merged")) | Should -Be 0
    }

    It 'refuses to save a model whose adapter is kept separate' {
        $problems = @()
        $Tuned | Save-IclModel -Path "$Root/whole" -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'AdapterNotMerged*'
        Test-Path "$Root/whole" | Should -BeFalse
    }

    It 'Save-IclAdapter writes, refuses an existing adapter without -Force and honours -WhatIf' {
        $Tuned | Save-IclAdapter -Path "$Root/copy" -WhatIf
        Test-Path "$Root/copy" | Should -BeFalse
        ($Tuned | Save-IclAdapter -Path "$Root/copy" -PassThru).Name | Should -Be 'copy'
        $problems = @()
        $Tuned | Save-IclAdapter -Path "$Root/copy" -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -Be 'AdapterExists,IclPs.Cmdlets.SaveIclAdapterCommand'
        $Tuned | Save-IclAdapter -Path "$Root/copy" -Force
        $problems = @()
        New-IclModel | Save-IclAdapter -Path "$Root/none" -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'ModelHasNoAdapter*'
    }

    It 'names a missing or mismatched adapter with its error id' {
        $problems = @()
        Import-IclModel "$Root/base" -Adapter "$Root/base" -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'AdapterConfigNotFound*'
        New-IclModel -Preset llama-tiny | Save-IclModel -Path "$Root/llama"
        $problems = @()
        Import-IclModel "$Root/llama" -Adapter "$Root/adapter" -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'AdapterModuleNotFound*'
        { Import-IclModel "$Root/base" -MergeAdapter -ErrorAction Stop } | Should -Throw -ErrorId 'MergeAdapterWithoutAdapter*'
    }
}
