#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
# Measure-HiddenSimilarity: cosine similarity of last-token residual states between prompting conditions, per layer.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:Fqid = ',IclPs.Cmdlets.MeasureHiddenSimilarityCommand'
    # gpt2-tiny (seed 0, byte tokenizer, 256-token window) and antonym.json split 70/15/15 with seed 0.
    $script:m = New-IclModel
    $script:ds = Import-IclDataset $AntonymPath
}

Describe 'Measure-HiddenSimilarity' {
    It 'finds zero-shot states identical at every layer when the compare model is the same model' {
        $rows = @(Measure-HiddenSimilarity -Model $m -Dataset $ds -Condition ZeroShot -CompareModel $m -First 6 -BatchSize 4)
        $rows | Should -HaveCount 2
        foreach ($layer in 0, 1) {
            $row = $rows[$layer]
            $row.PSObject.TypeNames[0] | Should -Be 'IclPs.Engine.Analysis.HiddenSimilarityRow'
            $row.Layer | Should -Be $layer
            $row.Hook | Should -BeExactly "blocks.$layer.hook_resid_post"
            $row.ConditionA | Should -BeExactly 'ZeroShot'
            $row.ConditionB | Should -BeExactly 'OtherModel'
            [Math]::Abs($row.MeanCosine - 1) | Should -BeLessThan 1e-9
            $row.StdCosine | Should -BeGreaterOrEqual 0
            $row.StdCosine | Should -BeLessOrEqual 1e-9
            $row.N | Should -BeOfType [long]
            $row.N | Should -Be 6
        }
    }

    It 'gives a row per layer and pair of the default conditions with a compare model' {
        $rows = @(Measure-HiddenSimilarity $m $ds -CompareModel (New-IclModel -Seed 1) -Shots 3 -First 5)
        @($rows | ForEach-Object { "$($_.Layer):$($_.ConditionA)-$($_.ConditionB)" }) | Should -Be @(
            '0:ZeroShot-Icl', '0:ZeroShot-OtherModel', '0:Icl-OtherModel', '1:ZeroShot-Icl', '1:ZeroShot-OtherModel', '1:Icl-OtherModel')
        foreach ($row in $rows) {
            $row.MeanCosine | Should -BeGreaterOrEqual -1
            $row.MeanCosine | Should -BeLessOrEqual 1
            $row.StdCosine | Should -BeGreaterOrEqual 0
            $row.StdCosine | Should -BeLessOrEqual 2
            $row.N | Should -Be 5
        }
        $rows[0].DescriptionB | Should -BeExactly 'gpt2-tiny, 3-shot'
    }

    It 'gives for one query the cosine of the unpadded last-token states' {
        $demos = @([pscustomobject]@{ Input = 'hot'; Output = 'cold' })
        $rows = @([pscustomobject]@{ Input = 'up' } | Measure-HiddenSimilarity $m -Demonstrations $demos -Shots 1)
        # Independent reference: the two prompts written out by hand, run one at a time without padding, every position captured.
        function Get-LastTokenStates([string]$Text) {
            $ids = [long[]]@($m.Tokenizer.Encode($Text, $true))
            $hooks = [IclPs.Engine.Models.HookSet]::new().Capture('blocks.*.hook_resid_post', [IclPs.Engine.Models.PositionFilter]::All, $false)
            $null = $m.Network.Forward([TorchSharp.torch]::tensor($ids).reshape([long[]]@(1, $ids.Count)), $null, $hooks, $false)
            foreach ($layer in 0, 1) { , $hooks.Captured["blocks.$layer.hook_resid_post"][0, -1].data[float]().ToArray() }
        }
        $zero = @(Get-LastTokenStates 'up')
        $icl = @(Get-LastTokenStates "hot cold`n`nup")

        $rows | Should -HaveCount 2
        foreach ($layer in 0, 1) {
            $dot = 0.0; $a = 0.0; $b = 0.0
            for ($i = 0; $i -lt $zero[$layer].Length; $i++) {
                $dot += [double]$zero[$layer][$i] * $icl[$layer][$i]
                $a += [double]$zero[$layer][$i] * $zero[$layer][$i]
                $b += [double]$icl[$layer][$i] * $icl[$layer][$i]
            }
            $zero[$layer].Length | Should -Be 64
            [Math]::Abs($rows[$layer].MeanCosine - $dot / [Math]::Sqrt($a * $b)) | Should -BeLessThan 1e-5
            $rows[$layer].N | Should -Be 1
            # One query has no sample standard deviation.
            [double]::IsNaN($rows[$layer].StdCosine) | Should -BeTrue
        }
    }

    It 'reproduces its rows from -Seed, which changes only the pairs with the Icl condition' {
        $other = New-IclModel -Seed 1
        $a = @(Measure-HiddenSimilarity $m $ds -CompareModel $other -Shots 2 -First 4 -Seed 3)
        $b = @(Measure-HiddenSimilarity $m $ds -CompareModel $other -Shots 2 -First 4 -Seed 3)
        $c = @(Measure-HiddenSimilarity $m $ds -CompareModel $other -Shots 2 -First 4 -Seed 4)
        $a | Should -HaveCount 6
        foreach ($i in 0..5) { $a[$i].Equals($b[$i]) | Should -BeTrue -Because "row $i" }
        # Only the pairs with the Icl condition depend on the demonstrations the seed picks.
        @(0..5 | Where-Object { $a[$_].MeanCosine -ne $c[$_].MeanCosine } | ForEach-Object { "$($a[$_].ConditionA)-$($a[$_].ConditionB)" }) |
            Should -Be @('ZeroShot-Icl', 'Icl-OtherModel', 'ZeroShot-Icl', 'Icl-OtherModel')
    }

    It 'gives for piped queries with -Demonstrations what the dataset path gives' {
        $piped = @($ds.Test.Items[0..4] | Measure-HiddenSimilarity $m -Demonstrations $ds.Train.Items -Shots 2 -BatchSize 2)
        $split = @(Measure-HiddenSimilarity $m $ds -Shots 2 -First 5 -BatchSize 3)
        $piped | Should -HaveCount 2
        $piped[0].N | Should -Be 5
        # Different batch sizes pad differently; float32 states agree to rounding.
        foreach ($i in 0, 1) { [Math]::Abs($piped[$i].MeanCosine - $split[$i].MeanCosine) | Should -BeLessThan 1e-6 }
    }

    It 'reports a too-long query as an error and measures the rest' {
        $long = 'x' * 300
        $n = @('hot', $long, 'up', 'big' | ForEach-Object { [pscustomobject]@{ Input = $_ } } |
            Measure-HiddenSimilarity $m -Demonstrations $ds.Train.Items -Shots 2 -ErrorVariable problems -ErrorAction SilentlyContinue |
            ForEach-Object N)
        $n | Should -Be @(3, 3)
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -BeExactly "PromptTooLong$Fqid"
        $problems[0].CategoryInfo.Category | Should -Be 'LimitsExceeded'
        $problems[0].TargetObject.Input | Should -BeExactly $long
    }

    It 'needs at least two conditions' {
        $script:output = $null
        $record = { $script:output = Measure-HiddenSimilarity $m $ds -Condition ZeroShot -First 2 -ErrorAction Stop } |
            Should -Throw -ErrorId "NotEnoughConditions$Fqid" -PassThru
        $script:output | Should -BeNullOrEmpty
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $record.TargetObject | Should -Be 1
    }

    It 'needs -Shots demonstrations for the Icl condition' {
        $demos = @([pscustomobject]@{ Input = 'hot'; Output = 'cold' })
        $record = { [pscustomobject]@{ Input = 'up' } | Measure-HiddenSimilarity $m -Demonstrations $demos -Shots 2 -ErrorAction Stop } |
            Should -Throw -ErrorId "NotEnoughExamples$Fqid" -PassThru
        $record.TargetObject | Should -Be 2
    }

    It 'names the conditions and batches in verbose output and counts queries in progress' {
        $run = Invoke-InFreshRunspace -Parameters @{ m = $m; ds = $ds } -Script '
            param($m, $ds)
            $null = Measure-HiddenSimilarity $m $ds -First 5 -Shots 2 -BatchSize 4 -Verbose
        '
        $run.Errors | Should -BeNullOrEmpty
        $verbose = $run.Verbose
        @($verbose | Where-Object { $_.StartsWith('Conditions: ZeroShot = gpt2-tiny, zero-shot (preset:gpt2-tiny seed:0); Icl = gpt2-tiny, 2-shot', 'Ordinal') }) |
            Should -HaveCount 1
        @($verbose | Where-Object { $_.Contains('batch size 4') }) | Should -Not -BeNullOrEmpty
        @($verbose | Where-Object { $_.StartsWith('Batch of 4 queries through 2 conditions in ', 'Ordinal') }) | Should -HaveCount 1
        @($verbose | Where-Object { $_.StartsWith('Batch of 1 queries through 2 conditions in ', 'Ordinal') }) | Should -HaveCount 1
        @($run.Progress | Where-Object { $_.StatusDescription -eq '4 of 5 queries' -and $_.PercentComplete -eq 80 }) | Should -Not -BeNullOrEmpty
        $run.Progress[-1].RecordType | Should -Be 'Completed'
    }
}

