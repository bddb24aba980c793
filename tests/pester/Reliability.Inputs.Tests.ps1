#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Reliability of inputs, each case reproducing a reported fault through the cmdlets: sizes are checked before
# allocation, non-finite weights are refused, a diverging run keeps no bad checkpoint, numeric options are validated,
# hook names resolve or fail with suggestions, and no libtorch or IO exception reaches a user raw.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')

    # A config.json of the given fields in a fresh folder; returns its path.
    function New-Config([hashtable]$Fields) {
        $path = Join-Path (New-TestFolder) 'config.json'
        $Fields | ConvertTo-Json | Set-Content -LiteralPath $path
        $path
    }

    # The first error record $Script writes, terminating or not.
    function Get-Failure([scriptblock]$Script) {
        $ErrorActionPreference = 'Stop'
        try { $null = & $Script } catch { return $_ }
    }

    # Runs $Script with $env:ICLPS_MEMORY_LIMIT_BYTES set to $Limit (null: unset), restoring it afterwards.
    function Invoke-WithMemoryLimit($Limit, [scriptblock]$Script) {
        $saved = $env:ICLPS_MEMORY_LIMIT_BYTES
        try {
            $env:ICLPS_MEMORY_LIMIT_BYTES = $Limit
            & $Script
        }
        finally { $env:ICLPS_MEMORY_LIMIT_BYTES = $saved }
    }

    # Overwrites the first $Count float32 values of $Tensor in a safetensors file (every value when $Count is 0).
    function Set-StoredValue([string]$Path, [string]$Tensor, [single]$Value, [int]$Count = 1) {
        $bytes = [IO.File]::ReadAllBytes($Path)
        $headerLength = [BitConverter]::ToInt64($bytes, 0)
        $header = [Text.Encoding]::UTF8.GetString($bytes, 8, $headerLength) | ConvertFrom-Json -AsHashtable
        $entry = $header[$Tensor]
        $entry.dtype | Should -Be 'F32'
        $begin = 8 + $headerLength + $entry.data_offsets[0]
        $values = ($entry.data_offsets[1] - $entry.data_offsets[0]) / 4
        $n = if ($Count -gt 0) { $Count } else { $values }
        $valueBytes = [BitConverter]::GetBytes($Value)
        for ($i = 0; $i -lt $n; $i++) { [Array]::Copy($valueBytes, 0, $bytes, $begin + 4 * $i, 4) }
        [IO.File]::WriteAllBytes($Path, $bytes)
    }

    # After editing a task vector's tensors, records their new SHA-256 in its JSON so that the edit is what gets checked.
    function Update-TaskVectorHash([string]$Stem) {
        $json = "$Stem.json"
        $hash = (Get-FileHash -Algorithm SHA256 -LiteralPath "$Stem.safetensors").Hash.ToLowerInvariant()
        $text = [IO.File]::ReadAllText($json) -replace '("tensors_sha256"\s*:\s*")[0-9a-fA-F]+(")', "`${1}$hash`${2}"
        [IO.File]::WriteAllText($json, $text)
    }

    $script:TinyGpt2 = @{ model_type = 'gpt2'; vocab_size = 512; n_positions = 64; n_embd = 64; n_layer = 2; n_head = 4 }
}

