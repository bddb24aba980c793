#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    Pester 5 suites for pwsh users; the same behaviour is covered by tests/IclPs.Module.Tests, which run where pwsh is absent.
    Module: $env:ICLPS_MODULE_PATH (build.ps1 -Task Test sets it), else the Release build beside iclps-host.
    Host tests need $env:ICLPS_HOST (path to iclps-host.dll) and are skipped without it.
#>

BeforeAll {
    $modulePath = if ($env:ICLPS_MODULE_PATH) { $env:ICLPS_MODULE_PATH }
                  else { Join-Path $PSScriptRoot '../../src/IclPs.Host/bin/Release/net10.0/Modules/IclPs' }
    Import-Module (Join-Path $modulePath 'IclPs.psd1') -Force -ErrorAction Stop
    $script:ModuleBase = (Get-Module IclPs).ModuleBase
}

Describe 'IclPs module' {
    It 'is version 0.1.0 for PowerShell Core' {
        $module = Get-Module IclPs
        $module.Version | Should -Be ([version]'0.1.0')
        $module.CompatiblePSEditions | Should -Be @('Core')
    }

    It 'exports exactly the cmdlets its assembly defines' {
        $defined = [IclPs.IclPsCmdlet].Assembly.GetTypes() |
            ForEach-Object { $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false) } |
            ForEach-Object { "$($_.VerbName)-$($_.NounName)" }
        $exported = (Get-Module IclPs).ExportedCmdlets.Keys
        ($exported | Sort-Object) | Should -Be ($defined | Sort-Object)
        $exported | Should -Contain 'New-IclModel'
        $exported | Should -Contain 'Get-IclModelInfo'
        $exported | Should -Contain 'Invoke-IclPrompt'
        $exported | Should -Contain 'Measure-HiddenSimilarity'
    }

    It 'uses only approved verbs, on cmdlets derived from IclPsCmdlet' {
        $approved = (Get-Verb).Verb
        foreach ($command in Get-Command -Module IclPs) {
            $command.Verb | Should -BeIn $approved -Because "$($command.Name) must use an approved verb"
            $command.ImplementingType.BaseType.FullName | Should -Be 'IclPs.IclPsCmdlet'
        }
    }

    It 'has a format view for every declared output type' {
        [xml]$format = Get-Content (Join-Path $script:ModuleBase 'IclPs.format.ps1xml') -Raw
        $viewTypes = $format.Configuration.ViewDefinitions.View.ViewSelectedBy.TypeName
        # File and folder objects (-PassThru of Save-IclModel / Export-IclResult) use PowerShell's own FileSystem views.
        $ownViews = 'System.IO.FileInfo', 'System.IO.DirectoryInfo'
        foreach ($type in (Get-Command -Module IclPs).OutputType.Name | Select-Object -Unique | Where-Object { $_ -notin $ownViews }) {
            $type | Should -BeIn $viewTypes
        }
    }

    It 'ships about_IclPs help that tours the cmdlets' {
        Get-Help about_IclPs | Out-String | Should -Match 'New-IclModel'
    }

    It 'carries the TorchSharp natives and not its own PowerShell' -Skip:(-not $IsLinux) {
        Join-Path $script:ModuleBase 'runtimes/linux-x64/native/libLibTorchSharp.so' | Should -Exist
        Join-Path $script:ModuleBase 'System.Management.Automation.dll' | Should -Not -Exist
    }
}

