BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')

    # The checkpoint tensors (name, tensor) of a model, in order.
    function Get-Parameters($Model) { , @($Model.Network.CheckpointTensors() | ForEach-Object { $_.Item2 }) }
    function Get-First8($Tensor) { , $Tensor.flatten().narrow(0, 0, 8).data[float]().ToArray() }
}

Describe 'New-IclModel' {
    BeforeEach {
        $dir = New-Item -ItemType Directory (Join-Path $TestDrive ([guid]::NewGuid()))
    }

    It 'defaults to the gpt2-tiny preset, seed 0, on the CPU in float32 with the byte tokenizer' {
        $m = New-IclModel
        $m | Should -BeOfType ([IclPs.Engine.Models.IclModel])
        $m.GetType().FullName | Should -Be 'IclPs.Engine.Models.IclModel'
        $m.Config | Should -Be ([IclPs.Engine.Models.ModelConfig]::Presets['gpt2-tiny'])
        $m.Name | Should -Be 'gpt2-tiny'
        $m.Source | Should -Be 'preset:gpt2-tiny seed:0'
        $m.Network.Identity | Should -Be 'preset:gpt2-tiny seed:0'
        $m.Network.Device.ToString() | Should -Be 'cpu'
        $m.Network.DType.ToString() | Should -Be 'Float32'
        $m.Tokenizer.VocabSize | Should -Be 260
        $m.Tokenizer.Decode($m.Tokenizer.Encode('héllo')) | Should -BeExactly 'héllo'
    }

    It 'builds the <Preset> architecture, described by Get-IclModelInfo' -ForEach @(
        @{ Preset = 'llama-tiny'; Family = 'Llama'; Layers = 2; DModel = 64; Heads = 4 }
        @{ Preset = 'gpt2-mini'; Family = 'Gpt2'; Layers = 4; DModel = 128; Heads = 4 }
    ) {
        $info = @(New-IclModel -Preset $Preset -Name custom | Get-IclModelInfo)
        $info | Should -HaveCount 1
        $info[0].PSObject.TypeNames[0] | Should -Be 'IclPs.ModelInfo'
        $info[0].Name | Should -Be 'custom'
        $info[0].Family.ToString() | Should -Be $Family
        $info[0].Layers | Should -Be $Layers
        $info[0].DModel | Should -Be $DModel
        $info[0].Heads | Should -Be $Heads
        $info[0].Source | Should -Be "preset:$Preset seed:0"
    }

    It 'reports through Get-IclModelInfo the parameter count the network allocates' {
        $m = New-IclModel -Preset llama-tiny
        $counted = 0L
        foreach ($p in $m.Network.CheckpointTensors()) { $counted += $p.Item2.numel() }
        $counted | Should -BeGreaterThan 0
        ($m | Get-IclModelInfo).Parameters | Should -Be $counted
        (Get-IclModelInfo -Model $m).Parameters | Should -Be $counted
    }

    It 'gives identical parameters for the same seed and different ones for another' {
        $a = Get-Parameters (New-IclModel -Seed 7)
        $b = Get-Parameters (New-IclModel -Seed 7)
        $c = Get-Parameters (New-IclModel -Seed 8)
        $a.Count | Should -BeGreaterThan 10
        @(0..($a.Count - 1) | Where-Object { -not $a[$_].allclose($b[$_], 0, 0) }) | Should -HaveCount 0
        @(0..($a.Count - 1) | Where-Object { -not $a[$_].allclose($c[$_], 0, 0) }).Count | Should -BeGreaterThan 0
        $firstA = Get-First8 $a[0]
        $firstA | Should -Be (Get-First8 $b[0])
        $firstA | Should -Not -Be (Get-First8 $c[0])
        @($firstA | Where-Object { $_ -ne 0 }).Count | Should -BeGreaterThan 0
    }

    It 'applies -DType, reported by Get-IclModelInfo' {
        $m = New-IclModel -DType bfloat16
        $m.Network.DType.ToString() | Should -Be 'BFloat16'
        ($m | Get-IclModelInfo).DType | Should -Be 'bfloat16'
    }

    It 'builds the architecture of a config.json, named after its folder' {
        $folder = New-Item -ItemType Directory (Join-Path $dir 'my-llama')
        $config = Join-Path $folder 'config.json'
        [IO.File]::WriteAllText($config, [IclPs.Engine.Models.ModelConfig]::Presets['llama-tiny'].ToHfJson())
        $m = New-IclModel -ConfigPath $config -Seed 3
        $m.Name | Should -Be 'my-llama'
        $m.Config | Should -Be ([IclPs.Engine.Models.ModelConfig]::Presets['llama-tiny'])
        $m.Source | Should -Be "config:$config seed:3"
    }

    It 'reports a missing config as a non-terminating error naming the file resolved from the current location' {
        Push-Location $dir
        try {
            $models = New-IclModel -ConfigPath missing/config.json -ErrorVariable problems -ErrorAction SilentlyContinue
            $continued = 'continued'
        }
        finally { Pop-Location }
        $continued | Should -Be 'continued'
        $models | Should -BeNullOrEmpty
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -Be 'ModelConfigNotFound,IclPs.Cmdlets.NewIclModelCommand'
        $problems[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $problems[0].TargetObject | Should -Be (Join-Path $dir 'missing/config.json')
        $problems[0].Exception.GetType().BaseType.FullName | Should -Be 'IclPs.Engine.IclPsException'
    }

    It 'makes a model per good piped config and an error per bad one' {
        $good = Join-Path $dir 'good/config.json'
        $bad = Join-Path $dir 'bad/config.json'
        $null = New-Item -ItemType Directory (Split-Path $good), (Split-Path $bad)
        [IO.File]::WriteAllText($good, '{"model_type":"gpt2","vocab_size":300,"n_positions":32,"n_embd":32,"n_layer":1,"n_head":4}')
        [IO.File]::WriteAllText($bad, '{"model_type":"gpt2","vocab_size":300,"n_positions":32,"n_embd":32,"n_layer":1,"n_head":5}')
        # A path string, then a FileInfo that binds through its FullName alias, as Get-ChildItem output does.
        $models = @($bad, (Get-Item $good) | New-IclModel -ErrorVariable problems -ErrorAction SilentlyContinue)
        $models.Name | Should -Be @('good')
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -Be 'InvalidModelConfigField,IclPs.Cmdlets.NewIclModelCommand'
        $problems[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $problems[0].TargetObject | Should -Be 'n_head'
        # The same through Get-ChildItem.
        @(Get-ChildItem $dir -Recurse -Filter config.json | New-IclModel -ErrorAction SilentlyContinue).Name | Should -Be @('good')
    }

    It 'rejects a vocabulary smaller than the byte tokenizer''s' {
        $config = Join-Path $dir 'config.json'
        [IO.File]::WriteAllText($config, '{"model_type":"gpt2","vocab_size":100,"n_positions":32,"n_embd":32,"n_layer":1,"n_head":4}')
        $models = New-IclModel -ConfigPath $config -ErrorVariable problems -ErrorAction SilentlyContinue
        $models | Should -BeNullOrEmpty
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -Be 'TokenizerVocabularyTooLarge,IclPs.Cmdlets.NewIclModelCommand'
        $problems[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $problems[0].TargetObject | Should -Be "config:$config"
    }

    It 'rejects an unknown preset at parameter binding, naming the presets' {
        $e = { New-IclModel -Preset gpt9-huge } | Should -Throw -ErrorId 'ParameterArgumentValidationError,IclPs.Cmdlets.NewIclModelCommand' -PassThru
        $e.CategoryInfo.Category | Should -Be 'InvalidData'
        $e.Exception | Should -BeOfType ([System.Management.Automation.ParameterBindingException])
        $e.Exception.ParameterName | Should -Be 'Preset'
        $e.Exception.Message | Should -Match 'gpt2-tiny'
    }

    It 'puts the model on CUDA where a CUDA build has a GPU, and otherwise says CUDA is unavailable' {
        # Decided here, not with -Skip, which Pester would evaluate at discovery.
        if ([TorchSharp.torch+cuda]::is_available()) {
            (New-IclModel -Device cuda).Network.Device.ToString() | Should -BeLike 'cuda*'
            return
        }
        $models = New-IclModel -Device cuda -ErrorVariable problems -ErrorAction SilentlyContinue
        $models | Should -BeNullOrEmpty
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -Be 'CudaNotAvailable,IclPs.Cmdlets.NewIclModelCommand'
        $problems[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        $problems[0].TargetObject | Should -Be 'cuda'
    }

    It 'completes -Preset from the engine presets' {
        $completions = (TabExpansion2 -inputScript 'New-IclModel -Preset gpt2-' -cursorColumn 26).CompletionMatches.CompletionText
        $completions | Sort-Object | Should -Be @('gpt2-mini', 'gpt2-small', 'gpt2-tiny', 'gpt2-tiny-6l')
    }

    It 'prints through the IclModel table view' {
        $text = New-IclModel -Name shown | Out-String -Width 250
        $text | Should -Match ('(?m)^shown\s+Gpt2\s+2\s+64\s+4\s+' + [regex]::Escape((149248).ToString('N0')) + '\s')
    }
}