# Duan et al.'s IT condition: one LoRA per query, tuned on the query's own demonstrations, then queried zero-shot.
Describe 'Measure-HiddenSimilarity -Condition InstructionTuned' {
    BeforeAll {
        # llama-tiny as Duan et al. (LoRA on q_proj and v_proj); gpt2-tiny for the fused c_attn.
        $script:llama = New-IclModel -Preset llama-tiny -Seed 1
        $script:It = @{ Condition = 'ZeroShot', 'Icl', 'InstructionTuned'; AdapterSteps = 3; AdapterLearningRate = 0.05 }
        # Per-query cosines of one pair at one layer, in query order.
        function Get-Cosines($Rows, [string]$Pair, [int]$Layer, [string]$Property = 'Cosine') {
            [double[]]@($Rows | Where-Object { $_.Pair -eq $Pair -and $_.Layer -eq $Layer } | Sort-Object InputIndex | ForEach-Object $Property)
        }
    }

    It 'gives the anchor''s states bit for bit with no shots or no updates, for both families' {
        foreach ($model in $m, $llama) {
            # OtherModel (the same model) shows what identical states give: cos(x, x) in float64 need not be exactly 1.
            $noShots = @(Measure-HiddenSimilarity $model $ds @It -CompareModel $model -Shots 0 -First 4 -BatchSize 3 -PerInput)
            $noSteps = @(Measure-HiddenSimilarity $model $ds @It -CompareModel $model -Shots 3 -AdapterSteps 0 -First 4 -BatchSize 3 -PerInput)
            foreach ($layer in 0, 1) {
                $same = Get-Cosines $noShots 'ZeroShot-OtherModel' $layer
                $same | Should -HaveCount 4
                foreach ($c in $same) { [Math]::Abs($c - 1) | Should -BeLessThan 1e-12 }
                Get-Cosines $noShots 'ZeroShot-Icl' $layer | Should -Be $same
                Get-Cosines $noShots 'ZeroShot-InstructionTuned' $layer | Should -Be $same
                Get-Cosines $noSteps 'ZeroShot-InstructionTuned' $layer | Should -Be (Get-Cosines $noSteps 'ZeroShot-OtherModel' $layer)
            }
            $model.Network.Adapter | Should -BeNullOrEmpty -Because 'every adapter is removed after its query'
        }
    }

    It 'tunes a fresh adapter per query: the same seed gives the same rows, another seed other IT rows' {
        $a = @(Measure-HiddenSimilarity $llama $ds @It -Shots 3 -First 4 -Seed 3)
        $b = @(Measure-HiddenSimilarity $llama $ds @It -Shots 3 -First 4 -Seed 3)
        $c = @(Measure-HiddenSimilarity $llama $ds @It -Shots 3 -First 4 -Seed 4)
        @($a | ForEach-Object { "$($_.Layer):$($_.Pair)" }) | Should -Be @(
            '0:ZeroShot-Icl', '0:ZeroShot-InstructionTuned', '0:Icl-InstructionTuned', '1:ZeroShot-Icl', '1:ZeroShot-InstructionTuned', '1:Icl-InstructionTuned')
        foreach ($i in 0..5) { $a[$i].Equals($b[$i]) | Should -BeTrue -Because "row $i" }
        foreach ($i in 0..5) { $a[$i].MeanCosine | Should -Not -Be $c[$i].MeanCosine -Because "row $i depends on the demonstrations or the adapter seed" }
        @($a | Where-Object Pair -eq 'ZeroShot-InstructionTuned' | Where-Object MeanCosine -lt 0.9999) | Should -Not -BeNullOrEmpty -Because 'tuning moves the states'
        $a[1].DescriptionB | Should -BeExactly 'llama-tiny, zero-shot, LoRA r 4, alpha 8, default targets, 3 updates at 0.05 on 3 demonstrations'
        $llama.Network.Adapter | Should -BeNullOrEmpty
    }

    It 'writes per-query rows whose means and standard deviations are the summary rows, centred ones too' {
        $summary = @(Measure-HiddenSimilarity $m $ds @It -Shots 2 -First 5 -Centred)
        $inputs = @(Measure-HiddenSimilarity $m $ds @It -Shots 2 -First 5 -Centred -PerInput)
        $inputs | Should -HaveCount (5 * 2 * 3)
        $inputs[0].PSObject.TypeNames[0] | Should -Be 'IclPs.Engine.Analysis.HiddenSimilarityInputRow'
        $inputs[0].Input | Should -BeExactly $ds.Test.Items[0].Input
        foreach ($row in $summary) {
            foreach ($measure in @{ Values = 'Cosine'; Mean = 'MeanCosine'; Sd = 'StdCosine' }, @{ Values = 'CentredCosine'; Mean = 'MeanCentredCosine'; Sd = 'StdCentredCosine' }) {
                $values = Get-Cosines $inputs $row.Pair $row.Layer $measure.Values
                $mean = ($values | Measure-Object -Average).Average
                $sd = [Math]::Sqrt((($values | ForEach-Object { ($_ - $mean) * ($_ - $mean) }) | Measure-Object -Sum).Sum / 4)
                [Math]::Abs($row.($measure.Mean) - $mean) | Should -BeLessThan 1e-12
                [Math]::Abs($row.($measure.Sd) - $sd) | Should -BeLessThan 1e-12
            }
        }
        # Centring removes the direction every state shares, so centred cosines are lower than plain ones here.
        @($summary | Where-Object { $_.MeanCentredCosine -lt $_.MeanCosine }) | Should -Not -BeNullOrEmpty
        # Each condition's first-token correctness is Invoke-IclPrompt's on the same prompts (same seed, same demonstrations).
        $anchorIcl = @($inputs | Where-Object { $_.Layer -eq 0 -and $_.Pair -eq 'ZeroShot-Icl' } | Sort-Object InputIndex)
        $anchorIcl.FirstTokenCorrectA | Should -Be @(Invoke-IclPrompt $m $ds -Shots 0 -First 5 -MaxNewTokens 1).FirstTokenCorrect
        $anchorIcl.FirstTokenCorrectB | Should -Be @(Invoke-IclPrompt $m $ds -Shots 2 -First 5 -MaxNewTokens 1).FirstTokenCorrect
        foreach ($row in $inputs) { $row.FirstTokenCorrectA | Should -BeOfType [bool] }
        # Without -Centred the centred columns are not measured.
        [double]::IsNaN((Measure-HiddenSimilarity $m $ds -First 2 -Shots 1)[0].MeanCentredCosine) | Should -BeTrue
    }

    It 'tests a contrast per layer: W+, N and the exact p from the per-query rows by hand, Holm over the layers' {
        $out = @(Measure-HiddenSimilarity $llama $ds @It -Shots 3 -First 6 -PerInput -Contrast IclIt, AnchorIcl)
        $tests = @($out | Where-Object { $_ -is [IclPs.Engine.Analysis.HiddenSimilarityTest] })
        $inputs = @($out | Where-Object { $_ -is [IclPs.Engine.Analysis.HiddenSimilarityInputRow] })
        $tests | Should -HaveCount 2
        $inputs | Should -HaveCount (6 * 2 * 3)
        $p = foreach ($test in $tests) {
            $test.PSObject.TypeNames[0] | Should -Be 'IclPs.Engine.Analysis.HiddenSimilarityTest'
            $test.Contrast | Should -BeExactly 'Icl-InstructionTuned vs ZeroShot-Icl'
            ($test.Measure, $test.Alternative, $test.Inputs, $test.Exact) | Should -Be @('Cosine', 'Greater', 6, $true)
            $it = Get-Cosines $inputs 'Icl-InstructionTuned' $test.Layer
            $icl = Get-Cosines $inputs 'ZeroShot-Icl' $test.Layer
            $d = @(for ($i = 0; $i -lt 6; $i++) { $it[$i] - $icl[$i] }) | Where-Object { $_ -ne 0 }
            $test.N | Should -Be $d.Count
            # Ranks of |d| (these continuous differences have no ties), W+ over the positive ones, and the exact one-sided
            # p-value by enumerating all 2^N sign patterns.
            $sorted = @($d | Sort-Object { [Math]::Abs($_) })
            $w = 0; for ($r = 0; $r -lt $sorted.Count; $r++) { if ($sorted[$r] -gt 0) { $w += $r + 1 } }
            $test.WPlus | Should -Be $w
            $atLeast = 0
            for ($mask = 0; $mask -lt [Math]::Pow(2, $d.Count); $mask++) {
                $s = 0; for ($r = 0; $r -lt $d.Count; $r++) { if ($mask -band (1 -shl $r)) { $s += $r + 1 } }
                if ($s -ge $w) { $atLeast++ }
            }
            [Math]::Abs($test.PValue - $atLeast / [Math]::Pow(2, $d.Count)) | Should -BeLessThan 1e-12
            $median = @($it | ForEach-Object -Begin { $i = 0 } -Process { $_ - $icl[$i++] } | Sort-Object)
            [Math]::Abs($test.MedianDifference - ($median[2] + $median[3]) / 2) | Should -BeLessThan 1e-15
            $test.PValue
        }
        # Holm over two layers: the smaller p doubled (capped at 1), the larger kept but never below that.
        $low = [Math]::Min(1, 2 * [Math]::Min($p[0], $p[1]))
        $high = [Math]::Max($low, [Math]::Max($p[0], $p[1]))
        $expected = if ($p[0] -le $p[1]) { $low, $high } else { $high, $low }
        foreach ($i in 0, 1) { [Math]::Abs($tests[$i].PHolm - $expected[$i]) | Should -BeLessThan 1e-15 }
    }

    It 'writes test rows that pipe to CSV, one set per measure with -Centred' {
        $csv = Join-Path $TestDrive 'tests.csv'
        Measure-HiddenSimilarity $m $ds @It -Shots 2 -First 4 -Centred -Contrast 'Icl-InstructionTuned', 'zeroshot-icl' -Alternative TwoSided |
            Where-Object Contrast | Export-Csv $csv -NoTypeInformation
        $rows = @(Import-Csv $csv)
        @($rows | ForEach-Object { "$($_.Measure):$($_.Layer)" }) | Should -Be @('Cosine:0', 'Cosine:1', 'CentredCosine:0', 'CentredCosine:1')
        foreach ($name in 'Contrast', 'Pair', 'ReferencePair', 'Layer', 'N', 'Zeros', 'WPlus', 'PValue', 'PHolm', 'MedianDifference', 'Alternative') {
            $rows[0].PSObject.Properties.Name | Should -Contain $name
        }
        $rows[0].Alternative | Should -Be 'TwoSided'
        $rows[0].ReferencePair | Should -BeExactly 'ZeroShot-Icl'
    }

    It 'refuses an unknown or repeated contrast pair before tuning anything' {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $record = { Measure-HiddenSimilarity $llama $ds @It -AdapterSteps 100000 -First 30 -Contrast IclIt, 'ZeroShot-OtherModel' -ErrorAction Stop } |
            Should -Throw -ErrorId "UnknownPair$Fqid" -PassThru
        $record.TargetObject | Should -BeExactly 'ZeroShot-OtherModel'
        $record.Exception.Message | Should -Match 'the pairs are ZeroShot-Icl, ZeroShot-InstructionTuned, Icl-InstructionTuned'
        { Measure-HiddenSimilarity $llama $ds -Contrast AnchorIt, IclIt -First 2 -ErrorAction Stop } | Should -Throw -ErrorId "UnknownPair$Fqid"
        { Measure-HiddenSimilarity $llama $ds @It -Contrast IclIt, 'icl-instructiontuned' -First 2 -ErrorAction Stop } | Should -Throw -ErrorId "InvalidContrast$Fqid"
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 20 -Because 'the contrast is checked before any adapter is tuned'
    }

    It 'with -AdapterDataset tunes on another dataset''s demonstrations, changing only the IT pairs' {
        $other = Import-IclDataset (Join-Path $DataPath 'country-capital.json')
        $same = @(Measure-HiddenSimilarity $m $ds @It -Shots 2 -First 4 -PerInput)
        $moved = @(Measure-HiddenSimilarity $m $ds @It -Shots 2 -First 4 -PerInput -AdapterDataset $other)
        foreach ($layer in 0, 1) {
            Get-Cosines $moved 'ZeroShot-Icl' $layer | Should -Be (Get-Cosines $same 'ZeroShot-Icl' $layer)
            Get-Cosines $moved 'Icl-InstructionTuned' $layer | Should -Not -Be (Get-Cosines $same 'Icl-InstructionTuned' $layer)
        }
        { Measure-HiddenSimilarity $m $ds -AdapterDataset $other -First 2 -ErrorAction Stop } | Should -Throw -ErrorId "AdapterDatasetWithoutTuning$Fqid"
    }

    It 'measures queries of several tasks in one call, each piped with its own Demonstrations and AdapterDemonstrations' {
        $other = Import-IclDataset (Join-Path $DataPath 'country-capital.json')
        $antonyms = @($ds.Test.Items | Select-Object -First 3)
        # Each query carrying the pool -Demonstrations would give: the same rows, bit for bit.
        $shared = @($antonyms | Measure-HiddenSimilarity $m -Demonstrations $ds.Train.Items @It -Shots 2 -Seed 3 -Centred -PerInput)
        $carried = @($antonyms | ForEach-Object { [pscustomobject]@{ Input = $_.Input; Output = $_.Output; Demonstrations = $ds.Train.Items } } |
            Measure-HiddenSimilarity $m @It -Shots 2 -Seed 3 -Centred -PerInput)
        $carried.Cosine | Should -Be $shared.Cosine
        $carried.CentredCosine | Should -Be $shared.CentredCosine

        # Two tasks in one call: one summary row per layer and pair over all six queries, centred on all of them.
        $queries = @($antonyms | ForEach-Object { [pscustomobject]@{ Input = $_.Input; Output = $_.Output; Demonstrations = $ds.Train.Items } }) +
            @($other.Test.Items | Select-Object -First 3 | ForEach-Object { [pscustomobject]@{ Input = $_.Input; Output = $_.Output; Demonstrations = $other.Train.Items } })
        $rows = @($queries | Measure-HiddenSimilarity $m @It -Shots 2 -Seed 3 -Centred)
        $rows | Should -HaveCount (2 * 3)
        foreach ($row in $rows) { $row.N | Should -Be 6; [double]::IsNaN($row.MeanCentredCosine) | Should -BeFalse }
        # A capital query shown antonym demonstrations is another prompt: its Icl states differ from those of its own task's.
        $crossed = @($queries | ForEach-Object { [pscustomobject]@{ Input = $_.Input; Output = $_.Output; Demonstrations = $ds.Train.Items } } |
            Measure-HiddenSimilarity $m @It -Shots 2 -Seed 3 -PerInput)
        $own = @($queries | Measure-HiddenSimilarity $m @It -Shots 2 -Seed 3 -PerInput)
        (Get-Cosines $own 'ZeroShot-Icl' 1)[0..2] | Should -Be (Get-Cosines $crossed 'ZeroShot-Icl' 1)[0..2]
        (Get-Cosines $own 'ZeroShot-Icl' 1)[3..5] | Should -Not -Be (Get-Cosines $crossed 'ZeroShot-Icl' 1)[3..5]

        # AdapterDemonstrations move only the adapters; a pool too small for -Shots is an error for that query alone.
        $adapted = @($queries | ForEach-Object { $_ | Add-Member -NotePropertyName AdapterDemonstrations -NotePropertyValue $other.Train.Items -PassThru -Force } |
            Measure-HiddenSimilarity $m @It -Shots 2 -Seed 3 -PerInput)
        Get-Cosines $adapted 'ZeroShot-Icl' 1 | Should -Be (Get-Cosines $own 'ZeroShot-Icl' 1)
        (Get-Cosines $adapted 'Icl-InstructionTuned' 1)[0..2] | Should -Not -Be (Get-Cosines $own 'Icl-InstructionTuned' 1)[0..2]
        $short = @($queries[0..1] | ForEach-Object { [pscustomobject]@{ Input = $_.Input; Demonstrations = $_.Demonstrations } }) +
            [pscustomobject]@{ Input = 'tall'; Demonstrations = @($ds.Train.Items[0]) }
        $measured = @($short | Measure-HiddenSimilarity $m @It -Shots 2 -PerInput -ErrorVariable problems -ErrorAction SilentlyContinue)
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike "*$Fqid"
        $problems[0].Exception.Message | Should -BeLike "*query 'tall'*"
        @($measured.InputIndex | Sort-Object -Unique) | Should -HaveCount 2
        # AdapterDemonstrations without an adapter to tune are refused for that query, naming it.
        $plain = [pscustomobject]@{ Input = $queries[2].Input; Demonstrations = $queries[2].Demonstrations }
        $untuned = @(@($queries[0..1]) + $plain | Measure-HiddenSimilarity $m -Condition ZeroShot, Icl -Shots 2 -PerInput -ErrorVariable refused -ErrorAction SilentlyContinue)
        @($untuned.InputIndex | Sort-Object -Unique) | Should -Be 0
        $untuned[0].Input | Should -Be $plain.Input
        $refused | Should -HaveCount 2
        $refused[0].FullyQualifiedErrorId | Should -BeExactly "AdapterDemonstrationsWithoutTuning$Fqid"
        $refused[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $refused[0].Exception.Message | Should -BeLike "*Query '$($queries[0].Input)'*"
        # Given on the command line they would fail every query, so they are refused once, before the pipeline is read.
        $script:read = 0
        { $queries | ForEach-Object { $script:read++; $_ } | Measure-HiddenSimilarity $m -Condition ZeroShot, Icl -Shots 2 -AdapterDemonstrations $ds.Train.Items -ErrorAction Stop } |
            Should -Throw -ErrorId "AdapterDemonstrationsWithoutTuning$Fqid"
        $script:read | Should -Be 0
    }

    It 'with -ShuffleLabels gives Icl and the adapters deranged labels, leaving the zero-shot states alone' {
        $clean = @(Measure-HiddenSimilarity $m $ds @It -CompareModel $m -Shots 3 -First 4 -PerInput)
        $wrong = @(Measure-HiddenSimilarity $m $ds @It -CompareModel $m -Shots 3 -First 4 -PerInput -ShuffleLabels)
        foreach ($layer in 0, 1) {
            Get-Cosines $wrong 'ZeroShot-OtherModel' $layer | Should -Be (Get-Cosines $clean 'ZeroShot-OtherModel' $layer)
            Get-Cosines $wrong 'ZeroShot-Icl' $layer | Should -Not -Be (Get-Cosines $clean 'ZeroShot-Icl' $layer)
            Get-Cosines $wrong 'ZeroShot-InstructionTuned' $layer | Should -Not -Be (Get-Cosines $clean 'ZeroShot-InstructionTuned' $layer)
        }
    }

    It 'reports a query whose adapter demonstrations cannot be tuned on as an error for that query alone, before tuning' {
        # Without the Icl condition only the adapter sees the demonstrations; the one with a 300-byte output cannot fit
        # gpt2-tiny's 256-token window, so the queries that draw it are refused and the others measured.
        $demos = @([pscustomobject]@{ Input = 'hot'; Output = 'cold' }, [pscustomobject]@{ Input = 'long'; Output = ('x' * 300) })
        $queries = 'up', 'in', 'yes', 'big', 'wet', 'old', 'fast', 'dark' | ForEach-Object { [pscustomobject]@{ Input = $_ } }
        $rows = @($queries | Measure-HiddenSimilarity $m -Demonstrations $demos -Condition ZeroShot, InstructionTuned -Shots 1 -AdapterSteps 1 -PerInput `
            -ErrorVariable problems -ErrorAction SilentlyContinue)
        $problems.Count | Should -BeGreaterThan 0
        $problems.Count | Should -BeLessThan 8
        foreach ($p in $problems) { $p.FullyQualifiedErrorId | Should -BeExactly "PromptTooLong$Fqid" }
        @($rows.InputIndex | Sort-Object -Unique) | Should -HaveCount (8 - $problems.Count)
        $m.Network.Adapter | Should -BeNullOrEmpty
        # With no updates the same queries are refused, so an -AdapterSteps sweep pairs the same inputs at the same indices.
        $untuned = @($queries | Measure-HiddenSimilarity $m -Demonstrations $demos -Condition ZeroShot, InstructionTuned -Shots 1 -AdapterSteps 0 -PerInput `
            -ErrorVariable untunedProblems -ErrorAction SilentlyContinue)
        $untunedProblems.Count | Should -Be $problems.Count
        @($untuned.Input | Sort-Object -Unique) | Should -Be @($rows.Input | Sort-Object -Unique)
    }

    It 'refuses -TruncateLongPrompts, which would drop demonstrations the adapter still learns, before reading the pipeline' {
        $script:read = 0
        $record = { 'up', 'in' | ForEach-Object { $script:read++; [pscustomobject]@{ Input = $_ } } |
                Measure-HiddenSimilarity $m -Demonstrations $ds.Train.Items @It -Shots 2 -TruncateLongPrompts -ErrorAction Stop } |
            Should -Throw -ErrorId "TruncationWithTuning$Fqid" -PassThru
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $record.Exception.Message | Should -Match 'exactly the demonstrations its Icl prompt shows'
        $script:read | Should -Be 0
        { Measure-HiddenSimilarity $m $ds -Condition ZeroShot, Icl -Shots 2 -First 2 -TruncateLongPrompts -ErrorAction Stop } | Should -Not -Throw
    }

    It 'refuses a model that already carries an adapter' {
        $carrying = New-IclModel -Preset llama-tiny
        @([pscustomobject]@{ Input = 'a'; Output = 'b' }) | Start-IclAdapterTraining -Model $carrying -Steps 1 | Out-Null
        $record = { Measure-HiddenSimilarity $carrying $ds -Condition ZeroShot, InstructionTuned -First 2 -ErrorAction Stop } |
            Should -Throw -ErrorId "AdapterAlreadyAttached$Fqid" -PassThru
        $record.CategoryInfo.Category | Should -Be 'InvalidOperation'
        { Measure-HiddenSimilarity $m $ds @It -AdapterTargetModule q_proj -First 2 -ErrorAction Stop } | Should -Throw -ErrorId "AdapterTargetsNoModule$Fqid"
    }

    It 'says how each adapter was tuned in verbose output and counts adapters in nested progress' {
        $run = Invoke-InFreshRunspace -Parameters @{ m = $m; ds = $ds } -Script '
            param($m, $ds)
            $null = Measure-HiddenSimilarity $m $ds -Condition ZeroShot, InstructionTuned -Shots 2 -AdapterSteps 2 -First 3 -Verbose
        '
        $run.Errors | Should -BeNullOrEmpty
        @($run.Verbose | Where-Object { $_ -match '^InstructionTuned, query \d: adapter tuned on 2 demonstrations, 2 updates, loss \d+\.\d{4} -> \d+\.\d{4}, \d+\.\d\d s\.$' }) |
            Should -HaveCount 3
        $adapters = @($run.Progress | Where-Object Activity -eq 'Tuning an adapter per query')
        $adapters | Should -Not -BeNullOrEmpty
        $adapters[0].ParentActivityId | Should -Be (@($run.Progress | Where-Object { $_.Activity -like 'Measure-HiddenSimilarity:*' })[0].ActivityId)
        $adapters[-1].RecordType | Should -Be 'Completed'
    }

    It 'stops when the pipeline is stopped, as by Ctrl+C, and leaves the model without an adapter' {
        $model = New-IclModel -Preset llama-tiny -Seed 5
        $ps = New-ModulePowerShell
        try {
            $null = $ps.AddScript('param($model, $ds) Measure-HiddenSimilarity $model $ds -Condition ZeroShot, InstructionTuned -AdapterSteps 1000000 -First 3').AddArgument($model).AddArgument($ds)
            $running = $ps.BeginInvoke()
            $deadline = [datetime]::UtcNow.AddSeconds(60)
            while ($null -eq $model.Network.Adapter) {
                [datetime]::UtcNow | Should -BeLessThan $deadline -Because 'the first adapter should be attached'
                Start-Sleep -Milliseconds 20
            }
            $ps.Stop()
            $running.AsyncWaitHandle.WaitOne([timespan]::FromSeconds(60)) | Should -BeTrue -Because 'it stops within 60 s'
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally { $ps.Dispose() }
        $model.Network.Adapter | Should -BeNullOrEmpty
        @(Measure-HiddenSimilarity $model $ds -Condition ZeroShot, InstructionTuned -AdapterSteps 1 -First 1) | Should -HaveCount 2
    }
}
