#Requires -Version 7.4
<#
.SYNOPSIS
    Single entry point for building, testing, packaging and demonstrating IclPs.
.DESCRIPTION
    Build    builds src/IclPs, lays the module out in artifacts/IclPs/<ModuleVersion>/ with only the natives of -Runtime,
             and generates its MAML help (en-US/IclPs.dll-Help.xml) and docs/cmdlets.md from the cmdlets' doc comments.
    Package  Build, then Publish-PSResource of that folder into the local PSResource repository artifacts/repository.
    Test     Package, then the engine's xunit tests and the Pester suites in tests/pester against the packaged module;
             ends with one line 'N passed, N failed, N skipped' over both and exits 1 if anything failed.
    Demo     Build, then examples/quickstart.ps1 (the main job, on the shipped models) in a fresh pwsh with the module.
    Work that imports the module runs in a child pwsh, so this session never holds a stale copy of IclPs.dll.
    Run it through the repository's pinned PowerShell: `dotnet tool restore`, then `dotnet pwsh ./build.ps1 -Task ...`.
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Test
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Package -Runtime win-x64
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Package', 'Test', 'Demo')]
    [string]$Task = 'Build',
    [ValidateSet('Debug', 'Release')]
    [string]$Configuration = 'Release',
    # The platform whose natives the module folder carries (libtorch, SkiaSharp). TorchSharp's CPU libtorch for linux-x64
    # is the one restorable on the project's machines; other runtimes need their libtorch package restorable too.
    [ValidateSet('linux-x64', 'linux-arm64', 'osx-arm64', 'win-x64')]
    [string]$Runtime = [System.Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier,
    # Pester suites to run: the module's suites and the regression check shipped as an example. Narrow it for quick
    # local runs (e.g. -PesterPath tests/pester/Help.Tests.ps1); CI runs the default.
    [string[]]$PesterPath = @((Join-Path $PSScriptRoot 'tests/pester'), (Join-Path $PSScriptRoot 'examples/model-regression.Tests.ps1')),
    [switch]$SkipEngineTests
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$artifacts = Join-Path $PSScriptRoot 'artifacts'
$version = (Import-PowerShellDataFile (Join-Path $PSScriptRoot 'module/IclPs.psd1')).ModuleVersion
$moduleDir = Join-Path $artifacts "IclPs/$version"
$repositoryDir = Join-Path $artifacts 'repository'
$resultsDir = Join-Path $artifacts 'test-results'
$buildOutput = Join-Path $PSScriptRoot "src/IclPs/bin/$Configuration/net8.0"

function Invoke-Tool {
    param([string]$Name, [string[]]$Arguments)
    Write-Verbose "$Name $($Arguments -join ' ')"
    & $Name @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Name $($Arguments -join ' ') failed with exit code $LASTEXITCODE." }
}

# The same PowerShell that runs this script, started fresh (a dotnet tool runs as `dotnet pwsh.dll`).
function Invoke-ChildPwsh {
    param([string[]]$Arguments, [switch]$AllowFailure)
    $exe = [Environment]::ProcessPath
    $prefix = @(if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
    & $exe @prefix -NoProfile -NonInteractive @Arguments
    if ($LASTEXITCODE -ne 0 -and -not $AllowFailure) { throw "pwsh $($Arguments -join ' ') failed with exit code $LASTEXITCODE." }
}

# Copies the build output into a staging folder beside the target and renames it into place, so a failed build never
# leaves a half-laid module. Natives of other platforms stay behind (SkiaSharp alone ships ~150 MB of them).
function Invoke-Build {
    Invoke-Tool dotnet @('build', (Join-Path $PSScriptRoot 'src/IclPs/IclPs.csproj'), '-c', $Configuration, '-nologo', '-v', 'q')
    $staging = "$moduleDir.partial-$PID"
    if (Test-Path $staging) { Remove-Item $staging -Recurse -Force }
    try {
        $null = New-Item -ItemType Directory $staging
        foreach ($item in Get-ChildItem $buildOutput -Force) {
            if ($item.Name -eq 'runtimes') {
                $native = Join-Path $item.FullName $Runtime
                if (-not (Test-Path $native)) { throw "The build has no natives for $Runtime (runtimes/$Runtime is missing)." }
                $null = New-Item -ItemType Directory (Join-Path $staging 'runtimes')
                Copy-Item $native (Join-Path $staging 'runtimes') -Recurse
            }
            elseif ($item.Extension -ne '.xml' -or $item.BaseName -ne 'IclPs') {
                Copy-Item $item.FullName $staging -Recurse
            }
        }
        Copy-Item (Join-Path $PSScriptRoot 'LICENSE') $staging
        Invoke-ChildPwsh @('-File', (Join-Path $PSScriptRoot 'tools/Build-IclHelp.ps1'), '-ModulePath', $staging,
            '-DocumentationXml', (Join-Path $buildOutput 'IclPs.xml'), '-MarkdownPath', (Join-Path $PSScriptRoot 'docs/cmdlets.md'))
        if (Test-Path $moduleDir) { Remove-Item $moduleDir -Recurse -Force }
        Move-Item $staging $moduleDir
    }
    finally {
        if (Test-Path $staging) { Remove-Item $staging -Recurse -Force }
    }
    Write-Verbose "Module laid out in $moduleDir"
}

# A local PSResource repository is a folder of .nupkg files; registered only for this call, under a name no user has.
function Invoke-Package {
    Invoke-Build
    $null = New-Item -ItemType Directory $repositoryDir -Force
    Get-ChildItem $repositoryDir -Filter "IclPs.$version.nupkg" | Remove-Item
    $script = @"
`$ErrorActionPreference = 'Stop'
`$name = 'IclPsBuild$PID'
Register-PSResourceRepository -Name `$name -Uri '$repositoryDir' -Trusted
try { Publish-PSResource -Path '$moduleDir' -Repository `$name -SkipModuleManifestValidate }
finally { Unregister-PSResourceRepository -Name `$name }
"@
    Invoke-ChildPwsh @('-Command', $script)
}

function Get-PesterManifest {
    Invoke-Tool dotnet @('restore', (Join-Path $PSScriptRoot 'tests/pester/Pester.csproj'), '-nologo', '-v', 'q')
    $packages = (dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', ''
    [xml]$project = Get-Content (Join-Path $PSScriptRoot 'tests/pester/Pester.csproj') -Raw
    $pesterVersion = $project.Project.PropertyGroup.PesterVersion
    $manifest = Join-Path $packages.Trim() "pester/$pesterVersion/tools/Pester.psd1"
    if (-not (Test-Path $manifest)) { throw "Pester $pesterVersion was restored but $manifest is missing." }
    $manifest
}

function Invoke-Test {
    Invoke-Package
    if (Test-Path $resultsDir) { Remove-Item $resultsDir -Recurse -Force }
    $null = New-Item -ItemType Directory $resultsDir
    $counts = [ordered]@{ Passed = 0; Failed = 0; Skipped = 0 }
    $broken = @()

    if (-not $SkipEngineTests) {
        & dotnet test (Join-Path $PSScriptRoot 'tests/IclPs.Engine.Tests') -c $Configuration -nologo `
            --logger 'trx;LogFileName=engine.trx' --logger 'console;verbosity=minimal' --results-directory $resultsDir
        $trx = Join-Path $resultsDir 'engine.trx'
        if (Test-Path $trx) {
            [xml]$run = Get-Content $trx -Raw
            $counters = $run.TestRun.ResultSummary.Counters
            $counts.Passed += [int]$counters.passed
            $counts.Failed += [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
            $counts.Skipped += [int]$counters.notExecuted
            "Engine (xunit): $($counters.passed) passed, $($counters.failed) failed, $($counters.notExecuted) skipped"
        }
        else {
            # No results at all (the test project did not compile, or the host died): count the run as one failure.
            $counts.Failed += 1
            $broken += 'the engine tests wrote no results'
        }
        if ($LASTEXITCODE -ne 0) { $broken += "dotnet test exited $LASTEXITCODE" }
    }

    $pester = Get-PesterManifest
    $summary = Join-Path $resultsDir 'pester-summary.json'
    $paths = ($PesterPath | ForEach-Object { "'$((Resolve-Path $_).Path)'" }) -join ','
    $script = @"
`$ErrorActionPreference = 'Stop'
`$env:ICLPS_MODULE_PATH = '$moduleDir'
`$env:ICLPS_REPOSITORY_PATH = '$repositoryDir'
# Suites outside tests/pester (the shipped regression check) import the module by name, as a user would.
`$env:PSModulePath = '$artifacts' + [IO.Path]::PathSeparator + `$env:PSModulePath
# Tiny models gain nothing from intra-op threads, and on a shared or small machine they oversubscribe the cores.
if (-not `$env:OMP_NUM_THREADS) { `$env:OMP_NUM_THREADS = '1' }
Import-Module '$pester'
`$config = New-PesterConfiguration
`$config.Run.Path = @($paths)
`$config.Run.PassThru = `$true
`$config.Output.Verbosity = 'Normal'
`$config.TestResult.Enabled = `$true
`$config.TestResult.OutputPath = '$(Join-Path $resultsDir 'pester.xml')'
`$result = Invoke-Pester -Configuration `$config
[ordered]@{ Passed = `$result.PassedCount; Failed = `$result.FailedCount + `$result.FailedBlocksCount + `$result.FailedContainersCount; Skipped = `$result.SkippedCount } |
    ConvertTo-Json | Set-Content '$summary'
"@
    Invoke-ChildPwsh @('-Command', $script) -AllowFailure
    if (Test-Path $summary) {
        $p = Get-Content $summary -Raw | ConvertFrom-Json
        $counts.Passed += $p.Passed; $counts.Failed += $p.Failed; $counts.Skipped += $p.Skipped
        "Module (Pester): $($p.Passed) passed, $($p.Failed) failed, $($p.Skipped) skipped"
    }
    else {
        # The Pester process died before its summary (a crash of pwsh itself): count the run as one failure.
        $counts.Failed += 1
        $broken += 'Pester wrote no summary'
    }

    foreach ($problem in $broken) { Write-Warning $problem }
    "$($counts.Passed) passed, $($counts.Failed) failed, $($counts.Skipped) skipped"
    if ($counts.Failed -gt 0 -or $broken) { exit 1 }
}

switch ($Task) {
    'Build' { Invoke-Build; "Module: $moduleDir" }
    'Package' { Invoke-Package; "Package: $(Join-Path $repositoryDir "IclPs.$version.nupkg")" }
    'Test' { Invoke-Test }
    'Demo' {
        Invoke-Build
        Invoke-ChildPwsh @('-Command', "Import-Module '$moduleDir/IclPs.psd1'; & '$PSScriptRoot/examples/quickstart.ps1'")
    }
}