Describe 'Sizes are checked before allocation' {
    It 'refuses a config with n_layer 100000 at once, naming n_layer and the estimate (<Command>)' -ForEach @(
        @{ Command = 'New-IclModel' }, @{ Command = 'Import-IclModel' }
    ) {
        $fields = $TinyGpt2.Clone(); $fields.n_layer = 100000
        $config = New-Config $fields
        $folder = Split-Path $config
        if ($Command -eq 'Import-IclModel') {
            # A real checkpoint of two layers whose config.json then claims 100000: refused before its weights are read.
            New-IclModel | Save-IclModel -Path $folder -Force
            $fields | ConvertTo-Json | Set-Content -LiteralPath $config
        }
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $failure = Invoke-WithMemoryLimit 2GB {
            Get-Failure { if ($Command -eq 'New-IclModel') { New-IclModel -ConfigPath $config } else { Import-IclModel -Path $folder } }
        }
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 10

        $failure | Should -Not -BeNullOrEmpty
        $failure.FullyQualifiedErrorId | Should -BeLike 'ModelTooLarge,*'
        $failure.CategoryInfo.Category | Should -Be 'LimitsExceeded'
        $failure.TargetObject | Should -Be 'n_layer'
        $failure.Exception.Message | Should -Match 'n_layer = 100000 would have to be at most \d'
        $failure.Exception.Message | Should -Match 'needs about [\d.]+ GiB'
        $failure.Exception.Message | Should -Match 'ICLPS_MEMORY_LIMIT_BYTES'
    }

    It 'refuses the same config against the machine''s own free memory when no limit is set' {
        $fields = $TinyGpt2.Clone(); $fields.n_layer = 100000; $fields.n_embd = 512; $fields.n_head = 8
        $config = New-Config $fields
        $failure = Invoke-WithMemoryLimit $null { Get-Failure { New-IclModel -ConfigPath $config } }
        $failure.FullyQualifiedErrorId | Should -BeLike 'ModelTooLarge,*'
        $failure.Exception.Message | Should -Match 'MemAvailable|available memory'
    }

    It 'refuses n_embd 1e9 naming n_embd, not with a libtorch ExternalException (<Case>)' -ForEach @(
        @{ Case = 'with n_inner'; Inner = 256 }, @{ Case = 'default n_inner = 4 n_embd'; Inner = $null }
    ) {
        $fields = $TinyGpt2.Clone(); $fields.n_embd = 1000000000
        if ($Inner) { $fields.n_inner = $Inner }
        $config = New-Config $fields
        $failure = Get-Failure { New-IclModel -ConfigPath $config }
        $failure.Exception | Should -Not -BeOfType [System.Runtime.InteropServices.ExternalException]
        $failure.FullyQualifiedErrorId | Should -BeLike 'ModelTooLarge,*'
        $failure.CategoryInfo.Category | Should -Be 'LimitsExceeded'
        $failure.TargetObject | Should -Be 'n_embd'
        $failure.Exception.Message | Should -Match "n_embd' = 1000000000|n_embd = 1000000000"
    }

    It 'refuses stored weights whose shapes disagree with config.json, naming the tensor' {
        $folder = New-TestFolder
        New-IclModel | Save-IclModel -Path $folder -Force
        $fields = $TinyGpt2.Clone(); $fields.n_embd = 128
        $fields | ConvertTo-Json | Set-Content -LiteralPath (Join-Path $folder 'config.json')
        $failure = Get-Failure { Import-IclModel -Path $folder }
        $failure.FullyQualifiedErrorId | Should -BeLike 'CheckpointShapeMismatch,*'
        $failure.TargetObject | Should -Be 'transformer.wte.weight'
    }

    It 'refuses a malformed ICLPS_MEMORY_LIMIT_BYTES, naming the variable' {
        $failure = Invoke-WithMemoryLimit 'lots' { Get-Failure { New-IclModel } }
        $failure.FullyQualifiedErrorId | Should -BeLike 'InvalidMemoryLimit,*'
        $failure.TargetObject | Should -Be 'ICLPS_MEMORY_LIMIT_BYTES'
    }
}

Describe 'Non-finite weights are refused at load' {
    BeforeAll {
        $script:poisoned = New-TestFolder
        New-IclModel | Save-IclModel -Path $poisoned -Force
        Set-StoredValue (Join-Path $poisoned 'model.safetensors') 'transformer.h.0.mlp.c_fc.weight' ([single]::NaN)
    }

    It 'refuses a checkpoint holding NaN, naming the tensor' {
        $failure = Get-Failure { Import-IclModel -Path $poisoned }
        $failure.FullyQualifiedErrorId | Should -BeLike 'CheckpointNonFiniteTensor,*'
        $failure.CategoryInfo.Category | Should -Be 'InvalidData'
        $failure.TargetObject | Should -Be 'transformer.h.0.mlp.c_fc.weight'
        $failure.Exception.Message | Should -Match '1 NaN'
        $failure.Exception.Message | Should -Match 'AllowNonFinite'
    }

    It 'loads it with -AllowNonFinite' {
        $model = Import-IclModel -Path $poisoned -AllowNonFinite
        $model.Config.Layers | Should -Be 2
    }

    It 'refuses to resume training from a checkpoint holding infinity' {
        $run = New-TestFolder
        $tiny = @{ Dimension = 2; Points = 4; Steps = 2; BatchSize = 4; EvaluateEvery = 0; Device = 'cpu'; Path = $run; CheckpointEvery = 1 }
        $null = Start-IclTraining @tiny
        Set-StoredValue (Join-Path $run 'step-00000002/model.safetensors') 'read_out.weight' ([single]::PositiveInfinity)
        $failure = Get-Failure { Start-IclTraining @tiny -Resume }
        $failure.FullyQualifiedErrorId | Should -BeLike 'CheckpointNonFiniteTensor,*'
        $failure.TargetObject | Should -Be 'read_out.weight'
    }

    It 'refuses a task vector holding NaN, naming the tensor' {
        $m = New-IclModel
        $ds = Import-IclDataset $AntonymPath
        $stem = Join-Path (New-TestFolder) 'tv'
        New-TaskVector -Model $m -Dataset $ds -Method TaskVector -Shots 2 -Prompts 2 -ValidationPrompts 2 -Layer 0 | Export-TaskVector -Path $stem
        Set-StoredValue "$stem.safetensors" 'vector.layer0' ([single]::NaN)
        Update-TaskVectorHash $stem
        $failure = Get-Failure { Import-TaskVector -Path $stem }
        $failure.FullyQualifiedErrorId | Should -BeLike 'TaskVectorNonFinite*'
        $failure.TargetObject | Should -Be 'vector.layer0'
    }
}

