# The views of IclPs.format.ps1xml as real pwsh renders them at 80 columns, the width of a non-interactive session, a CI
# log or redirected output: every table fits in 79 characters with its headers and key values whole, and every list view
# shows each property of its type. The objects are real cmdlet output.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    [xml]$format = Get-Content (Join-Path $ModuleBase 'IclPs.format.ps1xml') -Raw

    # Values a reader looks for first: each must print whole (not cut to fit its column).
    $keyProperties = @{
        'IclPs.Engine.Models.IclModel'                          = 'Name'
        'IclPs.ModelInfo'                                       = 'Name', 'DType'
        'IclPs.Engine.Models.Shipped.ShippedModelInfo'          = 'Name', 'Kind'
        'IclPs.Engine.Regression.Runs.IclRegressionModel'       = 'Name'
        'IclPs.Engine.Data.IclDataset'                          = 'Name', 'Partition'
        'IclPs.Engine.Prompting.IclPromptResult'                = 'Query', 'Expected', 'Predicted', 'FirstTokenCorrect', 'ExactMatch', 'ExpectedLogProb'
        'IclPs.Engine.Analysis.HiddenSimilarityRow'             = 'ConditionA', 'ConditionB', 'MeanCosine'
        'IclPs.Engine.Analysis.HiddenSimilarityInputRow'        = 'Pair', 'Cosine'
        'IclPs.Engine.Analysis.HiddenSimilarityTest'            = 'Pair', 'N', 'WPlus', 'PValue'
        'IclPs.RegressionTrainingProgress'                      = 'Model', 'Loss', 'PretrainError', 'FreshError'
        'IclPs.TextTrainingProgress'                            = 'Model', 'Family', 'Loss', 'HeldOutAccuracy'
        'IclPs.AdapterTrainingProgress'                         = 'Model', 'Step', 'Loss'
        'IclPs.Engine.Regression.Evaluation.RegressionErrorRow' = 'Model', 'Method', 'Error'
        'IclPs.Engine.Regression.Evaluation.RegressionSummary'  = 'Model', 'TaskSource', 'ModelError', 'DeltaRidge'
        'IclPs.Engine.TaskVectors.TaskVector'                   = 'Method'
        'IclPs.Engine.Analysis.Comparison.ResultComparison'     = 'Metric'
        'IclPs.Engine.Prompting.IclPromptSummary'               = 'Metric', 'Mean'
        'IclPs.Engine.Sweeps.SweepUnit'                         = 'Index', 'Id', 'Name'
        'IclPs.Engine.Sweeps.SweepUnitResult'                   = 'Index', 'Status', 'Id'
    }

    # List views that print their statistics at full precision on purpose (Compare-IclResult: "a list with every number").
    $fullPrecisionLists = 'IclPs.Engine.Analysis.Comparison.ResultComparison', 'IclPs.Engine.Prompting.IclPromptSummary'
    $script:TableTypes = @($format.SelectNodes('//View[TableControl]/ViewSelectedBy/TypeName') | ForEach-Object {
        @{ TypeName = $_.InnerText; KeyProperties = @($keyProperties[$_.InnerText]); FullPrecision = $_.InnerText -in $fullPrecisionLists }
    })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')

    function Get-View([string]$TypeName, [type]$Control) {
        $definition = Get-FormatData -TypeName $TypeName -PowerShellVersion $PSVersionTable.PSVersion
        @($definition.FormatViewDefinition | Where-Object { $_.Control -is $Control })[0].Control
    }

    # The non-empty lines of Out-String -Width 80, trailing blanks removed.
    function Get-Lines([string]$Text) { @($Text -split '\r?\n' | ForEach-Object TrimEnd | Where-Object { $_ }) }

    # What a column shows for one object, as the formatter computes it: the property or script block, then FormatString.
    function Get-CellText($Object, $Column) {
        $entry = $Column.DisplayEntry
        $value = if ("$($entry.ValueType)" -eq 'Property') { $Object.($entry.Value) }
        else { ForEach-Object -InputObject $Object -Process ([scriptblock]::Create($entry.Value)) }
        if ($null -eq $value) { '' }
        elseif ($Column.FormatString) { "{0:$($Column.FormatString)}" -f $value }
        else { "$value" }
    }

    # The text of column $Index in a table line, from the view's widths and the one space between columns.
    function Get-Cell([string]$Line, $Headers, [int]$Index) {
        $start = 0
        for ($i = 0; $i -lt $Index; $i++) { $start += $Headers[$i].Width + 1 }
        if ($start -ge $Line.Length) { return '' }
        $Line.Substring($start, [Math]::Min($Headers[$Index].Width, $Line.Length - $start)).Trim()
    }

    # One sample of real output per type with a view.
    $model = Get-IclModel text-icl-tiny -Load
    $preset = New-IclModel -Preset gpt2-tiny
    $linear = Get-IclModel linear-d8 -Load
    $pool = Get-IclModel linear-d8-pool -Load
    $data = Import-IclDataset $AntonymPath
    $prompts = @(Invoke-IclPrompt $model $data -First 4 -MaxNewTokens 3)
    $functionVector = New-TaskVector -Model $model -Dataset $data -Method FunctionVector -Shots 2 -Prompts 2 -EffectPrompts 2 -TopK 3
    $script:Samples = @{
        'IclPs.Engine.Models.IclModel'                                           = @($model, $preset)
        'IclPs.ModelInfo'                                                        = @(Get-IclModelInfo $model, $preset)
        'IclPs.Engine.Models.Shipped.ShippedModelInfo'                           = @(Get-IclModel)
        'IclPs.Engine.Regression.Runs.IclRegressionModel'                        = @($linear, $pool)
        'IclPs.Engine.Data.IclDatasetSplit'                                      = @($data)
        'IclPs.Engine.Data.IclDataset'                                           = @($data.Train, $data.Valid, $data.Test)
        'IclPs.Engine.Prompting.IclPromptResult'                                 = $prompts
        'IclPs.Engine.Analysis.HiddenSimilarityRow'                              = @(Measure-HiddenSimilarity $model $data -First 2)
        'IclPs.Engine.Analysis.HiddenSimilarityInputRow'                         = @(Measure-HiddenSimilarity $model $data -First 2 -Centred -PerInput)
        'IclPs.RegressionTrainingProgress'                                       = @(Start-IclTraining -Dimension 4 -Points 8 -Steps 4 -BatchSize 8 -EvaluateEvery 2 -EvaluationSamples 8 -Device cpu)
        'IclPs.AdapterTrainingProgress'                                          = @(@([pscustomobject]@{ Input = 'a'; Output = 'b' }) | Start-IclAdapterTraining -Model (New-IclModel -Preset llama-tiny) -Steps 2 -ReportEvery 1)
        'IclPs.TextTrainingProgress'                                             = @(Start-IclTraining -TextFamily KeyedLookup -Steps 2 -BatchSize 4 -EvaluateEvery 1 -TrainTasks 8 -HeldOutTasks 4 -EvaluationTasks 2 -Device cpu)
        'IclPs.Engine.Regression.Evaluation.RegressionErrorRow'                  = @(Measure-IclRegression -Model $linear -Samples 8 -Baseline Ridge, LeastSquares, NearestNeighbours, Averaging -Device cpu | Select-Object -First 10)
        'IclPs.Engine.Regression.Evaluation.RegressionSummary'                   = @(Measure-IclRegression -Model $pool -Samples 8 -Baseline Ridge, Dmmse, LeastSquares, NearestNeighbours, Averaging -Summary -Device cpu)
        'IclPs.Engine.Regression.Prompting.RegressionPromptResult'               = @(Invoke-IclPrompt -RegressionModel $linear -Samples 3 -Baseline Ridge, LeastSquares)
        'IclPs.Engine.Regression.GradientDescent.GradientDescentExperimentResult' = @(Compare-IclGradientDescent -Dimension 3 -ContextPoints 4 -Steps 5 -BatchSize 8 -EvaluationSamples 16 -Device cpu)
        'IclPs.Engine.TaskVectors.TaskVector'                                    = @((New-TaskVector -Model $model -Dataset $data -Method TaskVector -Shots 2 -Prompts 2 -ValidationPrompts 2), $functionVector)
        'IclPs.Engine.TaskVectors.HeadEffect'                                    = @(Measure-HeadEffect -Model $model -Dataset $data -MeanPrompts 2 -EffectPrompts 2 -Shots 2 | Select-Object -First 4)
        'IclPs.Engine.TaskVectors.TaskVectorHead'                                = @($functionVector.Heads)
    }
    $Samples['IclPs.Engine.Analysis.HiddenSimilarityTest'] = @(Measure-HiddenSimilarity $preset $data -Condition ZeroShot, Icl, InstructionTuned -Shots 2 -First 3 `
        -AdapterSteps 2 -Centred -Contrast IclIt, AnchorIcl | Where-Object { $_ -is [IclPs.Engine.Analysis.HiddenSimilarityTest] })
    $zeroShot = @(Invoke-IclPrompt $model $data -First 4 -MaxNewTokens 3 -Shots 0)
    $Samples['IclPs.Engine.Analysis.Comparison.ResultComparison'] = @(Compare-IclResult -Reference $zeroShot -Candidate $prompts -WarningAction Ignore)
    $Samples['IclPs.Engine.Prompting.IclPromptSummary'] = @(Invoke-IclPrompt $model $data -First 4 -MaxNewTokens 3 -DemonstrationDraws 2 -Summary)
    $categorical = @(Start-IclCategoricalTraining -Layers 1 -TrainContexts 64 -ValidationContexts 32 -BatchSize 16 -Steps 4 -EvaluateEvery 2 -PassThru)
    $categoricalModel = $categorical[-1]
    $categorical += @(Measure-IclCategorical -Model $categoricalModel -EvaluationContexts 64 -Bayes)
    $categorical += @(Test-IclCategoricalStationaryPoint -Model $categoricalModel -EvaluationContexts 64 -Directions 1 -ContinueSteps 2 -TrainContexts 64 -BatchSize 16)
    foreach ($group in $categorical | Group-Object { $_.GetType().FullName }) { $Samples[$group.Name] = @($group.Group) }
    $sweepUnits = @(New-IclSweep ([ordered]@{ M = 2, 8; Seed = 0 }))
    $sweepFolder = Join-Path $TestDrive 'views-sweep'
    $Samples['IclPs.Engine.Sweeps.SweepUnit'] = $sweepUnits
    $Samples['IclPs.Engine.Sweeps.SweepUnitResult'] = @($sweepUnits | Invoke-IclSweep -Path $sweepFolder -ScriptBlock { param($M, $Seed) [pscustomobject]@{ M = $M; Seed = $Seed } })
    $Samples['IclPs.Engine.Sweeps.SweepMergeResult'] = @(Merge-IclSweep -Path $sweepFolder -Destination (Join-Path $TestDrive 'views-sweep.csv') -PassThru)

    # Properties a list view shows through other labels: the labels that carry them instead.
    $script:ShownAs = @{
        'IclPs.Engine.Models.Shipped.ShippedModelInfo'                           = @{ MetricsSummary = 'Metrics' }
        'IclPs.Engine.Regression.GradientDescent.GradientDescentExperimentResult' = @{
            Comparison = 'Samples', 'ModelHalfMse', 'GdHalfMse', 'ZeroHalfMse', 'PredictionDifference', 'GradientDifference', 'GradientCosine'
        }
    }
}

Describe 'Table view of <TypeName>' -ForEach $TableTypes {
    BeforeAll {
        $script:Table = Get-View $TypeName ([System.Management.Automation.TableControl])
        $script:Headers = @($Table.Headers)
        $script:Columns = @($Table.Rows[0].Columns)
        $script:Objects = $Samples[$TypeName]
        $script:Lines = if ($Objects) { Get-Lines ($Objects | Format-Table | Out-String -Width 80) } else { @() }
    }

    It 'gives every column a width, the widths and separators adding up to at most 79' {
        $Headers | Should -Not -BeNullOrEmpty
        foreach ($header in $Headers) { $header.Width | Should -BeGreaterThan 0 -Because "column '$($header.Label)' needs a fixed width" }
        ($Headers | Measure-Object Width -Sum).Sum + $Headers.Count - 1 | Should -BeLessOrEqual 79
    }

    It 'makes each column at least as wide as its header' {
        foreach ($header in $Headers) { $header.Width | Should -BeGreaterOrEqual $header.Label.Length -Because "'$($header.Label)' would be cut" }
    }

    It 'has real output to render' {
        $Objects | Should -Not -BeNullOrEmpty -Because "Views.Tests.ps1 needs sample objects of $TypeName"
        $Objects[0].PSObject.TypeNames | Should -Contain $TypeName
    }

    It 'prints every line within 79 characters at width 80' {
        $Lines.Count | Should -BeGreaterThan 2
        foreach ($line in $Lines) { $line.Length | Should -BeLessOrEqual 79 -Because "'$line' is too long" }
    }

    It 'prints the headers whole, on one line' {
        $Lines[0].Split(' ', [StringSplitOptions]::RemoveEmptyEntries) | Should -Be @($Headers.Label)
        $Lines[1] | Should -Match '^[- ]+$' -Because 'a header squeezed into a narrow column spills onto the next lines'
        $Lines[0] | Should -Not -Match '…'
    }

    It 'is the default view, so plain output prints this table' {
        $plain = Get-Lines ($Objects | Out-String -Width 80)
        $plain[0] | Should -Be $Lines[0]
    }

    It 'shows each cell''s value, whole where it fits its column' {
        $wrapped = $Table.Rows[0].Wrap
        if (-not $wrapped) { $Lines.Count | Should -Be ($Objects.Count + 2) -Because 'each object is one row' }
        for ($row = 0; $row -lt $Objects.Count; $row++) {
            for ($c = 0; $c -lt $Columns.Count; $c++) {
                $expected = Get-CellText $Objects[$row] $Columns[$c]
                if ($wrapped) {
                    # A wrapped cell keeps its text, over several lines; each line of it must be in the table whole.
                    foreach ($part in $expected -split "`n") { ($Lines -join "`n") | Should -Match ([regex]::Escape($part.Trim())) }
                    continue
                }
                $cell = Get-Cell $Lines[$row + 2] $Headers $c
                if ($expected.Length -le $Headers[$c].Width) {
                    $cell | Should -Be $expected.Trim() -Because "row $row, column '$($Headers[$c].Label)'"
                }
                elseif ("$($Headers[$c].Alignment)" -eq 'Right') {
                    # A right-aligned cell too long for its column keeps its end (the digits that differ) after an ellipsis.
                    $cell | Should -Match ('^….*' + [regex]::Escape($expected.Substring($expected.Length - 3)) + '$') -Because "row $row, column '$($Headers[$c].Label)' is cut with an ellipsis"
                }
                else {
                    $cell | Should -Match ('^' + [regex]::Escape($expected.Substring(0, 3)) + '.*…$') -Because "row $row, column '$($Headers[$c].Label)' is cut with an ellipsis"
                }
            }
        }
    }

    It 'prints its key values whole (<KeyProperties>)' -ForEach @(if ($KeyProperties) { @{ KeyProperties = $KeyProperties } }) {
        $text = $Lines -join "`n"
        foreach ($property in $KeyProperties) {
            $index = -1
            for ($c = 0; $c -lt $Columns.Count -and $index -lt 0; $c++) {
                $shows = $Columns[$c].DisplayEntry.Value
                if ($shows -eq $property -or $shows -match ('\$_\.' + $property + '\b')) { $index = $c }
            }
            $index | Should -BeGreaterOrEqual 0 -Because "the table should have a $property column"
            foreach ($object in $Objects) {
                $value = Get-CellText $object $Columns[$index]
                $value.Length | Should -BeLessOrEqual $Headers[$index].Width -Because "$property '$value' should fit"
                $text | Should -Match ([regex]::Escape($value)) -Because "$property '$value' should print whole"
            }
        }
    }
}