Describe 'New-IclModel' {
    It 'defaults to gpt2-tiny, seed 0, float32' {
        $model = New-IclModel
        $model | Should -BeOfType ([IclPs.Engine.Models.IclModel])
        $model.Name | Should -Be 'gpt2-tiny'
        $model.Config | Should -Be ([IclPs.Engine.Models.ModelConfig]::Presets['gpt2-tiny'])
        $model.Source | Should -Be 'preset:gpt2-tiny seed:0'
        $model.Network.DType.ToString() | Should -Be 'Float32'
        $model.Tokenizer.Decode($model.Tokenizer.Encode('héllo')) | Should -Be 'héllo'
    }

    It 'builds the <Preset> architecture' -ForEach @(
        @{ Preset = 'llama-tiny'; Family = 'Llama'; Layers = 2; DModel = 64; Heads = 4 }
        @{ Preset = 'gpt2-mini'; Family = 'Gpt2'; Layers = 4; DModel = 128; Heads = 4 }
    ) {
        $info = New-IclModel -Preset $Preset -Name custom | Get-IclModelInfo
        $info.PSObject.TypeNames[0] | Should -Be 'IclPs.ModelInfo'
        $info.Name | Should -Be 'custom'
        $info.Family.ToString() | Should -Be $Family
        $info.Layers | Should -Be $Layers
        $info.DModel | Should -Be $DModel
        $info.Heads | Should -Be $Heads
    }

    It 'reports the parameter count the network allocates' {
        $model = New-IclModel -Preset llama-tiny
        $counted = ($model.Network.CheckpointTensors() | ForEach-Object { $_.Item2.numel() } | Measure-Object -Sum).Sum
        ($model | Get-IclModelInfo).Parameters | Should -Be $counted
    }

    It 'is reproducible from its seed' {
        $a = (New-IclModel -Seed 7).Network.CheckpointTensors() | ForEach-Object Item2
        $b = (New-IclModel -Seed 7).Network.CheckpointTensors() | ForEach-Object Item2
        $c = (New-IclModel -Seed 8).Network.CheckpointTensors() | ForEach-Object Item2
        foreach ($i in 0..($a.Count - 1)) { $a[$i].allclose($b[$i], 0, 0) | Should -BeTrue }
        @(0..($a.Count - 1) | Where-Object { -not $a[$_].allclose($c[$_], 0, 0) }).Count | Should -BeGreaterThan 0
    }

    It 'applies -DType' {
        (New-IclModel -DType bfloat16 | Get-IclModelInfo).DType | Should -Be 'bfloat16'
    }

    It 'builds from a config.json, named after its folder' {
        $folder = New-Item -ItemType Directory (Join-Path $TestDrive 'my-llama')
        [IclPs.Engine.Models.ModelConfig]::Presets['llama-tiny'].ToHfJson() | Set-Content (Join-Path $folder 'config.json')
        $model = New-IclModel -ConfigPath (Join-Path $folder 'config.json') -Seed 3
        $model.Name | Should -Be 'my-llama'
        $model.Config | Should -Be ([IclPs.Engine.Models.ModelConfig]::Presets['llama-tiny'])
    }

    It 'reports a missing config as an ObjectNotFound error on the path resolved from the current location' {
        Push-Location $TestDrive
        try { $models = New-IclModel -ConfigPath missing/config.json -ErrorVariable problems -ErrorAction SilentlyContinue }
        finally { Pop-Location }
        $models | Should -BeNullOrEmpty
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -Be 'ModelConfigNotFound,IclPs.Cmdlets.NewIclModelCommand'
        $problems[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $problems[0].TargetObject | Should -Be (Join-Path $TestDrive 'missing/config.json')
    }

    It 'makes a model per good piped config and an error per bad one' {
        $good = New-Item -ItemType Directory (Join-Path $TestDrive 'good')
        $bad = New-Item -ItemType Directory (Join-Path $TestDrive 'bad')
        '{"model_type":"gpt2","vocab_size":300,"n_positions":32,"n_embd":32,"n_layer":1,"n_head":4}' | Set-Content (Join-Path $good 'config.json')
        '{"model_type":"gpt2","vocab_size":300,"n_positions":32,"n_embd":32,"n_layer":1,"n_head":5}' | Set-Content (Join-Path $bad 'config.json')
        $models = Get-ChildItem $TestDrive -Recurse -Filter config.json | New-IclModel -ErrorVariable problems -ErrorAction SilentlyContinue
        $models.Name | Should -Be 'good'
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -Be 'InvalidModelConfigField,IclPs.Cmdlets.NewIclModelCommand'
        $problems[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $problems[0].TargetObject | Should -Be 'n_head'
    }

    It 'rejects an unknown preset at parameter binding' {
        { New-IclModel -Preset gpt9-huge } | Should -Throw -ErrorId 'ParameterArgumentValidationError,IclPs.Cmdlets.NewIclModelCommand'
    }

    It 'says CUDA is unavailable on a CPU build' -Skip:([TorchSharp.torch+cuda]::is_available()) {
        New-IclModel -Device cuda -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -Be 'CudaNotAvailable,IclPs.Cmdlets.NewIclModelCommand'
        $problems[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        $problems[0].TargetObject | Should -Be 'cuda'
    }

    It 'completes -Preset from the engine presets' {
        $completions = (TabExpansion2 -inputScript 'New-IclModel -Preset gpt2-' -cursorColumn 26).CompletionMatches.CompletionText
        ($completions | Sort-Object) | Should -Be @('gpt2-mini', 'gpt2-small', 'gpt2-tiny')
    }

    It 'prints through the IclModel table view' {
        $text = New-IclModel -Name shown | Out-String
        $text | Should -Match ('shown\s+Gpt2\s+2\s+64\s+4\s+' + [regex]::Escape((149248).ToString('N0')))
        $text | Should -Match 'preset:gpt2-tiny seed:0'
    }
}

# ---- Import-IclModel / Save-IclModel / Import-IclDataset / Export-IclResult ----

Describe 'Save-IclModel and Import-IclModel' {
    BeforeAll {
        # Logits of one prompt, compared exactly across a save and load.
        function Get-Logits($Model) {
            $ids = [long[]]@($Model.Tokenizer.Encode('hot -> cold; big ->'))
            , $Model.Network.Forward([TorchSharp.torch]::tensor($ids).unsqueeze(0)).to_type('Float32').flatten().data[float]().ToArray()
        }
        function New-Checkpoint([string]$Name, [int]$Seed = 3) {
            $folder = Join-Path $TestDrive $Name
            New-IclModel -Seed $Seed | Save-IclModel -Path $folder
            $folder
        }
    }

    It 'round-trips a model: same logits, config and tokenizer' {
        $folder = Join-Path $TestDrive 'seed3'
        $original = New-IclModel -Seed 3
        $original | Save-IclModel -Path $folder
        $loaded = Import-IclModel $folder
        $loaded | Should -BeOfType ([IclPs.Engine.Models.IclModel])
        $loaded.Name | Should -Be 'seed3'
        $loaded.Source | Should -Be (Convert-Path $folder)
        $loaded.Config | Should -Be $original.Config
        (Get-Logits $loaded) | Should -Be (Get-Logits $original)
        (Get-Logits $loaded) | Should -Not -Be (Get-Logits (New-IclModel -Seed 4))
    }

    It 'writes nothing with -WhatIf' {
        $folder = Join-Path $TestDrive 'whatif'
        New-IclModel | Save-IclModel -Path $folder -WhatIf -PassThru | Should -BeNullOrEmpty
        $folder | Should -Not -Exist
    }

    It 'keeps an existing checkpoint unless -Force' {
        $folder = New-Checkpoint existing -Seed 1
        $weights = Join-Path $folder 'model.safetensors'
        $before = (Get-FileHash $weights).Hash
        New-IclModel -Seed 2 | Save-IclModel $folder -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -Be 'CheckpointExists,IclPs.Cmdlets.SaveIclModelCommand'
        $problems[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        $problems[0].TargetObject | Should -Be $folder
        (Get-FileHash $weights).Hash | Should -Be $before
        New-IclModel -Seed 2 | Save-IclModel $folder -Force
        (Get-Logits (Import-IclModel $folder)) | Should -Be (Get-Logits (New-IclModel -Seed 2))
    }

    It 'shards with -MaxShardSize and emits the folder with -PassThru' {
        $model = New-IclModel -Preset llama-tiny -Seed 5
        $saved = $model | Save-IclModel (Join-Path $TestDrive 'sharded') -MaxShardSize 64KB -PassThru
        $saved | Should -BeOfType ([System.IO.DirectoryInfo])
        Join-Path $saved 'model.safetensors.index.json' | Should -Exist
        @(Get-ChildItem $saved -Filter 'model-*-of-*.safetensors').Count | Should -BeGreaterThan 1
        (Get-Logits ($saved | Import-IclModel)) | Should -Be (Get-Logits $model)
    }

    It 'applies -Name and -DType' {
        $info = Import-IclModel (New-Checkpoint typed) -Name mine -DType bfloat16 | Get-IclModelInfo
        $info.Name | Should -Be 'mine'
        $info.DType | Should -Be 'bfloat16'
    }

    It 'loads piped folders and reports a missing one without stopping' {
        $good = New-Checkpoint good
        $missing = Join-Path $TestDrive 'missing'
        $models = $missing, $good | Import-IclModel -ErrorVariable problems -ErrorAction SilentlyContinue
        $models.Name | Should -Be 'good'
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -Be 'CheckpointNotFound,IclPs.Cmdlets.ImportIclModelCommand'
        $problems[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $problems[0].TargetObject | Should -Be $missing
    }

    It 'reports a damaged checkpoint (<Damage>) as <ErrorId>' -ForEach @(
        @{ Damage = 'no config'; ErrorId = 'ModelConfigNotFound'; Category = 'ObjectNotFound' }
        @{ Damage = 'no tokenizer'; ErrorId = 'TokenizerNotFound'; Category = 'ObjectNotFound' }
        @{ Damage = 'truncated weights'; ErrorId = 'SafetensorsTruncated'; Category = 'InvalidData' }
        @{ Damage = 'corrupt header'; ErrorId = 'SafetensorsHeaderNotJson'; Category = 'InvalidData' }
    ) {
        $folder = New-Checkpoint damaged
        $weights = Join-Path $folder 'model.safetensors'
        switch ($Damage) {
            'no config' { Remove-Item (Join-Path $folder 'config.json') }
            'no tokenizer' { Get-ChildItem $folder -Filter '*tokenizer*' | Remove-Item }
            'truncated weights' { $s = [System.IO.File]::OpenWrite($weights); try { $s.SetLength($s.Length - 100) } finally { $s.Dispose() } }
            'corrupt header' {
                $s = [System.IO.File]::OpenWrite($weights)
                try { $s.Position = 8; $bytes = [System.Text.Encoding]::ASCII.GetBytes('#not json#'); $s.Write($bytes, 0, $bytes.Length) } finally { $s.Dispose() }
            }
        }
        Import-IclModel $folder -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -Be "$ErrorId,IclPs.Cmdlets.ImportIclModelCommand"
        $problems[0].CategoryInfo.Category | Should -Be $Category
        $problems[0].Exception.Message | Should -BeLike "*$folder*"
    }

    It 'rejects an unknown -DType at parameter binding' {
        { Import-IclModel $TestDrive -DType float64 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,IclPs.Cmdlets.ImportIclModelCommand'
    }
}

Describe 'Import-IclDataset' {
    BeforeAll {
        $script:Data = Join-Path $PSScriptRoot '../../../shared/data/function-vectors'
        $script:Antonyms = Convert-Path (Join-Path $script:Data 'antonym.json')
        $script:Capitals = Convert-Path (Join-Path $script:Data 'country-capital.json')
    }

    It 'splits antonym.json 70/15/15 with seed 0' {
        $ds = Import-IclDataset $script:Antonyms
        $ds | Should -BeOfType ([IclPs.Engine.Data.IclDatasetSplit])
        $ds.Seed | Should -Be 0
        $ds.Train.Name | Should -Be 'antonym'
        $ds.Test.SourceFile | Should -Be $script:Antonyms
        @($ds.Train.Count, $ds.Valid.Count, $ds.Test.Count) | Should -Be @(1679, 360, 359)
        @($ds.Test.Items.Input).Count | Should -Be 359
        $all = foreach ($part in $ds.Train, $ds.Valid, $ds.Test) { foreach ($item in $part.Items) { "$($item.Input)`t$($item.Output)" } }
        $file = (Get-Content $script:Antonyms -Raw | ConvertFrom-Json) | ForEach-Object { "$($_.input)`t$($_.output)" }
        ($all | Sort-Object) | Should -Be ($file | Sort-Object)
    }

    It 'is reproducible from -Seed' {
        $a = (Import-IclDataset $script:Capitals -Seed 11).Test.Items.Input
        $b = (Import-IclDataset $script:Capitals -Seed 11).Test.Items.Input
        $c = (Import-IclDataset $script:Capitals -Seed 12).Test.Items.Input
        $a | Should -HaveCount 29
        $b | Should -Be $a
        $c | Should -Not -Be $a
    }

    It 'takes files from the pipeline and -Name' {
        (Get-Item $script:Antonyms, $script:Capitals | Import-IclDataset).Train.Name | Should -Be @('antonym', 'country-capital')
        (Import-IclDataset $script:Antonyms -Name opposites).Test.Name | Should -Be 'opposites'
    }

    It 'reads CSV columns, quotes and delimiters' {
        $csv = Join-Path $TestDrive 'words.csv'
        "id,Word,opposite`r`n1,hot,cold`r`n2,`"big, very`",`"small `"`"tiny`"`"`"`r`n" | Set-Content $csv -NoNewline
        $ds = Import-IclDataset $csv -InputColumn word -OutputColumn opposite -TrainFraction 1 -ValidFraction 0
        $ds.Train.Items.Input | Should -Be @('hot', 'big, very')
        $ds.Train.Items.Output | Should -Be @('cold', 'small "tiny"')
        $txt = Join-Path $TestDrive 'words.txt'
        "input;output`nup;down`n" | Set-Content $txt -NoNewline
        (Import-IclDataset $txt -Format Csv -Delimiter ';' -TrainFraction 1 -ValidFraction 0).Train.Items[0].Output | Should -Be 'down'
    }

    It 'reports <Name> as <ErrorId> naming the file and line <Line>' -ForEach @(
        @{ Name = 'missing-output.json'; Content = "[`n  {`"input`": `"a`", `"output`": `"b`"},`n  {`"input`": `"c`"}`n]"; ErrorId = 'DataItemMissingField'; Line = 3 }
        @{ Name = 'broken.json'; Content = "[`n  {`"input`": `"a`", `"output`": `"b`"},`n  {`"input`": `"c`", `"output`": }`n]"; ErrorId = 'InvalidJson'; Line = 3 }
        @{ Name = 'short-row.csv'; Content = "input,output`na,b`nc`n"; ErrorId = 'CsvFieldCountMismatch'; Line = 3 }
    ) {
        $bad = Join-Path $TestDrive $Name
        $Content | Set-Content $bad -NoNewline
        $splits = $bad, $script:Capitals | Import-IclDataset -ErrorVariable problems -ErrorAction SilentlyContinue
        $splits.Train.Name | Should -Be 'country-capital'
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -Be "$ErrorId,IclPs.Cmdlets.ImportIclDatasetCommand"
        $problems[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $problems[0].TargetObject | Should -Be $bad
        $problems[0].Exception.Message | Should -BeLike "*line $Line*"
    }

    It 'prints through the split table view' {
        $text = Import-IclDataset $script:Antonyms -Seed 4 | Out-String
        $text | Should -Match 'antonym\s+1679\s+360\s+359\s+4\b'
    }
}

Describe 'Export-IclResult' {
    It 'writes properties in order, culture-invariant, readable by Import-Csv' {
        $path = Join-Path $TestDrive 'results.csv'
        $culture = [System.Threading.Thread]::CurrentThread.CurrentCulture
        try {
            [System.Threading.Thread]::CurrentThread.CurrentCulture = 'de-DE'
            [pscustomobject]@{ Query = 'hot'; Score = 0.25; Correct = $true; Tokens = @(1, 2, 3); Note = "a, `"quoted`"`nline" },
            [pscustomobject]@{ Query = 'big'; Score = 1234.5; Correct = $false; Tokens = @(); Note = $null } | Export-IclResult $path
        }
        finally { [System.Threading.Thread]::CurrentThread.CurrentCulture = $culture }
        $rows = Import-Csv $path
        $rows[0].PSObject.Properties.Name | Should -Be @('Query', 'Score', 'Correct', 'Tokens', 'Note')
        $rows[0].Score | Should -Be '0.25'
        $rows[0].Tokens | Should -Be '1;2;3'
        $rows[0].Note | Should -Be "a, `"quoted`"`nline"
        $rows[1].Score | Should -Be '1234.5'
        $rows[1].Correct | Should -Be 'False'
    }

    It 'summarises vectors unless -FlattenVectors' {
        $rows = [pscustomobject]@{ Layer = 1; Vector = [float[]]@(3, 4) }
        $rows | Export-IclResult (Join-Path $TestDrive 'summary.csv')
        $rows | Export-IclResult (Join-Path $TestDrive 'flat.csv') -FlattenVectors
        (Import-Csv (Join-Path $TestDrive 'summary.csv')).Vector | Should -Be 'dim=2;norm=5'
        $flat = Import-Csv (Join-Path $TestDrive 'flat.csv')
        $flat.PSObject.Properties.Name | Should -Be @('Layer', 'Vector_0', 'Vector_1')
        $flat.Vector_1 | Should -Be '4'
    }

    It 'exports engine objects such as dataset examples' {
        $ds = Import-IclDataset (Join-Path $PSScriptRoot '../../../shared/data/function-vectors/antonym.json')
        $path = Join-Path $TestDrive 'train.csv'
        $ds.Train.Items | Export-IclResult $path
        $rows = Import-Csv $path
        $rows | Should -HaveCount 1679
        $rows[0].Input | Should -BeExactly $ds.Train.Items[0].Input
        $rows[0].Output | Should -BeExactly $ds.Train.Items[0].Output
    }

    It 'leaves an existing file untouched when the pipeline fails part-way' {
        $path = Join-Path $TestDrive 'keep.csv'
        "n`r`n41`r`n" | Set-Content $path -NoNewline
        $before = (Get-FileHash $path).Hash
        { 1..5 | ForEach-Object { if ($_ -eq 3) { throw 'upstream failure' }; [pscustomobject]@{ n = $_ } } | Export-IclResult $path } |
            Should -Throw 'upstream failure'
        (Get-FileHash $path).Hash | Should -Be $before
        Get-ChildItem $TestDrive -Filter '.keep.csv.*.tmp' -Force | Should -BeNullOrEmpty
    }

    It 'appends under the same header and refuses a different one' {
        $path = Join-Path $TestDrive 'append.csv'
        [pscustomobject]@{ Model = 'a'; Accuracy = 0.5 } | Export-IclResult $path
        [pscustomobject]@{ Model = 'b'; Accuracy = 0.75 } | Export-IclResult $path -Append
        (Import-Csv $path).Model | Should -Be @('a', 'b')
        $before = (Get-FileHash $path).Hash
        { [pscustomobject]@{ Model = 'c'; Loss = 2 } | Export-IclResult $path -Append -ErrorAction Stop } |
            Should -Throw -ErrorId 'CsvHeaderMismatch,IclPs.Cmdlets.ExportIclResultCommand'
        (Get-FileHash $path).Hash | Should -Be $before
    }

    It 'writes nothing with -WhatIf and emits the file with -PassThru' {
        $path = Join-Path $TestDrive 'whatif.csv'
        [pscustomobject]@{ x = 1 } | Export-IclResult $path -WhatIf
        $path | Should -Not -Exist
        $file = [pscustomobject]@{ x = 1 } | Export-IclResult $path -PassThru
        $file | Should -BeOfType ([System.IO.FileInfo])
        $file.FullName | Should -Be $path
    }
}

Describe 'Invoke-IclPrompt' {
    BeforeAll {
        $model = New-IclModel
        $dataPath = Join-Path $PSScriptRoot '../../../shared/data/function-vectors/antonym.json'
        $dataset = [IclPs.Engine.Data.DatasetLoader]::LoadJson($dataPath).Split(0.7, 0.15, 0)
    }

    It 'gives one result per test query with the run settings' {
        $results = @(Invoke-IclPrompt -Model $model -Dataset $dataset -First 3 -Shots 4 -Seed 2 -MaxNewTokens 4 -IncludePrompt)
        $results | Should -HaveCount 3
        foreach ($i in 0..2) {
            $r = $results[$i]
            $r | Should -BeOfType ([IclPs.Engine.Prompting.IclPromptResult])
            $r.QueryIndex | Should -Be $i
            $r.Query | Should -Be $dataset.Test.Items[$i].Input
            $r.Expected | Should -Be $dataset.Test.Items[$i].Output
            $r.Shots | Should -Be 4
            $r.Seed | Should -Be 2
            $r.Model | Should -Be 'gpt2-tiny'
            $r.ExpectedRank | Should -BeGreaterOrEqual 1
            $r.ExpectedLogProb | Should -BeLessThan 0
            $parts = $r.Prompt -split "`n`n"
            $parts | Should -HaveCount 5
            $parts[-1] | Should -Be $r.Query
        }
    }

    It 'builds the prompt as description, demonstrations, then the templated query' {
        $demos = @([pscustomobject]@{ Input = 'hot'; Output = 'cold' })
        $result = [pscustomobject]@{ Input = 'up'; Output = 'down' } |
            Invoke-IclPrompt -Model $model -Demonstrations $demos -Shots 1 -Description "Antonyms:`n" -Template "Q: {input}`nA:" -IncludePrompt -MaxNewTokens 1
        $result.Prompt | Should -BeExactly "Antonyms:`nQ: hot`nA: cold`n`nQ: up`nA:"
    }

    It 'is reproducible from -Seed, and another seed picks other demonstrations' {
        $a = @(Invoke-IclPrompt $model $dataset -First 4 -Shots 3 -Seed 1 -MaxNewTokens 3 -IncludePrompt)
        $b = @(Invoke-IclPrompt $model $dataset -First 4 -Shots 3 -Seed 1 -MaxNewTokens 3 -IncludePrompt)
        $c = @(Invoke-IclPrompt $model $dataset -First 4 -Shots 3 -Seed 2 -MaxNewTokens 3 -IncludePrompt)
        foreach ($i in 0..3) {
            $a[$i] | Should -Be $b[$i]
            $a[$i].Prompt | Should -Not -Be $c[$i].Prompt
        }
    }

    It 'takes queries by property name from the pipeline' {
        $results = [pscustomobject]@{ Input = 'hot'; Output = 'cold' }, [pscustomobject]@{ Input = 'up'; Output = 'down' } |
            Invoke-IclPrompt -Model $model -Dataset $dataset -Shots 2 -MaxNewTokens 2
        $results.Query | Should -Be @('hot', 'up')
        $results.Expected | Should -Be @('cold', 'down')
    }

    It 'gives the same numbers whatever the batch size' {
        $one = @($dataset.Test.Items[0..6] | Invoke-IclPrompt $model $dataset -Shots 3 -MaxNewTokens 4 -BatchSize 1)
        $four = @($dataset.Test.Items[0..6] | Invoke-IclPrompt $model $dataset -Shots 3 -MaxNewTokens 4 -BatchSize 4)
        foreach ($i in 0..6) {
            $four[$i].Predicted | Should -Be $one[$i].Predicted
            $four[$i].ExpectedRank | Should -Be $one[$i].ExpectedRank
            [math]::Abs($four[$i].ExpectedLogProb - $one[$i].ExpectedLogProb) | Should -BeLessThan 1e-4
        }
    }

    It 'reports a too-long prompt for that query and runs the others' {
        $results = 'hot', ('x' * 300), 'up' | ForEach-Object { [pscustomobject]@{ Input = $_; Output = 'y' } } |
            Invoke-IclPrompt $model $dataset -Shots 2 -MaxNewTokens 1 -ErrorVariable problems -ErrorAction SilentlyContinue
        $results.Query | Should -Be @('hot', 'up')
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -Be 'PromptTooLong,IclPs.Cmdlets.InvokeIclPromptCommand'
        $problems[0].CategoryInfo.Category | Should -Be 'LimitsExceeded'
        $problems[0].TargetObject.Input | Should -Be ('x' * 300)
    }

    It 'fails with NotEnoughExamples when the pool is smaller than -Shots' {
        $demos = @([pscustomobject]@{ Input = 'hot'; Output = 'cold' }, [pscustomobject]@{ Input = 'big'; Output = 'small' })
        { [pscustomobject]@{ Input = 'up'; Output = 'down' } | Invoke-IclPrompt $model -Demonstrations $demos -Shots 5 -ErrorAction Stop } |
            Should -Throw -ErrorId 'NotEnoughExamples,IclPs.Cmdlets.InvokeIclPromptCommand'
    }

    It 'prints through the IclPromptResult table view' {
        $text = Invoke-IclPrompt $model $dataset -First 2 -MaxNewTokens 2 | Out-String
        $text | Should -Match 'QueryIndex\s+Query\s+Expected\s+Predicted\s+FirstTokenCorrect\s+ExactMatch\s+ExpectedLogProb\s+ExpectedRank\s+Shots'
    }
}

Describe 'Export-IclPlot' {
    BeforeAll {
        $rows = foreach ($pair in 'Icl', 'OtherModel') { foreach ($layer in 0..3) {
            [pscustomobject]@{ Layer = $layer; ConditionB = $pair; MeanCosine = 0.5 + 0.1 * $layer; StdCosine = 0.05 }
        } }
        function Get-PngSize($path) {
            $bytes = [System.IO.File]::ReadAllBytes($path)
            $bytes[0..7] | Should -Be @(0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A)
            [pscustomobject]@{
                Width  = [System.Buffers.Binary.BinaryPrimitives]::ReadInt32BigEndian([System.ReadOnlySpan[byte]]::new($bytes, 16, 4))
                Height = [System.Buffers.Binary.BinaryPrimitives]::ReadInt32BigEndian([System.ReadOnlySpan[byte]]::new($bytes, 20, 4))
            }
        }
    }

    It 'draws similarity rows as a PNG of the requested size' {
        $path = Join-Path $TestDrive 'similarity.png'
        $file = $rows | Export-IclPlot $path -X Layer -Y MeanCosine -Series ConditionB -ErrorBar StdCosine -Width 640 -Height 400 -PassThru
        $file | Should -BeOfType ([System.IO.FileInfo])
        $size = Get-PngSize $path
        $size.Width | Should -Be 640
        $size.Height | Should -Be 400
        ([SkiaSharp.SKBitmap]::Decode($path).Bytes | Sort-Object -Unique).Count | Should -BeGreaterThan 1
    }

    It 'draws a heat map from text values such as Import-Csv gives' {
        $path = Join-Path $TestDrive 'heads.png'
        $(foreach ($layer in 0..2) { foreach ($head in 0..3) { [pscustomobject]@{ Layer = "$layer"; Head = "$head"; Theta = "$($layer - $head)" } } }) |
            Export-IclPlot $path -Kind Heatmap -Row Layer -Column Head -Value Theta
        (Get-PngSize $path).Width | Should -Be 800
    }

    It 'stops on a missing property, naming it' {
        { $rows | Export-IclPlot (Join-Path $TestDrive 'x.png') -X Layer -Y MeanCosin -ErrorAction Stop } |
            Should -Throw -ErrorId 'PlotPropertyNotFound,IclPs.Cmdlets.ExportIclPlotCommand'
        Join-Path $TestDrive 'x.png' | Should -Not -Exist
    }

    It 'reports a non-numeric value for its row' {
        { [pscustomobject]@{ x = 1; y = 'high' } | Export-IclPlot (Join-Path $TestDrive 'y.png') -X x -Y y -ErrorAction Stop } |
            Should -Throw -ErrorId 'PlotValueNotNumeric,IclPs.Cmdlets.ExportIclPlotCommand'
    }

    It 'writes nothing with -WhatIf' {
        $path = Join-Path $TestDrive 'whatif.png'
        $rows | Export-IclPlot $path -X Layer -Y MeanCosine -WhatIf
        $path | Should -Not -Exist
    }
}

Describe 'Measure-HiddenSimilarity' {
    BeforeAll {
        $model = New-IclModel
        $dataPath = Join-Path $PSScriptRoot '../../../shared/data/function-vectors/antonym.json'
        $dataset = [IclPs.Engine.Data.DatasetLoader]::LoadJson($dataPath).Split(0.7, 0.15, 0)
    }

    It 'finds zero-shot states identical when the compare model is the same model' {
        $rows = @(Measure-HiddenSimilarity -Model $model -Dataset $dataset -Condition ZeroShot -CompareModel $model -First 6)
        $rows | Should -HaveCount 2
        foreach ($row in $rows) {
            $row | Should -BeOfType ([IclPs.Engine.Analysis.HiddenSimilarityRow])
            $row.ConditionA | Should -Be 'ZeroShot'
            $row.ConditionB | Should -Be 'OtherModel'
            $row.MeanCosine | Should -BeGreaterThan (1 - 1e-9)
            $row.StdCosine | Should -BeLessThan 1e-9
            $row.N | Should -Be 6
        }
    }

    It 'gives a row per layer and pair of conditions, N queries each, cosines in [-1, 1]' {
        $rows = @(Measure-HiddenSimilarity $model $dataset -CompareModel (New-IclModel -Seed 1) -Shots 3 -First 5)
        $rows | Should -HaveCount 6
        ($rows | ForEach-Object { "$($_.Layer):$($_.ConditionA)-$($_.ConditionB)" }) | Should -Be @(
            '0:ZeroShot-Icl', '0:ZeroShot-OtherModel', '0:Icl-OtherModel', '1:ZeroShot-Icl', '1:ZeroShot-OtherModel', '1:Icl-OtherModel')
        foreach ($row in $rows) {
            $row.N | Should -Be 5
            $row.MeanCosine | Should -BeGreaterOrEqual -1
            $row.MeanCosine | Should -BeLessOrEqual 1
        }
    }

    It 'is reproducible from -Seed' {
        $a = @(Measure-HiddenSimilarity $model $dataset -Shots 2 -First 4 -Seed 3)
        $b = @(Measure-HiddenSimilarity $model $dataset -Shots 2 -First 4 -Seed 3)
        foreach ($i in 0..($a.Count - 1)) { $a[$i] | Should -Be $b[$i] }
    }

    It 'needs at least two conditions' {
        { Measure-HiddenSimilarity $model $dataset -Condition ZeroShot -First 2 -ErrorAction Stop } |
            Should -Throw -ErrorId 'NotEnoughConditions,IclPs.Cmdlets.MeasureHiddenSimilarityCommand'
    }

    It 'prints through the HiddenSimilarityRow table view' {
        $text = Measure-HiddenSimilarity $model $dataset -First 2 | Out-String
        $text | Should -Match 'Layer\s+ConditionA\s+ConditionB\s+MeanCosine\s+StdCosine\s+N\s+Hook'
    }
}

Describe 'Get-IclModel' {
    It 'lists the shipped regression models with their manifests' {
        $models = @(Get-IclModel)
        $models[0].PSObject.TypeNames[0] | Should -Be 'IclPs.Engine.Models.Shipped.ShippedModelInfo'
        $models.Name | Should -Contain 'linear-d8'
        $models.Name | Should -Contain 'linear-d8-pool'
        $linear = $models | Where-Object Name -eq 'linear-d8'
        $linear.Kind | Should -Be 'Regression'
        $linear.Path | Should -Be (Join-Path $ModuleBase 'models/linear-d8')
        $linear.Steps | Should -BeGreaterThan 0
        $linear.Command | Should -BeLike 'dotnet run --project src/IclPs.Host -c Release -- -File tools/Train-DefaultModels.ps1 -Name linear-d8 *'
    }

    It 'filters by wildcard and by piped Name properties' {
        (Get-IclModel -Name 'linear-d8*').Name | Should -Be @('linear-d8', 'linear-d8-pool')
        ([pscustomobject]@{ Name = 'linear-d8-pool' } | Get-IclModel).Name | Should -Be 'linear-d8-pool'
        Get-IclModel -Name 'nothing-like-this-*' | Should -BeNullOrEmpty
    }

    It 'loads a regression model that predicts closer to ridge than to zero' -ForEach @(@{ Name = 'linear-d8' }, @{ Name = 'linear-d8-pool' }) {
        $model = Get-IclModel -Name $Name -Load
        try {
            $model | Should -BeOfType ([IclPs.Engine.Regression.Runs.IclRegressionModel])
            $model.Task.Points | Should -Be 16
            $rows = @($model | Invoke-IclPrompt -Samples 32 -Seed 7 -Baseline Ridge)
            $toRidge = ($rows | ForEach-Object { [Math]::Pow($_.Prediction - $_.Ridge, 2) } | Measure-Object -Sum).Sum
            $toZero = ($rows | ForEach-Object { [Math]::Pow($_.Prediction, 2) } | Measure-Object -Sum).Sum
            $toRidge | Should -BeLessThan (0.5 * $toZero)
        }
        finally {
            $model.Dispose()
        }
    }

    It 'reports an unknown name with its id and the name as target' {
        Get-IclModel -Name 'no-such-model' -ErrorVariable bad -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $bad[0].FullyQualifiedErrorId | Should -Be 'ShippedModelNotFound,IclPs.Cmdlets.GetIclModelCommand'
        $bad[0].TargetObject | Should -Be 'no-such-model'
    }

    It 'reports a malformed manifest by its file and lists the other models' {
        $root = Join-Path $TestDrive 'models'
        $null = New-Item -ItemType Directory (Join-Path $root 'good'), (Join-Path $root 'bad')
        Set-Content (Join-Path $root 'good/iclps-model.json') ('{ "name": "good", "kind": "Text", "description": "d", "command": "c", "seed": 1, ' +
            '"steps": 2, "batchSize": 3, "trainingSeconds": 4.5, "metrics": { "accuracy": 0.5 }, "commit": "abc" }')
        Set-Content (Join-Path $root 'bad/iclps-model.json') '{ "name": "bad" }'
        $models = @(Get-IclModel -Path $root -ErrorVariable bad -ErrorAction SilentlyContinue)
        $models.Name | Should -Be 'good'
        $bad[0].FullyQualifiedErrorId | Should -Be 'ShippedModelInvalidManifest,IclPs.Cmdlets.GetIclModelCommand'
        $bad[0].TargetObject | Should -Be (Join-Path $root 'bad/iclps-model.json')
    }
}

Describe 'Start-IclTraining and Measure-IclRegression' {
    BeforeAll {
        $script:Run = @{ Dimension = 2; Points = 4; TaskPoolSize = 3; Steps = 20; BatchSize = 8; EvaluateEvery = 10
                         EvaluationSamples = 32; Seed = 1; Device = 'cpu' }
    }

    It 'streams typed progress rows and reproduces them from the seed' {
        $a = @(Start-IclTraining @Run)
        $b = @(Start-IclTraining @Run)
        $a.Count | Should -Be 2
        $a[0].PSObject.TypeNames[0] | Should -Be 'IclPs.RegressionTrainingProgress'
        $a.Step | Should -Be @(10, 20)
        ($a | ForEach-Object { $_.PretrainError }) | Should -Be ($b | ForEach-Object { $_.PretrainError })
    }

    It 'writes nothing with -WhatIf' {
        $folder = Join-Path $TestDrive 'whatif'
        Start-IclTraining @Run -Path $folder -WhatIf | Should -BeNullOrEmpty
        Test-Path $folder | Should -BeFalse
    }

    It 'records the tasks so Measure-IclRegression needs only the run folder' {
        $folder = Join-Path $TestDrive 'run'
        $null = Start-IclTraining @Run -Path $folder -CheckpointEvery 10
        Test-Path (Join-Path $folder 'regression-task.json') | Should -BeTrue
        $rows = @(Measure-IclRegression -Path $folder -Samples 20)
        $rows.Count | Should -Be (2 * 4 * 6)
        $summary = @(Measure-IclRegression -Path $folder -Samples 20 -Summary)
        $summary.Count | Should -Be 2
        $summary[0].Dimension | Should -Be 2
        $summary[0].DeltaDmmse | Should -Not -BeNullOrEmpty
    }

    It 'emits the trained model last with -PassThru' {
        $model = @(Start-IclTraining @Run -PassThru)[-1]
        $model | Should -BeOfType ([IclPs.Engine.Regression.Runs.IclRegressionModel])
        $model.Task.Dimension | Should -Be 2
    }

    It 'reports bad combinations with stable error ids' {
        { Start-IclTraining -Curriculum -TaskPoolSize 4 -Steps 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'RegressionInvalidOption,IclPs.Cmdlets.StartIclTrainingCommand'
        { Measure-IclRegression -Path (Join-Path $TestDrive 'absent') -ErrorAction Stop } |
            Should -Throw -ErrorId 'RegressionCheckpointNotFound,IclPs.Cmdlets.MeasureIclRegressionCommand'
    }
}

Describe 'Start-IclTraining -TextFamily' {
    BeforeAll {
        $script:Text = @{ TextFamily = 'KeyedLookup'; TrainTasks = 40; HeldOutTasks = 4; Steps = 6; BatchSize = 8
                          EvaluateEvery = 3; EvaluationTasks = 2; Seed = 2; Device = 'cpu' }
    }

    It 'streams typed text progress rows and reproduces them from the seed' {
        $a = @(Start-IclTraining @Text)
        $b = @(Start-IclTraining @Text)
        $a.Count | Should -Be 2
        $a[0].PSObject.TypeNames[0] | Should -Be 'IclPs.TextTrainingProgress'
        $a.Step | Should -Be @(3, 6)
        ($a | ForEach-Object { $_.Loss }) | Should -Be ($b | ForEach-Object { $_.Loss })
        ($a | ForEach-Object { $_.HeldOutAccuracy }) | Should -Be ($b | ForEach-Object { $_.HeldOutAccuracy })
    }

    It 'emits an IclModel that Invoke-IclPrompt runs with -PassThru' {
        $model = @(Start-IclTraining @Text -PassThru)[-1]
        $model | Should -BeOfType ([IclPs.Engine.Models.IclModel])
        $pairs = @([pscustomobject]@{ Input = 'a1'; Output = 'r' }, [pscustomobject]@{ Input = 'a2'; Output = 'r' })
        $r = @($pairs | Invoke-IclPrompt -Model $model -Demonstrations $pairs -Shots 1 -Template '{input}=' -TargetDelimiter '' -FewShotDelimiter ',')
        $r.Count | Should -Be 2
    }

    It 'reports bad family options with stable error ids' {
        { Start-IclTraining -TextFamily KeyedLookup -Keys ab -Outputs xa -Steps 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'SymbolSetsOverlap,IclPs.Cmdlets.StartIclTrainingCommand'
    }
}

Describe 'Invoke-IclPrompt (numeric)' {
    BeforeAll {
        $script:Model = @(Start-IclTraining -Dimension 2 -Points 4 -TaskPoolSize 3 -Steps 4 -BatchSize 4 -EvaluateEvery 0 -Device cpu -PassThru)[-1]
    }

    It 'answers piped numeric queries with the baselines alongside' {
        $queries = @(
            [pscustomobject]@{ X = @(@(1, 0), @(0, 1), @(1, 1)); Y = @(2, -1) }
            [pscustomobject]@{ X = @(@(1, 0), @(0, 1), @(1, 1)); Y = @(2, -1, 1) }
        )
        $r = @($queries | Invoke-IclPrompt -RegressionModel $Model -Baseline Ridge, LeastSquares)
        $r.Count | Should -Be 2
        $r[0].PSObject.TypeNames[0] | Should -Be 'IclPs.Engine.Regression.Prompting.RegressionPromptResult'
        $r.Index | Should -Be @(0, 1)
        $r[0].Expected | Should -BeNullOrEmpty
        $r[1].Expected | Should -Be 1
        $r[1].LeastSquares | Should -BeLessThan 1.0001
        $r[1].LeastSquares | Should -BeGreaterThan 0.9999
        $r[0].Prediction | Should -Be $r[1].Prediction
    }

    It 'generates prompts from the model''s training tasks' {
        $r = @($Model | Invoke-IclPrompt -Samples 5 -Seed 3 -Baseline Dmmse)
        $r.Count | Should -Be 5
        $r[0].Points | Should -Be 4
        $r[0].Dmmse | Should -Not -BeNullOrEmpty
        $r[0].Seed | Should -Be 3
    }

    It 'reports a ragged query by its index and runs the others' {
        $queries = @(
            [pscustomobject]@{ X = @(@(1, 0), @(1)); Y = @(2) }
            [pscustomobject]@{ X = @(@(1, 0), @(0, 1)); Y = @(2) }
        )
        $r = @($queries | Invoke-IclPrompt -RegressionModel $Model -ErrorVariable bad -ErrorAction SilentlyContinue)
        $r.Count | Should -Be 1
        $r[0].Index | Should -Be 1
        $bad[0].FullyQualifiedErrorId | Should -Be 'RegressionPromptRaggedInputs,IclPs.Cmdlets.InvokeIclPromptCommand'
        $bad[0].Exception.Message | Should -Match '^Query 0:'
    }
}

Describe 'Compare-IclGradientDescent' {
    It 'compares a briefly trained linear attention layer with tuned GD' {
        $r = Compare-IclGradientDescent -Dimension 3 -ContextPoints 4 -Steps 50 -BatchSize 64 -EvaluationSamples 500
        $r.PSObject.TypeNames[0] | Should -Be 'IclPs.Engine.Regression.GradientDescent.GradientDescentExperimentResult'
        $r.GdHalfMse | Should -BeLessThan $r.ZeroHalfMse
        $r.GradientCosine | Should -BeLessOrEqual 1.000001
    }
}

Describe 'Task vectors' {
    BeforeAll {
        $model = New-IclModel
        $dataPath = Join-Path $PSScriptRoot '../../../shared/data/function-vectors/antonym.json'
        $dataset = [IclPs.Engine.Data.DatasetLoader]::LoadJson($dataPath).Split(0.7, 0.15, 0)
    }

    It 'builds a Hendel task vector that replaces one layer and injects it zero-shot' {
        $tv = New-TaskVector -Model $model -Dataset $dataset -Method TaskVector -Shots 3 -Prompts 4 -ValidationPrompts 4 -Seed 1
        $tv.PSObject.TypeNames[0] | Should -Be 'IclPs.Engine.TaskVectors.TaskVector'
        $tv.Injection | Should -Be 'Replace'
        $tv.Vectors | Should -HaveCount 1
        $r = @(Invoke-IclPrompt $model $dataset -Shots 0 -First 2 -MaxNewTokens 1 -TaskVector $tv)
        $r[0].Intervention | Should -Be $tv.ToString()
    }

    It 'ranks every head by its indirect effect' {
        $effects = @(Measure-HeadEffect -Model $model -Dataset $dataset -Shots 3 -MeanPrompts 6 -EffectPrompts 4)
        $effects | Should -HaveCount 8
        $effects[0].AverageIndirectEffect | Should -BeGreaterOrEqual $effects[-1].AverageIndirectEffect
    }

    It 'trains an LTV with one weight per head and a training curve' {
        $ltv = New-TaskVector -Model $model -Dataset $dataset -Prompts 8 -TrainPrompts 16 -ValidationPrompts 8 -MaxEpochs 2 -BatchSize 8
        $ltv.Method | Should -Be 'Ltv'
        $ltv.Heads | Should -HaveCount 8
        $ltv.Provenance.TrainingCurve.Count | Should -BeGreaterThan 1
    }

    It 'round-trips through Export-TaskVector and Import-TaskVector and rejects another shape' {
        $tv = New-TaskVector -Model $model -Dataset $dataset -Method TaskVector -Shots 2 -Prompts 2 -ValidationPrompts 2 -Layer 0
        $file = $tv | Export-TaskVector (Join-Path $TestDrive 'tv') -PassThru
        $back = $file | Import-TaskVector -Model $model
        [Linq.Enumerable]::SequenceEqual([float[]]$back.Vectors[0].Values, [float[]]$tv.Vectors[0].Values) | Should -BeTrue
        { Import-TaskVector $file.FullName -Model (New-IclModel -Preset gpt2-mini) -ErrorAction Stop } | Should -Throw -ErrorId 'TaskVectorShapeMismatch*'
        $tv | Export-TaskVector (Join-Path $TestDrive 'tv') -ErrorVariable exists -ErrorAction SilentlyContinue
        $exists[0].FullyQualifiedErrorId | Should -BeLike 'TaskVectorFileExists*'
    }

    It 'adds a task-vector condition to Measure-HiddenSimilarity' {
        $tv = New-TaskVector -Model $model -Dataset $dataset -Method TaskVector -Shots 2 -Prompts 2 -ValidationPrompts 2 -Layer 0
        $rows = @(Measure-HiddenSimilarity -Model $model -Dataset $dataset -First 4 -Shots 2 -TaskVector $tv)
        ($rows | Where-Object ConditionB -eq 'TaskVector') | Should -Not -BeNullOrEmpty
    }
}

Describe 'iclps-host' -Skip:(-not $env:ICLPS_HOST) {
    It 'runs a script with arguments and returns its exit code' {
        $script = Join-Path $TestDrive 'run.ps1'
        'param([string]$Name, [int]$Code) (New-IclModel -Name $Name).Name; exit $Code' | Set-Content $script
        $out = dotnet $env:ICLPS_HOST -File $script -Name hosted -Code 7
        $LASTEXITCODE | Should -Be 7
        $out | Should -Be 'hosted'
    }

    It 'exits 1 when the script throws' {
        $script = Join-Path $TestDrive 'throw.ps1'
        'throw "deliberate failure"' | Set-Content $script
        $err = dotnet $env:ICLPS_HOST $script 2>&1
        $LASTEXITCODE | Should -Be 1
        ($err | Out-String) | Should -Match 'deliberate failure'
    }
}