Describe 'A diverging run keeps no bad checkpoint' {
    It 'writes no checkpoint of the weights that diverged (-LearningRate 1e4 -Schedule Constant -CheckpointEvery 1)' {
        $run = New-TestFolder
        $failure = Get-Failure {
            Start-IclTraining -Dimension 2 -Points 4 -Steps 5 -BatchSize 4 -EvaluateEvery 0 -Device cpu -LearningRate 1e4 -Schedule Constant -CheckpointEvery 1 -Path $run
        }
        $failure.FullyQualifiedErrorId | Should -BeLike 'TrainingDiverged,*'
        $failure.Exception.Message | Should -Match 'at update 1: the training loss at the weights to checkpoint'
        $failure.Exception.Message | Should -Match 'No checkpoint was written'
        @(Get-ChildItem -LiteralPath $run -Directory -Filter 'step-*') | Should -HaveCount 0
        @(Get-ChildItem -LiteralPath $run -Directory -Force | Where-Object Name -Like '.*') | Should -HaveCount 0
    }
}

Describe 'Numeric options are validated' {
    It 'refuses -LearningRate <Value> naming the parameter' -ForEach @(
        @{ Value = 1e40 }, @{ Value = [double]::NaN }, @{ Value = [double]::PositiveInfinity }, @{ Value = 0 }, @{ Value = -1e-3 }
    ) {
        $failure = Get-Failure { Start-IclTraining -Steps 1 -LearningRate $Value }
        $failure.Exception | Should -Not -BeOfType [System.Runtime.InteropServices.ExternalException]
        $failure.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentValidationError,*'
        $failure.Exception.Message | Should -Match "parameter 'LearningRate'"
    }

    It 'refuses NaN in <Parameter> of Invoke-IclPrompt with an id naming the parameter' -ForEach @(
        @{ Parameter = 'X'; Query = [pscustomobject]@{ X = @(@(1.0, 0.0), @(0.0, [double]::NaN)); Y = @(2.0) } }
        @{ Parameter = 'Y'; Query = [pscustomobject]@{ X = @(@(1.0, 0.0), @(0.0, 1.0)); Y = @([double]::PositiveInfinity) } }
    ) {
        $model = @(Start-IclTraining -Dimension 2 -Points 4 -Steps 1 -BatchSize 4 -EvaluateEvery 0 -Device cpu -PassThru)[-1]
        $errors = $null
        $rows = @($Query | Invoke-IclPrompt -RegressionModel $model -ErrorVariable errors -ErrorAction SilentlyContinue)
        $rows | Should -HaveCount 0
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'NonFiniteParameter,*'
        $errors[0].TargetObject | Should -Be $Parameter
        $errors[0].Exception.Message | Should -Match "^-$Parameter must be a finite number"
    }

    It 'gives every double parameter of every cmdlet a range' {
        $missing = foreach ($command in Get-Command -Module IclPs -CommandType Cmdlet) {
            foreach ($parameter in $command.Parameters.Values) {
                $type = $parameter.ParameterType
                if ([Nullable]::GetUnderlyingType($type)) { $type = [Nullable]::GetUnderlyingType($type) }
                if ($type -notin [double], [float]) { continue }
                if (-not ($parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateRangeAttribute] })) {
                    "$($command.Name) -$($parameter.Name)"
                }
            }
        }
        @($missing) | Should -BeNullOrEmpty
    }
}