Describe 'List view of <TypeName>' -ForEach $TableTypes {
    BeforeAll {
        $script:List = Get-View $TypeName ([System.Management.Automation.ListControl])
        $script:Objects = $Samples[$TypeName]
        $script:Text = if ($Objects) { $Objects[0] | Format-List | Out-String -Width 80 } else { '' }
        # An entry's label starts its line; wrapped values continue on indented lines.
        $script:Labels = @(Get-Lines $Text | Where-Object { $_ -match '^(\S+)\s*: ?' } | ForEach-Object { $Matches[1] })
    }

    It 'exists beside the table view' {
        $List | Should -Not -BeNullOrEmpty -Because "Format-List of $TypeName should use its own view"
    }

    It 'is what Format-List prints' {
        $viewLabels = @($List.Entries[0].Items | ForEach-Object { if ($_.Label) { $_.Label } else { $_.DisplayEntry.Value } })
        $Labels | Should -Be $viewLabels
    }

    It 'shows every property of the object' {
        $shownAs = if ($ShownAs.ContainsKey($TypeName)) { $ShownAs[$TypeName] } else { @{} }
        foreach ($property in $Objects[0].PSObject.Properties.Name) {
            if ($shownAs.ContainsKey($property)) {
                foreach ($label in $shownAs[$property]) { $Labels | Should -Contain $label -Because "$label shows $property" }
            }
            else {
                $Labels | Should -Contain $property
            }
        }
    }

    It 'prints values, not .NET type names or record dumps' {
        $Text | Should -Not -Match 'IclPs\.Engine\.|System\.[\w.]+(\[\]|`\d)|\w+ \{ \w+ = '
        foreach ($line in Get-Lines $Text) { $line.Length | Should -BeLessOrEqual 80 }
    }

    It 'rounds numbers to a few decimals' -ForEach @(if (-not $FullPrecision) { @{} }) {
        $numbers = @(Get-Lines $Text | Where-Object { $_ -match '^\S+\s*: (-?[\d,]*\.\d+)$' } | ForEach-Object { $Matches[1] })
        foreach ($number in $numbers) { ($number -split '\.')[1].Length | Should -BeLessOrEqual 6 -Because "$number has too many decimals" }
    }
}

