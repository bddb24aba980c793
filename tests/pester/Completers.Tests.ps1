# Tab completion of the module's parameters, through TabExpansion2 as PSReadLine and editors call it: shipped model names
# (ShippedModelNameCompleter), property names of piped objects (PropertyNameCompleter) and model presets (PresetCompleter).
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')

    # The completion texts TabExpansion2 offers with the cursor at the end of $Line (or at $Column).
    function Get-Completion {
        param([string]$Line, [int]$Column = $Line.Length)
        @((TabExpansion2 -inputScript $Line -cursorColumn $Column).CompletionMatches)
    }

    $script:ShippedNames = @('linear-d8', 'linear-d8-pool', 'llama-tiny-4l-mix', 'text-icl-tiny', 'text-rules-6l')
}

Describe 'Get-IclModel -Name' {
    It 'completes the shipped model names, not file paths' {
        $names = (Get-Completion 'Get-IclModel -Name ').CompletionText
        $names | Should -Be $ShippedNames
    }

    It 'completes them for the positional name too' {
        (Get-Completion 'Get-IclModel ').CompletionText | Should -Be $ShippedNames
    }

    It 'offers the folders of the module''s models folder' {
        $folders = Get-ChildItem (Join-Path $ModuleBase 'models') -Directory | Where-Object Name -NotLike '.*' | ForEach-Object Name | Sort-Object
        (Get-Completion 'Get-IclModel -Name ').CompletionText | Should -Be $folders
    }

    It 'narrows to the names that start with the typed word, ignoring case' {
        (Get-Completion 'Get-IclModel -Name linear-d8-').CompletionText | Should -Be @('linear-d8-pool')
        (Get-Completion 'Get-IclModel -Name TEXT').CompletionText | Should -Be @('text-icl-tiny', 'text-rules-6l')
        (Get-Completion 'Get-IclModel -Name linear').CompletionText | Should -Be @('linear-d8', 'linear-d8-pool')
    }

    It 'honours a wildcard in the typed word' {
        (Get-Completion 'Get-IclModel -Name *tiny').CompletionText | Should -Be @('llama-tiny-4l-mix', 'text-icl-tiny')
    }

    It 'completes a quoted word' {
        (Get-Completion "Get-IclModel -Name 'text-i").CompletionText | Should -Be @('text-icl-tiny')
    }

    It 'completes the next name of a list' {
        (Get-Completion 'Get-IclModel -Name linear-d8, te').CompletionText | Should -Be @('text-icl-tiny', 'text-rules-6l')
    }

    It 'completes the name before a -Load that follows it' {
        $line = 'Get-IclModel -Name te -Load'
        (Get-Completion $line -Column 'Get-IclModel -Name te'.Length).CompletionText | Should -Be @('text-icl-tiny', 'text-rules-6l')
    }

    It 'gives each model''s kind and description as the tool tip' {
        $match = Get-Completion 'Get-IclModel -Name text-icl-tiny'
        $match.Count | Should -Be 1
        $description = (Get-IclModel text-icl-tiny).Description
        $match[0].ToolTip | Should -Be "Text: $description"
        $match[0].ResultType | Should -Be 'ParameterValue'
    }

    Context 'with -Path' {
        BeforeAll {
            $script:Models = Join-Path $TestDrive 'other-models'
            foreach ($name in 'alpha-model', 'beta model', '.staging-alpha') {
                $null = New-Item -ItemType Directory (Join-Path $Models $name) -Force
            }
            $null = New-Item -ItemType File (Join-Path $Models 'alpha-notes.txt') -Force
        }

        It 'completes the folders of -Path instead of the module''s' {
            (Get-Completion "Get-IclModel -Path '$Models' -Name ").CompletionText | Should -Be @('alpha-model', "'beta model'")
        }

        It 'completes the folders of a -Path given after -Name' {
            $line = "Get-IclModel -Name al -Path '$Models'"
            (Get-Completion $line -Column 'Get-IclModel -Name al'.Length).CompletionText | Should -Be @('alpha-model')
        }

        It 'resolves a relative -Path from the current location' {
            Push-Location $TestDrive
            try {
                (Get-Completion 'Get-IclModel -Path ./other-models -Name b').CompletionText | Should -Be @("'beta model'")
            }
            finally {
                Pop-Location
            }
        }

        It 'offers nothing for a -Path that does not exist' {
            (Get-Completion "Get-IclModel -Path '$(Join-Path $TestDrive 'missing')' -Name ").CompletionText | Should -BeNullOrEmpty
        }
    }
}

