BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')

    # Similarity-style rows: two series over four layers with standard deviations.
    function Get-SimilarityRows {
        foreach ($pair in 'Icl', 'OtherModel') {
            foreach ($layer in 0..3) {
                [pscustomobject]@{
                    Layer = $layer; ConditionB = $pair; StdCosine = 0.05
                    MeanCosine = $(if ($pair -eq 'Icl') { 0.9 - 0.05 * $layer } else { 0.2 + 0.1 * $layer })
                }
            }
        }
    }

    # Width and height from the PNG's IHDR chunk (big-endian), after checking the signature.
    function Get-PngSize([string]$Path) {
        $bytes = [IO.File]::ReadAllBytes($Path)
        $bytes[0..7] | Should -Be @(0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A) -Because "$Path should be a PNG"
        [Text.Encoding]::ASCII.GetString($bytes, 12, 4) | Should -Be 'IHDR'
        [pscustomobject]@{
            Width  = [Net.IPAddress]::NetworkToHostOrder([BitConverter]::ToInt32($bytes, 16))
            Height = [Net.IPAddress]::NetworkToHostOrder([BitConverter]::ToInt32($bytes, 20))
        }
    }

    # How many distinct byte values the decoded pixels hold (SkiaSharp as the module loaded it): 1 for a blank image.
    function Get-DistinctPixelBytes([string]$Path) {
        $bitmap = [SkiaSharp.SKBitmap]::Decode($Path)
        try { [Collections.Generic.HashSet[byte]]::new([byte[]]$bitmap.Bytes).Count } finally { $bitmap.Dispose() }
    }

    function Get-LeftoverTempFiles([string]$Folder) { [IO.Directory]::GetFiles($Folder, '.*.tmp') }
}

