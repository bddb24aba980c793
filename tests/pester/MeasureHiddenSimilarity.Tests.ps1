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
