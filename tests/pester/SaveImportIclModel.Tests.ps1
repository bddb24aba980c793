BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')

    # Logits of one prompt as a flat float[]: the model's behaviour, compared exactly across a save and load.
    function Get-Logits($Model) {
        $ids = [long[]]@($Model.Tokenizer.Encode('hot -> cold; big ->'))
        # The comma keeps the array whole; a function's output is otherwise unrolled.
        , $Model.Network.Forward([TorchSharp.torch]::tensor($ids).unsqueeze(0)).to_type('Float32').flatten().data[float]().ToArray()
    }
    function Test-SameValues([float[]]$A, [float[]]$B) { [System.Linq.Enumerable]::SequenceEqual($A, $B) }

    function New-Checkpoint([string]$Folder, [int]$Seed = 3) {
        New-IclModel -Seed $Seed | Save-IclModel -Path $Folder
        $Folder
    }

    # Progress records cannot be redirected in PowerShell: the script runs in a new runspace with the module imported, whose
    # streams (output, errors, verbose, progress) are then read.
    function Invoke-Captured([scriptblock]$Script, [object[]]$ArgumentList = @()) {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddCommand('Import-Module').AddParameter('Name', (Join-Path $ModuleBase 'IclPs.psd1')).AddStatement()
            $null = $ps.AddScript($Script.ToString())
            foreach ($argument in $ArgumentList) { $null = $ps.AddArgument($argument) }
            $output = $ps.Invoke()
            [pscustomobject]@{
                Output = @($output); Errors = @($ps.Streams.Error); Verbose = @($ps.Streams.Verbose); Progress = @($ps.Streams.Progress)
            }
        }
        finally { $ps.Dispose() }
    }
}