# Ported from tests/IclPs.Module.Tests/PromptingViewTests.cs (which rendered through iclps-host): the two tables that
# collapsed to one-character columns at 80, each printed on its own as Out-Default prints a command's output.
Describe 'Invoke-IclPrompt and Measure-HiddenSimilarity at 80 columns' {
    BeforeAll {
        $model = New-IclModel
        $data = Import-IclDataset $AntonymPath
        $script:PromptResults = @(Invoke-IclPrompt $model $data -First 2 -MaxNewTokens 2)
        $script:PromptLines = Get-Lines ($PromptResults | Out-String -Width 80)
        $script:SimilarityLines = Get-Lines (Measure-HiddenSimilarity $model $data -First 2 | Out-String -Width 80)
    }

    It 'prints prompt results as a table with their key columns' {
        $header = @($PromptLines | Where-Object { $_ -match '\bPredicted\b' })
        $header | Should -HaveCount 1
        $header[0].Split(' ', [StringSplitOptions]::RemoveEmptyEntries) | Should -Be @('Index', 'Query', 'Expected', 'Predicted', 'Top1', 'Exact', 'LogProb', 'Shots')
        # Query, expected and predicted words, True/False twice, a log-probability with three decimals (e.g. "-49.723"), 5 shots.
        @($PromptLines | Where-Object { $_ -match '^\s+\d+ \S+\s+\S+\s+.*\s(True|False)\s+(True|False)\s+-\d+\.\d{3}\s+5$' }) | Should -HaveCount 2
    }

    It 'prints the query and expected words whole' {
        $PromptResults | Should -HaveCount 2
        foreach ($result in $PromptResults) {
            @($PromptLines | Where-Object { $_ -match ('^\s+\d+ ' + [regex]::Escape($result.Query) + '\s+' + [regex]::Escape($result.Expected) + '\s') }) | Should -HaveCount 1
        }
    }

    It 'prints similarity rows as a table with their key columns' {
        $header = @($SimilarityLines | Where-Object { $_ -match '\bMeanCosine\b' })
        $header | Should -HaveCount 1
        $header[0].Split(' ', [StringSplitOptions]::RemoveEmptyEntries) | Should -Be @('Layer', 'ConditionA', 'ConditionB', 'MeanCosine', 'StdCosine', 'N', 'Hook')
        @($SimilarityLines | Where-Object { $_ -match '^\s+\d ZeroShot\s+Icl\s+-?\d\.\d{4}\s+\d\.\d{4}\s+2 resid_post$' }) | Should -HaveCount 2
    }
}