Describe 'Hook names resolve for the model at hand' {
    BeforeAll {
        $script:gpt2 = New-IclModel
        $script:llama = New-IclModel -Preset llama-tiny
        function Invoke-Forward($Model, $Hooks) {
            $ids = [TorchSharp.torch]::tensor([long[]]@(72, 105, 33)).reshape([long[]]@(1, 3))
            $null = $Model.Network.Forward($ids, $null, $Hooks, $false)
        }
    }

    It 'refuses a misspelt capture with the nearest valid names' {
        $hooks = [IclPs.Engine.Models.HookSet]::new().Capture('blocks.0.hook_resid_pots', [IclPs.Engine.Models.PositionFilter]::Last, $false)
        $failure = Get-Failure { Invoke-Forward $gpt2 $hooks }
        $engine = $failure.Exception.InnerException
        $engine.ErrorId | Should -Be 'UnknownHookName'
        $engine.Target | Should -Be 'blocks.0.hook_resid_pots'
        $engine.Message | Should -Match "nearest valid names: 'blocks.0.hook_resid_post'"
    }

    It 'lists no hook_pos_embed for LLaMA, and refuses it there' {
        $llama.Network.HookPoints | Should -Not -Contain 'hook_pos_embed'
        $gpt2.Network.HookPoints | Should -Contain 'hook_pos_embed'
        $hooks = [IclPs.Engine.Models.HookSet]::new().Capture('hook_pos_embed', [IclPs.Engine.Models.PositionFilter]::Last, $false)
        $failure = Get-Failure { Invoke-Forward $llama $hooks }
        $failure.Exception.InnerException.ErrorId | Should -Be 'UnknownHookName'
        $failure.Exception.InnerException.Message | Should -Match "'hook_embed'"
    }

    It 'warns when an intervention changed nothing' {
        $ds = Import-IclDataset $AntonymPath
        $stem = Join-Path (New-TestFolder) 'fv'
        New-TaskVector -Model $gpt2 -Dataset $ds -Method FunctionVector -TopK 2 -Shots 2 -Prompts 2 -EffectPrompts 2 -Layer 0 | Export-TaskVector -Path $stem
        # A function vector is added to the residual stream: all zeros adds nothing.
        Set-StoredValue "$stem.safetensors" 'vector.layer0' 0 -Count 0
        Update-TaskVectorHash $stem
        $zero = Import-TaskVector -Path $stem

        $warnings = $null
        $rows = @(Invoke-IclPrompt -Model $gpt2 -Dataset $ds -Shots 0 -First 2 -MaxNewTokens 1 -TaskVector $zero -WarningVariable warnings -WarningAction SilentlyContinue)
        $rows | Should -HaveCount 2
        $warnings | Should -HaveCount 1
        "$($warnings[0])" | Should -Match 'changed no position'

        $warnings = $null
        $real = New-TaskVector -Model $gpt2 -Dataset $ds -Method TaskVector -Shots 2 -Prompts 2 -ValidationPrompts 2 -Layer 0
        $null = Invoke-IclPrompt -Model $gpt2 -Dataset $ds -Shots 0 -First 2 -MaxNewTokens 1 -TaskVector $real -WarningVariable warnings -WarningAction SilentlyContinue
        $warnings | Should -HaveCount 0
    }
}

Describe 'No engine exception reaches a user raw' {
    It 'reports a libtorch failure with an IclPs id, a category, the offending value and no C++ stack trace' {
        # The size check off, a tensor whose byte count overflows: libtorch itself refuses it.
        $fields = $TinyGpt2.Clone(); $fields.vocab_size = 2147483647; $fields.n_embd = 2147483644; $fields.n_inner = 4; $fields.n_layer = 1
        $config = New-Config $fields
        $verbose = [System.Collections.Generic.List[object]]::new()
        $failure = Invoke-WithMemoryLimit 'unlimited' { Get-Failure { New-IclModel -ConfigPath $config -Verbose 4>&1 | ForEach-Object { $verbose.Add($_) } } }

        $failure.FullyQualifiedErrorId | Should -BeLike 'Torch*,IclPs.Cmdlets.NewIclModelCommand'
        $failure.CategoryInfo.Category | Should -Not -Be 'NotSpecified'
        $failure.Exception | Should -BeOfType [IclPs.Engine.IclPsException]
        $failure.Exception.InnerException | Should -BeOfType [System.Runtime.InteropServices.ExternalException]
        $failure.Exception.Message | Should -Match '^libtorch failed: '
        $failure.Exception.Message | Should -Not -Match "`n|frame #|most recent call first"
        $failure.TargetObject | Should -Not -BeNullOrEmpty
        # The full text, trace included, is on the verbose stream.
        @($verbose | Where-Object { "$_" -match 'ExternalException' }) | Should -Not -BeNullOrEmpty
    }

    It 'reports a file-system failure inside <Command> with an IclPs id, a category and the path' -Skip:(-not $IsLinux) -ForEach @(
        @{ Command = 'Import-TaskVector'; File = 'tv.json' }, @{ Command = 'Import-IclDataset'; File = 'data.json' }
    ) {
        # A file whose every read fails with EIO: a link to /proc/self/mem.
        $folder = New-TestFolder
        $path = Join-Path $folder $File
        $null = New-Item -ItemType SymbolicLink -Path $path -Target /proc/self/mem
        Set-Content -LiteralPath (Join-Path $folder 'tv.safetensors') -Value 'x'
        $errors = $null
        $rows = @(& $Command -Path $path -ErrorVariable errors -ErrorAction SilentlyContinue)
        $rows | Should -HaveCount 0
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'IOFailed,*'
        $errors[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $errors[0].Exception | Should -BeOfType [System.IO.IOException]
        $errors[0].TargetObject | Should -Be $path
    }
}