Describe 'Save-IclModel' {
    BeforeEach {
        $dir = New-Item -ItemType Directory (Join-Path $TestDrive ([guid]::NewGuid()))
    }

    It 'saves a model that Import-IclModel loads with the same logits, config and tokenizer' {
        $folder = Join-Path $dir 'seed3'
        $original = New-IclModel -Seed 3
        $original | Save-IclModel -Path $folder
        $loaded = Import-IclModel $folder
        $loaded | Should -BeOfType ([IclPs.Engine.Models.IclModel])
        $logits = Get-Logits $original
        $logits.Count | Should -BeGreaterThan 260 -Because 'one logit row per prompt position'
        Test-SameValues $logits (Get-Logits $loaded) | Should -BeTrue
        Test-SameValues $logits (Get-Logits (New-IclModel -Seed 4)) | Should -BeFalse
        $loaded.Config | Should -Be $original.Config
        $loaded.Tokenizer.Name | Should -Be $original.Tokenizer.Name
        $loaded.Name | Should -Be 'seed3'
        $loaded.Source | Should -Be $folder
        Join-Path $folder 'model.safetensors' | Should -Exist
        Join-Path $folder 'config.json' | Should -Exist
    }

    It 'writes nothing with -WhatIf' {
        $folder = Join-Path $dir 'whatif'
        New-IclModel | Save-IclModel -Path $folder -WhatIf -PassThru | Should -BeNullOrEmpty
        $folder | Should -Not -Exist
    }

    It 'keeps an existing checkpoint unless -Force' {
        $folder = New-Checkpoint (Join-Path $dir 'existing') -Seed 1
        $weights = Join-Path $folder 'model.safetensors'
        $before = (Get-FileHash $weights).Hash

        $saved = New-IclModel -Seed 2 | Save-IclModel $folder -PassThru -ErrorVariable problems -ErrorAction SilentlyContinue
        $continued = 'continued'
        $continued | Should -Be 'continued' -Because 'the refusal is a non-terminating error'
        $saved | Should -BeNullOrEmpty
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -Be 'CheckpointExists,IclPs.Cmdlets.SaveIclModelCommand'
        $problems[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        $problems[0].TargetObject | Should -Be $folder
        $problems[0].Exception.Message | Should -BeLike '*-Force*'
        (Get-FileHash $weights).Hash | Should -Be $before

        New-IclModel -Seed 2 | Save-IclModel $folder -Force
        (Get-FileHash $weights).Hash | Should -Not -Be $before
        Test-SameValues (Get-Logits (Import-IclModel $folder)) (Get-Logits (New-IclModel -Seed 2)) | Should -BeTrue
    }

    It 'writes shards with a small -MaxShardSize that import identically, and -PassThru emits the folder' {
        $folder = Join-Path $dir 'sharded'
        $model = New-IclModel -Preset llama-tiny -Seed 5
        $saved = $model | Save-IclModel -Path $folder -MaxShardSize 64KB -PassThru
        $saved | Should -BeOfType ([System.IO.DirectoryInfo])
        $saved.FullName | Should -Be $folder
        Test-SameValues (Get-Logits $model) (Get-Logits (Import-IclModel $saved)) | Should -BeTrue
        Join-Path $folder 'model.safetensors.index.json' | Should -Exist
        Join-Path $folder 'model.safetensors' | Should -Not -Exist
        @(Get-ChildItem $folder -Filter 'model-*-of-*.safetensors').Count | Should -BeGreaterThan 1
    }

    It 'writes progress per shard and completes it' {
        $folder = Join-Path $dir 'progress'
        $r = Invoke-Captured -ArgumentList $folder { param($folder) New-IclModel -Preset llama-tiny | Save-IclModel -Path $folder -MaxShardSize 64KB }
        $r.Errors | Should -BeNullOrEmpty
        $writing = @($r.Progress | Where-Object { $_.Activity.StartsWith('Saving model llama-tiny', [StringComparison]::Ordinal) -and
                $_.StatusDescription.StartsWith('Writing model-', [StringComparison]::Ordinal) })
        $writing.Count | Should -BeGreaterThan 0
        @($r.Progress | Where-Object { $_.RecordType -eq 'Completed' -and $_.Activity.StartsWith('Saving model', [StringComparison]::Ordinal) }) |
            Should -HaveCount 1
    }

    It 'resolves a relative path against the current location and says with -Verbose what it saved' {
        Push-Location $dir
        try { $verbose = @(New-IclModel -Name rel | Save-IclModel relative -Verbose 4>&1) }
        finally { Pop-Location }
        Join-Path $dir 'relative/config.json' | Should -Exist
        $saved = @($verbose | Where-Object { $_.Message.StartsWith('Saved rel (', [StringComparison]::Ordinal) })
        $saved | Should -HaveCount 1
        $saved[0].Message | Should -BeLike "*$(Join-Path $dir 'relative')*"
    }

    It 'reports a path that is a file and leaves the file alone' {
        $file = Join-Path $dir 'a-file'
        Set-Content $file 'keep me' -NoNewline
        New-IclModel | Save-IclModel $file -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -Be 'CheckpointPathIsFile,IclPs.Cmdlets.SaveIclModelCommand'
        $problems[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $problems[0].TargetObject | Should -Be $file
        Get-Content $file -Raw | Should -BeExactly 'keep me'
    }
}

Describe 'Save-IclModel and Import-IclModel with GPT-2''s vocabulary' {
    BeforeAll {
        # A tiny GPT-2 whose config.json has GPT-2's vocabulary size: the gpt2-small rule at a size tests can afford.
        $configFolder = New-TestFolder
        New-IclModel | Save-IclModel -Path $configFolder
        $configPath = Join-Path $configFolder 'config.json'
        $config = Get-Content $configPath -Raw | ConvertFrom-Json
        $config.vocab_size = 50257
        $config | ConvertTo-Json | Set-Content $configPath
        $texts = @('Hello world', ' the', 'hot -> cold; big ->', "naïve café 👋🏽`n`tdone  ", 'a<|endoftext|>b')
    }

    It 'gives gpt2-small GPT-2''s own BPE: known GPT-2 ids, end-of-text as BOS and EOS' {
        $model = New-IclModel -Preset gpt2-small
        try {
            $model.Tokenizer.Name | Should -Be 'gpt2-bpe (50257)'
            ($model | Get-IclModelInfo).Tokenizer | Should -Be 'gpt2-bpe (50257)'
            $model.Tokenizer.Encode('Hello world') | Should -Be @(15496, 995)
            $model.Tokenizer.Encode(' the') | Should -Be @(262)
            $model.Tokenizer.Encode('<|endoftext|>') | Should -Be @(50256)
            $model.Tokenizer.EosTokenId | Should -Be 50256
        }
        finally { $model.Dispose() }
    }

    It 'saves vocab.json, merges.txt and Hugging Face''s tokenizer files, and imports the same tokenizer and logits' {
        $folder = Join-Path (New-TestFolder) 'gpt2-vocab'
        $model = New-IclModel -ConfigPath $configPath -Seed 2
        $model.Tokenizer.Name | Should -Be 'gpt2-bpe (50257)'
        $model | Save-IclModel -Path $folder

        @(Get-ChildItem $folder -File | ForEach-Object Name | Sort-Object) | Should -Be @(
            'config.json', 'merges.txt', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.json' | Sort-Object)
        $tokenizerConfig = Get-Content (Join-Path $folder 'tokenizer_config.json') -Raw | ConvertFrom-Json
        $tokenizerConfig.tokenizer_class | Should -Be 'GPT2Tokenizer'
        $tokenizerConfig.model_max_length | Should -Be $model.Config.ContextLength
        $tokenizerConfig.add_prefix_space | Should -BeFalse
        foreach ($name in 'bos_token', 'eos_token', 'unk_token') { $tokenizerConfig.$name | Should -Be '<|endoftext|>' }
        # System.Text.Json: PowerShell's JSON objects fold keys that differ only in case ("The", "the").
        $fast = [System.Text.Json.JsonDocument]::Parse([IO.File]::ReadAllText((Join-Path $folder 'tokenizer.json')))
        try {
            $fastModel = $fast.RootElement.GetProperty('model')
            $fastModel.GetProperty('type').GetString() | Should -Be 'BPE'
            $vocabSize = 0
            foreach ($entry in $fastModel.GetProperty('vocab').EnumerateObject()) { $vocabSize++ }
            $vocabSize | Should -Be 50257
            $fastModel.GetProperty('merges').GetArrayLength() | Should -Be 50000
            $fast.RootElement.GetProperty('pre_tokenizer').GetProperty('type').GetString() | Should -Be 'ByteLevel'
        }
        finally { $fast.Dispose() }

        $loaded = Import-IclModel $folder
        $loaded.Tokenizer.Name | Should -Be 'gpt2-bpe (50257)'
        foreach ($text in $texts) {
            $ids = $loaded.Tokenizer.Encode($text)
            $ids | Should -Be $model.Tokenizer.Encode($text) -Because "'$text' encodes the same after the round trip"
            $loaded.Tokenizer.Decode($ids) | Should -BeExactly $text
        }
        Test-SameValues (Get-Logits $model) (Get-Logits $loaded) | Should -BeTrue

        # transformers v5 saves a GPT-2 tokenizer as tokenizer.json alone: the folder still imports, with the same tokenizer.
        Remove-Item (Join-Path $folder 'vocab.json'), (Join-Path $folder 'merges.txt')
        $v5 = Import-IclModel $folder
        $v5.Tokenizer.Name | Should -Be 'gpt2-bpe (50257)'
        foreach ($text in $texts) { $v5.Tokenizer.Encode($text) | Should -Be $model.Tokenizer.Encode($text) -Because "'$text' from tokenizer.json alone" }
    }

    It 'removes the Hugging Face tokenizer files when a byte-tokenizer model replaces the checkpoint' {
        $folder = New-TestFolder
        New-IclModel -ConfigPath $configPath | Save-IclModel -Path $folder
        New-IclModel | Save-IclModel -Path $folder -Force
        @(Get-ChildItem $folder -File | ForEach-Object Name | Sort-Object) | Should -Be @('config.json', 'iclps_tokenizer.json', 'model.safetensors' | Sort-Object)
        (Import-IclModel $folder).Tokenizer.Name | Should -Be 'simple-byte (260)'
    }
}

Describe 'Import-IclModel' {
    BeforeEach {
        $dir = New-Item -ItemType Directory (Join-Path $TestDrive ([guid]::NewGuid()))
    }

    It 'applies -Name, -DType and -Device, and reports reading with -Verbose and progress' {
        $folder = New-Checkpoint (Join-Path $dir 'named')
        $r = Invoke-Captured -ArgumentList $folder { param($folder) Import-IclModel -Path $folder -Name mine -DType bfloat16 -Device cpu -Verbose }
        $r.Errors | Should -BeNullOrEmpty
        $r.Output | Should -HaveCount 1
        $r.Output[0].PSObject.TypeNames[0] | Should -Be 'IclPs.Engine.Models.IclModel'
        $r.Output[0].Name | Should -Be 'mine'
        $r.Output[0].Source | Should -Be $folder
        @($r.Verbose | Where-Object { $_.Message.StartsWith('Reading model.safetensors', [StringComparison]::Ordinal) }).Count | Should -BeGreaterThan 0
        @($r.Verbose | Where-Object { $_.Message.StartsWith("Loaded mine from '$folder'", [StringComparison]::Ordinal) -and $_.Message.Contains('as bfloat16') }) |
            Should -HaveCount 1
        @($r.Progress | Where-Object { $_.Activity -eq "Importing model from $folder" -and
                $_.StatusDescription.StartsWith('Reading model.safetensors', [StringComparison]::Ordinal) }).Count | Should -BeGreaterThan 0
        @($r.Progress | Where-Object RecordType -EQ 'Completed').Count | Should -BeGreaterThan 0

        $info = Import-IclModel $folder -DType bfloat16 | Get-IclModelInfo
        $info.DType | Should -Be 'bfloat16'
        $info.Device | Should -Be 'cpu'
    }

    It 'binds folders from the pipeline by FullName, a config.json standing for its folder' {
        $a = New-Checkpoint (Join-Path $dir 'a') -Seed 1
        $b = New-Checkpoint (Join-Path $dir 'b') -Seed 2
        (Get-Item $a), (Get-Item (Join-Path $b 'config.json')) | Import-IclModel | ForEach-Object Name | Should -Be @('a', 'b')
    }

    It 'reports a missing folder without stopping, and loads the next' {
        $good = New-Checkpoint (Join-Path $dir 'good')
        $missing = Join-Path $dir 'missing'
        $models = @($missing, $good | Import-IclModel -ErrorVariable problems -ErrorAction SilentlyContinue)
        $models.Name | Should -Be @('good')
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -Be 'CheckpointNotFound,IclPs.Cmdlets.ImportIclModelCommand'
        $problems[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $problems[0].TargetObject | Should -Be $missing
    }

    It 'fails each of several paths in one argument on its own' {
        $good = New-Checkpoint (Join-Path $dir 'good')
        $models = @(Import-IclModel -Path (Join-Path $dir 'nope1'), $good, (Join-Path $dir 'nope2') -ErrorVariable problems -ErrorAction SilentlyContinue)
        $models.Name | Should -Be @('good')
        $problems.TargetObject | Should -Be @((Join-Path $dir 'nope1'), (Join-Path $dir 'nope2'))
    }

    # Target: '' the folder, 'file:NAME' a file in it, else a tensor name (the engine's target when one tensor is at fault; the
    # message then names the file).
    It 'reports a damaged checkpoint (<Damage>) as <ErrorId>, <Category>' -ForEach @(
        @{ Damage = 'delete config.json'; ErrorId = 'ModelConfigNotFound'; Category = 'ObjectNotFound'; Target = 'file:config.json' }
        @{ Damage = 'delete tokenizer'; ErrorId = 'TokenizerNotFound'; Category = 'ObjectNotFound'; Target = '' }
        @{ Damage = 'delete weights'; ErrorId = 'CheckpointWeightsNotFound'; Category = 'ObjectNotFound'; Target = '' }
        @{ Damage = 'truncate weights'; ErrorId = 'SafetensorsTruncated'; Category = 'InvalidData'; Target = 'transformer.wte.weight' }
        @{ Damage = 'corrupt header'; ErrorId = 'SafetensorsHeaderNotJson'; Category = 'InvalidData'; Target = 'file:model.safetensors' }
        @{ Damage = 'cut inside the header'; ErrorId = 'SafetensorsHeaderTruncated'; Category = 'InvalidData'; Target = 'file:model.safetensors' }
    ) {
        $folder = New-Checkpoint (Join-Path $dir 'damaged')
        $weights = Join-Path $folder 'model.safetensors'
        switch ($Damage) {
            'delete config.json' { Remove-Item (Join-Path $folder 'config.json') }
            'delete tokenizer' { Get-ChildItem $folder -Filter '*tokenizer*' | Remove-Item }
            'delete weights' { Remove-Item $weights }
            'truncate weights' { $s = [IO.File]::OpenWrite($weights); try { $s.SetLength($s.Length - 100) } finally { $s.Dispose() } }
            'corrupt header' {
                $s = [IO.File]::OpenWrite($weights)
                try { $s.Position = 8; $bytes = [Text.Encoding]::ASCII.GetBytes('#not json#'); $s.Write($bytes, 0, $bytes.Length) }
                finally { $s.Dispose() }
            }
            'cut inside the header' { $s = [IO.File]::OpenWrite($weights); try { $s.SetLength(20) } finally { $s.Dispose() } }
        }
        $models = Import-IclModel $folder -ErrorVariable problems -ErrorAction SilentlyContinue
        $continued = 'continued'
        $continued | Should -Be 'continued'
        $models | Should -BeNullOrEmpty
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -Be "$ErrorId,IclPs.Cmdlets.ImportIclModelCommand"
        $problems[0].CategoryInfo.Category | Should -Be $Category
        $expected = if ($Target -eq '') { $folder } elseif ($Target.StartsWith('file:')) { Join-Path $folder $Target.Substring(5) } else { $Target }
        $problems[0].TargetObject | Should -Be $expected
        $problems[0].Exception.Message | Should -BeLike "*$folder*"
    }

    It 'loads onto CUDA where a CUDA build has a GPU, and otherwise stops naming the device' {
        $folder = New-Checkpoint (Join-Path $dir 'cuda')
        if ([TorchSharp.torch+cuda]::is_available()) {
            (Import-IclModel $folder -Device cuda).Network.Device.ToString() | Should -BeLike 'cuda*'
            return
        }
        $problems = $null
        try { $null = Import-IclModel $folder -Device cuda -ErrorVariable problems -ErrorAction SilentlyContinue } catch { $problems = @($_) }
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -Be 'CudaNotAvailable,IclPs.Cmdlets.ImportIclModelCommand'
        $problems[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        $problems[0].TargetObject | Should -Be 'cuda'
    }

    It 'validates -DType at parameter binding, like New-IclModel' {
        $e = { Import-IclModel x -DType float64 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,IclPs.Cmdlets.ImportIclModelCommand' -PassThru
        $e.Exception | Should -BeOfType ([System.Management.Automation.ParameterBindingException])
        $e.Exception.ParameterName | Should -Be 'DType'
    }
}
