BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:CapitalsPath = Join-Path $DataPath 'country-capital.json'

    # Input and output of every item of the parts, in order, as "input|output".
    function Get-Pairs { param([Parameter(ValueFromRemainingArguments)] $Parts) foreach ($part in $Parts) { foreach ($item in $part.Items) { "$($item.Input)|$($item.Output)" } } }
    function Get-SortedOrdinal([string[]]$Values) { $copy = [string[]]$Values.Clone(); [Array]::Sort($copy, [StringComparer]::Ordinal); , $copy }
}

Describe 'Import-IclDataset' {
    BeforeEach {
        $dir = New-Item -ItemType Directory (Join-Path $TestDrive ([guid]::NewGuid()))
    }

    It 'splits antonym.json 70/15/15 with seed 0 into disjoint parts covering the file' {
        $ds = Import-IclDataset $AntonymPath
        $ds | Should -BeOfType ([IclPs.Engine.Data.IclDatasetSplit])
        $ds.GetType().FullName | Should -Be 'IclPs.Engine.Data.IclDatasetSplit'
        $ds.Train.Name | Should -Be 'antonym'
        $ds.Test.SourceFile | Should -Be $AntonymPath
        $ds.Seed | Should -Be 0
        @($ds.Train.Count, $ds.Valid.Count, $ds.Test.Count) | Should -Be @(1679, 360, 359)
        @($ds.Train.Partition, $ds.Valid.Partition, $ds.Test.Partition) | Should -Be @('train', 'valid', 'test')
        @($ds.Test.Items.Input).Count | Should -Be 359
        $ds.Test.Items[0].Input | Should -Not -BeNullOrEmpty

        # Together the parts hold every item of the file exactly once.
        $fromFile = @(Get-Content $AntonymPath -Raw | ConvertFrom-Json | ForEach-Object { "$($_.input)|$($_.output)" })
        $fromFile | Should -HaveCount 2398
        $fromParts = @(Get-Pairs $ds.Train $ds.Valid $ds.Test)
        [System.Linq.Enumerable]::SequenceEqual((Get-SortedOrdinal $fromParts), (Get-SortedOrdinal $fromFile)) | Should -BeTrue
    }

    It 'chooses the parts reproducibly from -Seed and the fractions' {
        $a = [string[]]@((Import-IclDataset $CapitalsPath -Seed 11).Test.Items.Input)
        $b = [string[]]@((Import-IclDataset $CapitalsPath -Seed 11).Test.Items.Input)
        $c = [string[]]@((Import-IclDataset $CapitalsPath -Seed 12).Test.Items.Input)
        $a | Should -HaveCount 29
        $b | Should -Be $a
        [System.Linq.Enumerable]::SequenceEqual($a, $c) | Should -BeFalse
        # 197 items: round(98.5) = 99 train (midpoint away from zero), none valid, 98 test.
        $half = Import-IclDataset $CapitalsPath -TrainFraction 0.5 -ValidFraction 0
        @($half.Train.Count, $half.Valid.Count, $half.Test.Count) | Should -Be @(99, 0, 98)
    }

    It 'binds files from the pipeline by FullName, and -Name overrides the file name' {
        $splits = @(Get-Item $AntonymPath, $CapitalsPath | Import-IclDataset)
        $splits | ForEach-Object { "$($_.Train.Name) $($_.Train.Count + $_.Valid.Count + $_.Test.Count)" } |
            Should -Be @('antonym 2398', 'country-capital 197')
        $named = Import-IclDataset $AntonymPath -Name opposites
        $named.Train.Name, $named.Valid.Name, $named.Test.Name | Should -Be @('opposites', 'opposites', 'opposites')
    }

    It 'reads CSV columns, delimiters, quotes and number text as written' {
        $csv = Join-Path $dir 'words.csv'
        [IO.File]::WriteAllText($csv, "id,Word,opposite`r`n1,hot,cold`r`n2,`"big, very`",`"small `"`"tiny`"`"`"`r`n3,3.50,`"two`r`nlines`"`r`n")
        $semicolons = Join-Path $dir 'words.txt'
        [IO.File]::WriteAllText($semicolons, "input;output`nup;down`n")
        $tabs = Join-Path $dir 'words.tsv'
        [IO.File]::WriteAllText($tabs, "input`toutput`nleft`tright`n")

        Get-Pairs (Import-IclDataset $csv -InputColumn word -OutputColumn opposite -TrainFraction 1 -ValidFraction 0).Train |
            Should -Be @('hot|cold', 'big, very|small "tiny"', "3.50|two`r`nlines")
        Get-Pairs (Import-IclDataset $semicolons -Format Csv -Delimiter ';' -TrainFraction 1 -ValidFraction 0).Train | Should -Be @('up|down')
        Get-Pairs (Import-IclDataset $tabs -TrainFraction 1 -ValidFraction 0).Train | Should -Be @('left|right')
    }

    It 'reports <Name> as <ErrorId> naming the file and its line, and loads the next file' -ForEach @(
        @{ Name = 'missing-output.json'; Content = "[`n  {`"input`": `"a`", `"output`": `"b`"},`n  {`"input`": `"c`"}`n]"; ErrorId = 'DataItemMissingField'; Line = 3 }
        @{ Name = 'broken.json'; Content = "[`n  {`"input`": `"a`", `"output`": `"b`"},`n  {`"input`": `"c`", `"output`": }`n]"; ErrorId = 'InvalidJson'; Line = 3 }
        @{ Name = 'not-array.json'; Content = '{"input": "a"}'; ErrorId = 'DataNotAnArray'; Line = 1 }
        @{ Name = 'short-row.csv'; Content = "input,output`na,b`nc`n"; ErrorId = 'CsvFieldCountMismatch'; Line = 3 }
        @{ Name = 'empty-value.csv'; Content = "input,output`na,b`nc,`n"; ErrorId = 'DataItemEmptyValue'; Line = 3 }
        @{ Name = 'no-column.csv'; Content = "question,answer`na,b`n"; ErrorId = 'CsvMissingColumn'; Line = 1 }
        @{ Name = 'empty.json'; Content = ''; ErrorId = 'EmptyDataFile'; Line = $null }
    ) {
        $bad = Join-Path $dir $Name
        [IO.File]::WriteAllText($bad, $Content)
        $splits = @($bad, $CapitalsPath | Import-IclDataset -ErrorVariable problems -ErrorAction SilentlyContinue)
        $splits.Train.Name | Should -Be @('country-capital')
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -Be "$ErrorId,IclPs.Cmdlets.ImportIclDatasetCommand"
        $problems[0].CategoryInfo.Category | Should -Be $(if ($ErrorId -eq 'CsvMissingColumn') { 'ObjectNotFound' } else { 'InvalidData' })
        $problems[0].TargetObject | Should -Be $bad
        $problems[0].Exception.Message | Should -BeLike "*$bad*"
        if ($null -ne $Line) { $problems[0].Exception.Message | Should -BeLike "*line $Line*" }
    }

    It 'reports a missing file, an unknown extension and bad fractions, and reads a file of -Format Json' {
        [IO.File]::WriteAllText((Join-Path $dir 'data.dat'), '[{"input": "a", "output": "b"}]')
        Push-Location $dir
        try {
            $missing = Import-IclDataset missing.json -ErrorVariable missingProblems -ErrorAction SilentlyContinue
            $unknown = Import-IclDataset data.dat -ErrorVariable unknownProblems -ErrorAction SilentlyContinue
            $json = Import-IclDataset data.dat -Format Json -TrainFraction 1 -ValidFraction 0
            $fractions = Import-IclDataset data.dat -Format Json -TrainFraction 0.9 -ValidFraction 0.2 -ErrorVariable fractionProblems -ErrorAction SilentlyContinue
        }
        finally { Pop-Location }
        $missing | Should -BeNullOrEmpty
        $unknown | Should -BeNullOrEmpty
        $fractions | Should -BeNullOrEmpty
        $json.Train.Items[0].Output | Should -Be 'b'

        $missingProblems | Should -HaveCount 1
        $missingProblems[0].FullyQualifiedErrorId | Should -Be 'DataFileNotFound,IclPs.Cmdlets.ImportIclDatasetCommand'
        $missingProblems[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $missingProblems[0].TargetObject | Should -Be (Join-Path $dir 'missing.json')
        $unknownProblems | Should -HaveCount 1
        $unknownProblems[0].FullyQualifiedErrorId | Should -Be 'UnknownDataFormat,IclPs.Cmdlets.ImportIclDatasetCommand'
        $unknownProblems[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $unknownProblems[0].TargetObject | Should -Be (Join-Path $dir 'data.dat')
        $fractionProblems | Should -HaveCount 1
        $fractionProblems[0].FullyQualifiedErrorId | Should -Be 'InvalidSplitFraction,IclPs.Cmdlets.ImportIclDatasetCommand'
        $fractionProblems[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'reports the counts with -Verbose' {
        $verbose = @(Import-IclDataset $AntonymPath -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
        @($verbose | Where-Object { $_.Message.EndsWith('as JSON; seed 0 split 1679 train / 360 valid / 359 test.', [StringComparison]::Ordinal) }) |
            Should -HaveCount 1
    }

    It 'prints a split and a part through their table views' {
        $lines = (Import-IclDataset $AntonymPath -Seed 4 | Out-String -Width 250) -split '\r?\n' | ForEach-Object TrimEnd
        @($lines | Where-Object { $_ -match '^Name\s+Train\s+Valid\s+Test\s+Seed\b' }) | Should -HaveCount 1
        @($lines | Where-Object { $_ -match '^antonym\s+1679\s+360\s+359\s+4\s+\S*antonym\.json$' }) | Should -HaveCount 1
        $part = ((Import-IclDataset $AntonymPath).Test | Out-String -Width 250) -split '\r?\n' | ForEach-Object TrimEnd
        @($part | Where-Object { $_ -match '^antonym\s+test\s+359\s+\S*antonym\.json$' }) | Should -HaveCount 1
    }
}