Describe 'Export-IclPlot' {
    BeforeEach {
        $dir = New-Item -ItemType Directory (Join-Path $TestDrive ([guid]::NewGuid()))
    }

    It 'draws similarity rows as a line plot of the requested size, and -PassThru emits the file' {
        $path = Join-Path $dir 'similarity.png'
        $out = @(Get-SimilarityRows | Export-IclPlot $path -X Layer -Y MeanCosine -Series ConditionB -ErrorBar StdCosine -Title 'Similarity' `
                -Width 640 -Height 400 -PassThru -Verbose 4>&1)
        $files = @($out | Where-Object { $_ -is [IO.FileInfo] })
        $files | Should -HaveCount 1
        $files[0].FullName | Should -Be $path
        $size = Get-PngSize $path
        $size.Width, $size.Height | Should -Be @(640, 400)
        Get-DistinctPixelBytes $path | Should -BeGreaterThan 1
        $verbose = @($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        $verbose -like '*8 point(s) in 2 series*' | Should -HaveCount 1
        $verbose -like '*SkiaSharp and HarfBuzzSharp natives resolved from*' | Should -HaveCount 1
        Get-LeftoverTempFiles $dir | Should -BeNullOrEmpty
    }

    It 'draws different data as a different image' {
        $a = Join-Path $dir 'a.png'
        $b = Join-Path $dir 'b.png'
        Get-SimilarityRows | Export-IclPlot $a -X Layer -Y MeanCosine -Series ConditionB
        Get-SimilarityRows | ForEach-Object { $_.MeanCosine = -$_.MeanCosine; $_ } | Export-IclPlot $b -X Layer -Y MeanCosine -Series ConditionB
        (Get-FileHash $a).Hash | Should -Not -Be (Get-FileHash $b).Hash
    }

    It 'draws a heat map of layer-by-head rows from numbers written as text, as Import-Csv gives them' {
        $path = Join-Path $dir 'heads.png'
        $(foreach ($layer in 0..2) { foreach ($head in 0..3) { [pscustomobject]@{ Layer = "$layer"; Head = "$head"; Theta = "$($layer * 0.5 - $head * 0.25)" } } }) |
            Export-IclPlot $path -Kind Heatmap -Row Layer -Column Head -Value Theta -Width 500 -Height 300
        $size = Get-PngSize $path
        $size.Width, $size.Height | Should -Be @(500, 300)
        Get-DistinctPixelBytes $path | Should -BeGreaterThan 1
    }

    It 'plots rows read back by Import-Csv, at the default size' {
        $csv = Join-Path $dir 'similarity.csv'
        Get-SimilarityRows | Export-IclResult $csv
        $path = Join-Path $dir 'from-csv.png'
        Import-Csv $csv | Export-IclPlot $path -X Layer -Y MeanCosine -Series ConditionB -ErrorBar StdCosine
        $size = Get-PngSize $path
        $size.Width, $size.Height | Should -Be @(800, 500)
    }

    It 'plots a task-diversity sweep on a log2 x axis' {
        $path = Join-Path $dir 'sweep.png'
        0..8 | ForEach-Object { [pscustomobject]@{ M = [math]::Pow(2, $_); Loss = 1 / ($_ + 1) } } | Export-IclPlot $path -X M -Y Loss -LogX
        $size = Get-PngSize $path
        $size.Width, $size.Height | Should -Be @(800, 500)
    }

    It 'stops on a missing property, naming it, and writes nothing' {
        $path = Join-Path $dir 'missing.png'
        $e = { Get-SimilarityRows | Export-IclPlot $path -X Layer -Y MeanCosin } |
            Should -Throw -ErrorId 'PlotPropertyNotFound,IclPs.Cmdlets.ExportIclPlotCommand' -PassThru
        $e.TargetObject | Should -Be 'MeanCosin'
        $e.Exception.Message | Should -BeLike "*'MeanCosin'*"
        $path | Should -Not -Exist
    }

    It 'reports a non-numeric value for its row and plots the rest' {
        $path = Join-Path $dir 'partial.png'
        $verbose = @([pscustomobject]@{ x = 1; y = 2 }, [pscustomobject]@{ x = 2; y = 'high' }, [pscustomobject]@{ x = 3; y = 1 } |
                Export-IclPlot $path -X x -Y y -Verbose -ErrorVariable problems -ErrorAction SilentlyContinue 4>&1)
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -Be 'PlotValueNotNumeric,IclPs.Cmdlets.ExportIclPlotCommand'
        $problems[0].TargetObject | Should -Be 'high'
        $verbose.Message -like '*2 point(s) in 1 series*' | Should -HaveCount 1
        $path | Should -Exist
    }

    It 'stops with PlotNoRows when no row is left, after the error for each bad row' {
        $path = Join-Path $dir 'none.png'
        $caught = $null
        try { [pscustomobject]@{ x = 'a'; y = 1 } | Export-IclPlot $path -X x -Y y -ErrorVariable problems -ErrorAction SilentlyContinue }
        catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -Be 'PlotNoRows,IclPs.Cmdlets.ExportIclPlotCommand'
        $problems[0].FullyQualifiedErrorId | Should -Be 'PlotValueNotNumeric,IclPs.Cmdlets.ExportIclPlotCommand'
        @($problems | Where-Object { $_.FullyQualifiedErrorId -like 'PlotValueNotNumeric,*' }) | Should -HaveCount 1
        $path | Should -Not -Exist
    }

    It 'writes nothing with -WhatIf, and leaves an existing file' {
        $fresh = Join-Path $dir 'fresh.png'
        $existing = Join-Path $dir 'existing.png'
        Set-Content $existing 'keep' -NoNewline
        Get-SimilarityRows | Export-IclPlot $fresh -X Layer -Y MeanCosine -WhatIf
        Get-SimilarityRows | Export-IclPlot $existing -X Layer -Y MeanCosine -WhatIf
        $fresh | Should -Not -Exist
        Get-Content $existing -Raw | Should -BeExactly 'keep'
        @(Get-ChildItem $dir -Force).FullName | Should -Be @($existing)
    }

    It 'stops when -Kind does not match the property parameters' {
        { [pscustomobject]@{ x = 1; y = 2 } | Export-IclPlot (Join-Path $dir 'k.png') -Kind Heatmap -X x -Y y } |
            Should -Throw -ErrorId 'PlotKindParameterMismatch,IclPs.Cmdlets.ExportIclPlotCommand'
        Join-Path $dir 'k.png' | Should -Not -Exist
    }

    It 'runs examples/plot-similarity.ps1' {
        $script = Join-Path $RepositoryRoot 'examples/plot-similarity.ps1'
        $out = @(& $script -Preset gpt2-tiny -Queries 4 -Shots 2 -OutDir $dir)
        $out | Should -HaveCount 1
        $out[0] | Should -BeLike 'wrote *'
        $size = Get-PngSize (Join-Path $dir 'similarity.png')
        $size.Width, $size.Height | Should -Be @(800, 500)
        Join-Path $dir 'similarity.csv' | Should -Exist
        (Import-Csv (Join-Path $dir 'similarity.csv'))[0].PSObject.Properties.Name | Should -Be @('Layer', 'Pair', 'MeanCosine', 'StdCosine')
    }

    It 'has the plotting assembly and, on Linux x64, its natives in the module folder' {
        Join-Path $ModuleBase 'IclPs.Plotting.dll' | Should -Exist
        if ([System.Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier -eq 'linux-x64') {
            Join-Path $ModuleBase 'runtimes/linux-x64/native/libSkiaSharp.so' | Should -Exist
            Join-Path $ModuleBase 'runtimes/linux-x64/native/libHarfBuzzSharp.so' | Should -Exist
        }
    }
}

Describe 'Export-IclPlot figure options' {
    BeforeAll {
        # Pixels of the PNG that are clearly red (R high, G and B low) and clearly blue, from the decoded image.
        function Get-ColourCounts([string]$Path) {
            $bitmap = [SkiaSharp.SKBitmap]::Decode($Path)
            try {
                $red = 0; $blue = 0
                foreach ($c in $bitmap.Pixels) {
                    if ($c.Red -gt 150 -and $c.Green -lt 110 -and $c.Blue -lt 110) { $red++ }
                    if ($c.Blue -gt 150 -and $c.Red -lt 110 -and $c.Green -lt 150) { $blue++ }
                }
                [pscustomobject]@{ Red = $red; Blue = $blue }
            }
            finally { $bitmap.Dispose() }
        }
        function Get-Hash([string]$Path) { (Get-FileHash $Path -Algorithm SHA256).Hash }
    }
    BeforeEach {
        $dir = New-Item -ItemType Directory (Join-Path $TestDrive ([guid]::NewGuid()))
        $sweep = foreach ($m in 2, 8, 32, 128, 512) { [pscustomobject]@{ M = $m; Delta = 1 / $m; Series = 'pool' } }
        $sweep += foreach ($m in 2, 512) { [pscustomobject]@{ M = $m; Delta = 0.01; Series = 'M = inf' } }
    }

    It 'draws log axes, ticks at the data and a reference line as different images' {
        $plain, $logged, $ticked, $referenced = 'plain', 'log', 'ticks', 'reference' | ForEach-Object { Join-Path $dir "$_.png" }
        $sweep | Export-IclPlot $plain -X M -Y Delta -Series Series -LogX
        $sweep | Export-IclPlot $logged -X M -Y Delta -Series Series -LogX -LogY
        $sweep | Export-IclPlot $ticked -X M -Y Delta -Series Series -LogX -LogY -TicksAtData
        $sweep | Export-IclPlot $referenced -X M -Y Delta -Series Series -LogX -LogY -TicksAtData -Reference 'M = inf'
        @($plain, $logged, $ticked, $referenced | ForEach-Object { Get-Hash $_ } | Select-Object -Unique) | Should -HaveCount 4
    }

    It 'warns about a -Reference that names no series, and stops on a log axis value of 0' {
        $sweep | Export-IclPlot (Join-Path $dir 'w.png') -X M -Y Delta -Series Series -Reference 'nothing' -WarningVariable warned 3>$null
        $warned | Should -HaveCount 1
        "$($warned[0])" | Should -BeLike "*'nothing'*"
        { [pscustomobject]@{ x = 1; y = 0 } | Export-IclPlot (Join-Path $dir 'z.png') -X x -Y y -LogY } |
            Should -Throw -ErrorId 'PlotLogYNotPositive,IclPs.Cmdlets.ExportIclPlotCommand'
    }

    It 'draws grouped bars with standard-error bars' {
        $rows = foreach ($method in 'Icl', 'Ltv', 'Baseline') {
            foreach ($setting in 'ZeroShot', 'Shuffled') { [pscustomobject]@{ Method = $method; Setting = $setting; Accuracy = 0.2 + 0.3 * ($method.Length % 3); StdError = 0.05 } }
        }
        $with, $without = 'with', 'without' | ForEach-Object { Join-Path $dir "$_.png" }
        $rows | Export-IclPlot $with -Kind Bar -Category Method -Y Accuracy -Series Setting -ErrorBar StdError -Width 600 -Height 400
        $rows | Export-IclPlot $without -Category Method -Y Accuracy -Series Setting
        (Get-PngSize $with).Width | Should -Be 600
        Get-DistinctPixelBytes $with | Should -BeGreaterThan 10
        Get-Hash $with | Should -Not -Be (Get-Hash $without)
        { $rows | Export-IclPlot (Join-Path $dir 'dup.png') -Category Method -Y Accuracy } |
            Should -Throw -ErrorId 'PlotDuplicateCell,IclPs.Cmdlets.ExportIclPlotCommand'
    }

    It 'colours signed values blue to red with -Diverging, where the sequential map has no red' {
        $rows = foreach ($c in -2..2) { [pscustomobject]@{ Row = 0; Column = $c; Weight = $c } }
        $diverging, $sequential = 'diverging', 'sequential' | ForEach-Object { Join-Path $dir "$_.png" }
        $rows | Export-IclPlot $diverging -Row Row -Column Column -Value Weight -Diverging
        $rows | Export-IclPlot $sequential -Row Row -Column Column -Value Weight
        $d = Get-ColourCounts $diverging
        $s = Get-ColourCounts $sequential
        $d.Red | Should -BeGreaterThan 2000
        $d.Blue | Should -BeGreaterThan 2000
        $s.Red | Should -BeLessThan 100
    }

    It 'writes each cell value with -CellFormat, and rejects a format that is not one' {
        $rows = foreach ($c in 0..2) { [pscustomobject]@{ Row = 0; Column = $c; Weight = $c / 3 } }
        $annotated, $bare = 'annotated', 'bare' | ForEach-Object { Join-Path $dir "$_.png" }
        $rows | Export-IclPlot $annotated -Row Row -Column Column -Value Weight -CellFormat '0.00'
        $rows | Export-IclPlot $bare -Row Row -Column Column -Value Weight
        Get-Hash $annotated | Should -Not -Be (Get-Hash $bare)
        { $rows | Export-IclPlot (Join-Path $dir 'bad.png') -Row Row -Column Column -Value Weight -CellFormat 'X' } |
            Should -Throw -ErrorId 'PlotInvalidFormat,IclPs.Cmdlets.ExportIclPlotCommand'
    }
}