Describe 'Export-IclPlot property-name parameters' {
    It 'has a property-name completer on <_>' -ForEach @('X', 'Y', 'Series', 'ErrorBar', 'Row', 'Column', 'Value') {
        $attribute = (Get-Command Export-IclPlot).Parameters[$_].Attributes | Where-Object { $_ -is [ArgumentCompleter] }
        $attribute.Type.Name | Should -Be 'PropertyNameCompleter'
    }

    It 'completes -X with the properties of Measure-HiddenSimilarity rows piped in' {
        $names = (Get-Completion 'Measure-HiddenSimilarity $m $d | Export-IclPlot -Path p.png -X ').CompletionText
        # Its [OutputType]: summary rows, per-query rows (-PerInput) and contrast tests (-Contrast).
        $expected = 'HiddenSimilarityRow', 'HiddenSimilarityInputRow', 'HiddenSimilarityTest' |
            ForEach-Object { ("IclPs.Engine.Analysis.$_" -as [type]).GetProperties().Name } | Sort-Object -Unique
        $names | Sort-Object | Should -Be $expected
    }

    It 'completes -Y with the piped properties that start with the typed word' {
        (Get-Completion 'Measure-HiddenSimilarity $m $d | Export-IclPlot -Path p.png -X Layer -Y Mean').CompletionText | Sort-Object |
            Should -Be @('MeanCentredCosine', 'MeanCosine', 'MeanDifference')
    }

    It 'completes -<_> from the previous command of the pipeline' -ForEach @('Series', 'ErrorBar') {
        $names = (Get-Completion "Measure-HiddenSimilarity `$m `$d | Export-IclPlot -Path p.png -X Layer -Y MeanCosine -$_ ").CompletionText
        $names | Should -Contain 'ConditionB'
        $names | Should -Contain 'StdCosine'
        $names | Should -Not -Contain 'ExpectedLogProb'
    }

    It 'completes the heat-map parameter -<_> from the previous command of the pipeline' -ForEach @('Row', 'Column', 'Value') {
        $names = (Get-Completion "Measure-HeadEffect -Model `$m -Dataset `$d | Export-IclPlot -Path p.png -Kind Heatmap -$_ ").CompletionText
        $names | Sort-Object | Should -Be @('AverageIndirectEffect', 'Head', 'Layer')
    }

    It 'completes the properties of Invoke-IclPrompt results' {
        $names = (Get-Completion 'Invoke-IclPrompt $m $d -Shots 2 | Export-IclPlot -Path p.png -X Shots -Y ').CompletionText
        $names | Should -Contain 'ExpectedLogProb'
        $names | Should -Contain 'FirstTokenCorrect'
        $names | Should -Not -Contain 'MeanCosine'
    }

    It 'completes the properties of a [pscustomobject] piped in, without PSObject''s own' {
        (Get-Completion '[pscustomobject]@{ Alpha = 1; Beta = 2 } | Export-IclPlot -Path p.png -X ').CompletionText | Should -Be @('Alpha', 'Beta')
    }

    It 'completes the properties Select-Object keeps' {
        (Get-Completion 'Get-IclModel | Select-Object Name, Steps | Export-IclPlot -Path p.png -X ').CompletionText | Should -Be @('Name', 'Steps')
    }

    It 'completes the properties of a variable assigned earlier on the line' {
        $names = (Get-Completion '$rows = Get-IclModel; $rows | Export-IclPlot -Path p.png -X ').CompletionText
        $names | Should -Contain 'TrainingSeconds'
        $names | Should -Contain 'Steps'
        $names | Should -Not -Contain 'MeanCosine'
    }

    It 'completes the properties of a session variable''s objects piped in' {
        $plotRows = @([pscustomobject]@{ Shots = 1; Accuracy = 0.5 }, [pscustomobject]@{ Shots = 2; Accuracy = 0.75 })
        (Get-Completion '$plotRows | Export-IclPlot -Path p.png -X ').CompletionText | Should -Be @('Accuracy', 'Shots')
    }

    It 'completes the properties of the objects given to -InputObject' {
        $plotRows = @([pscustomobject]@{ Gamma = 1; Delta = 2 })
        (Get-Completion 'Export-IclPlot -Path p.png -InputObject $plotRows -X ').CompletionText | Should -Be @('Gamma', 'Delta')
    }

    It 'quotes a property name with a space' {
        (Get-Completion '[pscustomobject]@{ ''Mean accuracy'' = 1 } | Export-IclPlot -Path p.png -X Mean').CompletionText | Should -Be @("'Mean accuracy'")
    }

    Context 'when the input cannot be inferred' {
        BeforeAll {
            $script:OutputTypeNames = 'MeanCosine', 'ExpectedLogProb', 'PretrainError', 'HeldOutAccuracy', 'AverageIndirectEffect', 'DeltaRidge', 'GradientCosine', 'SquaredError'
        }

        It 'completes the IclPs output types'' property names without a pipeline' {
            $names = (Get-Completion 'Export-IclPlot -Path p.png -X ').CompletionText
            foreach ($name in $OutputTypeNames) { $names | Should -Contain $name }
        }

        It 'offers no file paths and no object-valued properties' {
            $names = (Get-Completion 'Export-IclPlot -Path p.png -X ').CompletionText
            $names | Where-Object { $_ -match '[\\/]' } | Should -BeNullOrEmpty
            $names | Should -Not -Contain 'Network'
            $names | Should -Not -Contain 'Vectors'
            $names | Should -Be ($names | Sort-Object -Unique)
        }

        It 'falls back to the output types after a command whose output is unknown' {
            $names = (Get-Completion 'Import-Csv results.csv | Export-IclPlot -Path p.png -Y Mean').CompletionText
            $names | Should -Contain 'MeanCosine'
            $names | ForEach-Object { $_ | Should -BeLike 'Mean*' }
        }
    }
}

Describe 'Preset parameters' {
    It 'completes New-IclModel -Preset with the text presets' {
        $names = (Get-Completion 'New-IclModel -Preset ').CompletionText
        $names | Should -Be @([IclPs.Engine.Models.ModelConfig]::Presets.Keys | Sort-Object)
        $names | Should -Contain 'gpt2-tiny'
    }

    It 'completes Start-IclTraining -ModelPreset with the text presets' {
        (Get-Completion 'Start-IclTraining -TextFamily KeyedLookup -ModelPreset ll').CompletionText | Should -Be @('llama-tiny', 'llama-tiny-4l')
    }

    It 'completes Start-IclTraining -Preset with the regression presets' {
        $names = (Get-Completion 'Start-IclTraining -Preset ').CompletionText
        $names | Sort-Object | Should -Be @([IclPs.Engine.Models.ModelConfig]::RegressionPresets.Keys | Sort-Object)
    }
}
