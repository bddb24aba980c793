BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:Commands = @(Get-Command -Module IclPs | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $script:Manifest = Join-Path $ModuleBase 'IclPs.psd1'

    # Runs a script block in a child pwsh; its output comes back as deserialized objects (PowerShell's -OutputFormat xml).
    function Invoke-ChildScript([scriptblock]$Script, [object[]]$ArgumentList = @()) {
        & $PwshExe @PwshPrefix -NoProfile -NonInteractive -Command $Script -args $ArgumentList
    }

    # Runs pwsh with text arguments; stdout lines, stderr text and the exit code, as a shell or CI job sees them.
    function Invoke-ChildText([string[]]$Arguments) {
        $stderr = Join-Path $TestDrive "stderr-$([guid]::NewGuid()).txt"
        $saved = $env:NO_COLOR
        $env:NO_COLOR = '1'   # plain text, so the output can be matched
        try { $stdout = & $PwshExe @PwshPrefix -NoProfile -NonInteractive @Arguments 2>$stderr; $code = $LASTEXITCODE }
        finally { $env:NO_COLOR = $saved }
        [pscustomobject]@{ ExitCode = $code; Stdout = @($stdout); Stderr = [string](Get-Content $stderr -Raw) }
    }

    function Get-FolderSize([string]$Path) {
        $files = @(Get-ChildItem -LiteralPath $Path -Recurse -File -Force)
        [pscustomobject]@{ Files = $files.Count; Bytes = [long]($files | Measure-Object Length -Sum).Sum }
    }
}

Describe 'IclPs module manifest' {
    It 'is version 0.1.0 for PowerShell Core 7.4 or later, with IclPs.dll as its root module' {
        $module = Get-Module IclPs
        $module.Version | Should -Be ([version]'0.1.0')
        $module.CompatiblePSEditions | Should -Be @('Core')
        $module.PowerShellVersion | Should -Be ([version]'7.4')
        $module.ModuleType | Should -Be 'Binary'
        $module.Path | Should -Be (Join-Path $ModuleBase 'IclPs.dll')
        (Test-ModuleManifest $Manifest -ErrorAction Stop).Version | Should -Be ([version]'0.1.0')
    }

    It 'exports exactly the cmdlets its assembly defines' {
        $defined = [IclPs.IclPsCmdlet].Assembly.GetTypes() |
            ForEach-Object { $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false) } |
            ForEach-Object { "$($_.VerbName)-$($_.NounName)" } | Sort-Object
        $exported = (Get-Module IclPs).ExportedCmdlets.Keys | Sort-Object
        # The cmdlets of the first release, each still there (new ones join through the checks below).
        foreach ($name in 'Compare-IclGradientDescent', 'Export-IclPlot', 'Export-IclResult', 'Export-TaskVector', 'Get-IclModel',
            'Get-IclModelInfo', 'Import-IclDataset', 'Import-IclModel', 'Import-TaskVector', 'Invoke-IclPrompt', 'Measure-HeadEffect',
            'Measure-HiddenSimilarity', 'Measure-IclRegression', 'New-IclModel', 'New-TaskVector', 'Save-IclModel', 'Start-IclTraining') {
            $exported | Should -Contain $name
        }
        $exported | Should -Be $defined
        # The manifest lists them too, so PowerShell can find a command without loading the assembly.
        (Import-PowerShellDataFile $Manifest).CmdletsToExport | Sort-Object | Should -Be $defined
        (Get-Module IclPs).ExportedFunctions.Count + (Get-Module IclPs).ExportedAliases.Count | Should -Be 0
    }

    It '<Name> uses an approved verb and derives from IclPs.IclPsCmdlet' -ForEach $Commands {
        $command = Get-Command $Name -Module IclPs
        $command.Verb | Should -BeIn (Get-Verb).Verb
        # Some derive through an intermediate base (FewShotCmdlet, TaskVectorCmdlet): a subclass, not a direct one.
        $command.ImplementingType.IsSubclassOf([IclPs.IclPsCmdlet]) | Should -BeTrue
    }

    It 'has a format view for every declared output type' {
        [xml]$format = Get-Content (Join-Path $ModuleBase 'IclPs.format.ps1xml') -Raw
        $views = @($format.SelectNodes('//ViewSelectedBy/TypeName') | ForEach-Object InnerText)
        $outputTypes = @((Get-Command -Module IclPs).OutputType.Name | Select-Object -Unique)
        $outputTypes | Should -Contain 'IclPs.ModelInfo'
        $outputTypes | Should -Contain 'IclPs.Engine.Models.IclModel'
        # File and folder objects (-PassThru of Save-IclModel, Export-IclResult, Export-IclPlot) use PowerShell's FileSystem views.
        $withoutView = $outputTypes | Where-Object { $_ -notin 'System.IO.FileInfo', 'System.IO.DirectoryInfo' -and $_ -notin $views }
        $withoutView | Should -BeNullOrEmpty -Because 'IclPs.format.ps1xml needs a view for each'
    }

    It 'holds the manifest, assemblies, format file and about help, and not its own PowerShell' {
        foreach ($file in 'IclPs.psd1', 'IclPs.dll', 'IclPs.Engine.dll', 'TorchSharp.dll', 'IclPs.format.ps1xml', 'en-US/about_IclPs.help.txt') {
            Join-Path $ModuleBase $file | Should -Exist -Because "the module ships $file"
        }
        Join-Path $ModuleBase 'System.Management.Automation.dll' | Should -Not -Exist -Because "the module must use the host's PowerShell"
    }

    It 'carries the TorchSharp natives for this platform' {
        $rid = [System.Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier
        $native = Join-Path $ModuleBase "runtimes/$rid/native"
        $name = if ($IsWindows) { '{0}.dll' } elseif ($IsMacOS) { 'lib{0}.dylib' } else { 'lib{0}.so' }
        Join-Path $native ($name -f 'LibTorchSharp') | Should -Exist
        Join-Path $native ($name -f 'torch_cpu') | Should -Exist
        Join-Path $native ($name -f 'torch_python') | Should -Not -Exist -Because 'the unused Python binding is left out'
    }

    It 'ships about_IclPs help that Get-Help finds' {
        Get-Help about_IclPs | Out-String | Should -Match 'New-IclModel'
    }
}

