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
        foreach ($type in (Get-Command -Module IclPs).OutputType.Name | Select-Object -Unique) {
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