Describe 'Error records and progress shared by every cmdlet' {
    It 'maps every engine error kind to the error category of the same name' {
        $kinds = @([Enum]::GetValues([IclPs.Engine.IclErrorKind]))
        foreach ($name in 'InvalidArgument', 'InvalidData', 'ObjectNotFound', 'LimitsExceeded', 'InvalidOperation', 'ReadError', 'WriteError', 'NotImplemented') {
            $kinds.ForEach({ $_.ToString() }) | Should -Contain $name
        }
        foreach ($kind in $kinds) {
            [IclPs.IclErrorRecords]::Category($kind).ToString() | Should -Be $kind.ToString()
        }
    }

    It 'makes an error record carrying the engine id, category, target and exception' {
        $e = [IclPs.Engine.IclPsException]::new('SafetensorsOffsetOutOfRange', 'ReadError', 'offset past end', 'model.safetensors')
        $record = [IclPs.IclErrorRecords]::From($e)
        $record | Should -BeOfType ([System.Management.Automation.ErrorRecord])
        $record.FullyQualifiedErrorId | Should -Be 'SafetensorsOffsetOutOfRange'
        $record.CategoryInfo.Category | Should -Be 'ReadError'
        $record.TargetObject | Should -Be 'model.safetensors'
        $record.Exception.Message | Should -Be 'offset past end'
        $record.Exception | Should -Be $e
    }

    It 'throttles progress, estimates the time left and completes once' {
        $written = [System.Collections.Generic.List[System.Management.Automation.ProgressRecord]]::new()
        $clock = @{ Now = [TimeSpan]::Zero }
        $reporter = [IclPs.ProgressReporter]::new(
            [Action[System.Management.Automation.ProgressRecord]] { param($r) $written.Add($r) }.GetNewClosure(),
            42, 'Scoring', [Func[TimeSpan]] { $clock.Now }.GetNewClosure(), -1)
        $accepted = @(
            $reporter.Report(0, 10, 'start')                # the first: written
            $clock.Now = [TimeSpan]::FromMilliseconds(100)
            $reporter.Report(1, 10, 'too soon')             # within 200 ms: dropped
            $clock.Now = [TimeSpan]::FromSeconds(2)
            $reporter.Report(4, 10, 'four')                 # 2 s for 4 items, 6 left: 3 s
            $reporter.Complete()
            $reporter.Report(10, 10, 'after completion')    # ignored
        )
        $accepted | Should -Be @($true, $false, $true, $false)
        $written | Should -HaveCount 3
        $written.ActivityId | Should -Be @(42, 42, 42)
        $written[0].PercentComplete, $written[0].SecondsRemaining, $written[0].StatusDescription | Should -Be @(0, -1, 'start')
        $written[1].PercentComplete, $written[1].SecondsRemaining, $written[1].StatusDescription | Should -Be @(40, 3, 'four')
        $written[2].RecordType | Should -Be 'Completed'
    }

    It 'says where the TorchSharp natives came from once per session, when verbose' {
        $r = Invoke-ChildScript -ArgumentList $Manifest {
            param($manifest)
            Import-Module $manifest -ErrorAction Stop
            function Get-VerboseMessages([scriptblock]$Command) {
                , [string[]]@(& $Command 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
            }
            [pscustomobject]@{
                Quiet  = Get-VerboseMessages { $null = New-IclModel }
                First  = Get-VerboseMessages { $null = New-IclModel -Verbose }
                Second = Get-VerboseMessages { $null = New-IclModel -Verbose }
                Status = [IclPs.Engine.Native.TorchNativeLoader]::Status
            }
        }
        $LASTEXITCODE | Should -Be 0
        $r.Status | Should -Not -BeNullOrEmpty
        $r.Quiet | Should -BeNullOrEmpty
        @($r.First | Where-Object { $_ -eq $r.Status }) | Should -HaveCount 1
        $r.Second | Should -Not -Contain $r.Status
        @($r.Second | Where-Object { $_.StartsWith('Created preset:gpt2-tiny seed:0', [StringComparison]::Ordinal) }) | Should -HaveCount 1
    }
}

Describe 'A fresh pwsh session with the module imported' {
    It 'can use a TorchSharp type before the first cmdlet, and that leaves the module folder as it was' {
        # Regression: TorchSharp, probing for libtorch on its own, copied 478 MB of natives into the module folder and the next
        # cmdlet crashed pwsh. The module loads the natives on import now.
        $before = Get-FolderSize $ModuleBase
        $r = Invoke-ChildScript -ArgumentList $Manifest {
            param($manifest)
            Import-Module $manifest -ErrorAction Stop
            $sum = [TorchSharp.torch]::arange(4).sum().item[long]()   # TorchSharp first: 0 + 1 + 2 + 3
            [pscustomobject]@{ Sum = $sum; Model = (New-IclModel -Preset llama-tiny).Config.Family.ToString(); After = 'done' }
        }
        $LASTEXITCODE | Should -Be 0
        $r.Sum | Should -Be 6
        $r.Model | Should -Be 'Llama'
        $r.After | Should -Be 'done'
        $after = Get-FolderSize $ModuleBase
        $after.Files | Should -Be $before.Files
        $after.Bytes | Should -Be $before.Bytes
    }

    It 'runs tools/Demo.ps1 with core cmdlets only' {
        $demo = Join-Path $RepositoryRoot 'tools/Demo.ps1'
        $out = @(Invoke-ChildScript -ArgumentList $Manifest, $demo {
            param($manifest, $demo)
            Import-Module $manifest -ErrorAction Stop
            & $demo -Seed 5
        })
        $LASTEXITCODE | Should -Be 0
        $lines = @($out | Where-Object { $_ -is [string] })
        $lines | Should -Contain 'seed 5 vs seed 5 identical: True'
        $lines | Should -Contain 'seed 5 vs seed 6 identical: False'
        $infos = @($out | Where-Object { $_.PSObject.TypeNames[0] -eq 'Deserialized.IclPs.ModelInfo' })
        $infos.Name | Should -Be @('gpt2-tiny', 'gpt2-mini', 'llama-tiny')
        $problems = @($out | Where-Object { $_.PSObject.Properties['Id'] })
        $problems | Should -HaveCount 1
        $problems[0].Id | Should -Be 'ModelConfigNotFound,IclPs.Cmdlets.NewIclModelCommand'
    }
}

Describe 'Scripts run by pwsh with the module' {
    BeforeEach {
        $dir = New-Item -ItemType Directory (Join-Path $TestDrive ([guid]::NewGuid()))
    }

    It 'runs a script file with arguments, shows a model through its view and returns the script''s exit code' {
        $script = Join-Path $dir 'run.ps1'
        Set-Content $script @"
param([string]`$Name, [int]`$Code, [switch]`$Show)
Import-Module '$Manifest' -ErrorAction Stop
`$m = New-IclModel -Name `$Name
if (`$Show) { `$m | Out-Host }
exit `$Code
"@
        $r = Invoke-ChildText '-File', $script, '-Name', 'hosted', '-Code:7', '-Show'
        $r.ExitCode | Should -Be 7 -Because $r.Stderr
        $r.Stdout -match '\bParameters\b' | Should -Not -BeNullOrEmpty
        # The IclModel table view with its N0-formatted parameter count, at the 80 columns of redirected output.
        $rows = @($r.Stdout | Where-Object { $_ -match ('^hosted\s+Gpt2\s+2\s+64\s+4\s+' + [regex]::Escape((149248).ToString('N0')) + '\s') })
        $rows | Should -HaveCount 1
    }

    It 'exits 1 when the script throws and reports the error on stderr' {
        $script = Join-Path $dir 'throw.ps1'
        Set-Content $script "Import-Module '$Manifest' -ErrorAction Stop; throw 'deliberate failure'"
        $r = Invoke-ChildText '-File', $script
        $r.ExitCode | Should -Be 1
        $r.Stderr | Should -Match 'deliberate failure'
    }

    It 'shows a cmdlet''s non-terminating error on stderr with the engine message and goes on' {
        $r = Invoke-ChildText '-Command', "Set-Location '$dir'; Import-Module '$Manifest'; New-IclModel -ConfigPath nowhere/config.json; 'still ran'"
        $r.Stdout | Should -Contain 'still ran'
        $r.Stderr | Should -Match 'New-IclModel: config\.json not found'
        $r.Stderr | Should -Match ([regex]::Escape((Join-Path $dir 'nowhere/config.json')))
        $r.ExitCode | Should -Be 0 -Because 'the last statement succeeded'
    }

    It 'exits 1 when the last command wrote an error' {
        $r = Invoke-ChildText '-Command', "Import-Module '$Manifest'; New-IclModel -ConfigPath nowhere/config.json"
        $r.ExitCode | Should -Be 1
        $r.Stderr | Should -Match 'config\.json not found'
    }

    It 'exits 0 after a clean command, with verbose lines on stdout' {
        $r = Invoke-ChildText '-Command', "Import-Module '$Manifest'; (New-IclModel -Preset llama-tiny -Verbose).Config.Family"
        $r.ExitCode | Should -Be 0 -Because $r.Stderr
        $r.Stdout -like 'VERBOSE: Created preset:llama-tiny seed:0*' | Should -HaveCount 1
        $r.Stdout[-1] | Should -Be 'Llama'
    }
}
