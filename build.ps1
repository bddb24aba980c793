#Requires -Version 7.4
<#
.SYNOPSIS
    Single entry point for building, testing, packaging and demonstrating IclPs.
.DESCRIPTION
    Build    builds iclps-host, which builds the module and lays it out in src/IclPs.Host/bin/<cfg>/net10.0/Modules/IclPs.
    Test     Build, then the xunit module tests (hosted runspace + host process) and, if Pester 5 is installed, tests/pester.
    Package  Build, then artifacts/IclPs/<ModuleVersion>/ (a folder Import-Module and PSModulePath accept).
    Demo     Package, then tools/Demo.ps1 in a fresh pwsh with the packaged module imported.
    Work that loads IclPs.dll runs in a child pwsh, so this session never locks the build output.
.EXAMPLE
    ./build.ps1 -Task Package -Configuration Release
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package', 'Demo')]
    [string]$Task = 'Build',
    [ValidateSet('Debug', 'Release')]
    [string]$Configuration = 'Release',
    [string]$ArtifactsPath = (Join-Path $PSScriptRoot 'artifacts')
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

function Invoke-Tool {
    param([string]$Name, [string[]]$Arguments)
    Write-Verbose "$Name $($Arguments -join ' ')"
    & $Name @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Name $($Arguments -join ' ') failed with exit code $LASTEXITCODE." }
}

$hostProject = Join-Path $PSScriptRoot 'src/IclPs.Host/IclPs.Host.csproj'
$builtModule = Join-Path $PSScriptRoot "src/IclPs.Host/bin/$Configuration/net10.0/Modules/IclPs"
$version = (Import-PowerShellDataFile (Join-Path $PSScriptRoot 'module/IclPs.psd1')).ModuleVersion
$packagedModule = Join-Path $ArtifactsPath "IclPs/$version"

function Invoke-Build { Invoke-Tool dotnet @('build', $hostProject, '-c', $Configuration) }

function Invoke-Package {
    Invoke-Build
    Invoke-Tool dotnet @('run', '--project', $hostProject, '-c', $Configuration, '--no-build', '--', '--package', $ArtifactsPath)
}

switch ($Task) {
    'Build' { Invoke-Build; "Module: $builtModule" }
    'Test' {
        Invoke-Build
        Invoke-Tool dotnet @('test', (Join-Path $PSScriptRoot 'tests/IclPs.Module.Tests'), '-c', $Configuration)
        if (Get-Module -ListAvailable Pester | Where-Object Version -ge '5.0') {
            $env:ICLPS_MODULE_PATH = $builtModule
            $env:ICLPS_HOST = Join-Path $PSScriptRoot "src/IclPs.Host/bin/$Configuration/net10.0/iclps-host.dll"
            Invoke-Tool pwsh @('-NoProfile', '-Command',
                "Import-Module Pester -MinimumVersion 5.0; `$c = New-PesterConfiguration; `$c.Run.Path = '$PSScriptRoot/tests/pester'; `$c.Run.Exit = `$true; `$c.Output.Verbosity = 'Detailed'; Invoke-Pester -Configuration `$c")
        }
        else {
            Write-Warning 'Pester 5 is not installed; skipped tests/pester (Install-Module Pester -MinimumVersion 5.0).'
        }
    }
    'Package' { Invoke-Package; "Package: $packagedModule" }
    'Demo' {
        Invoke-Package
        Invoke-Tool pwsh @('-NoProfile', '-Command', "Import-Module '$packagedModule'; & '$PSScriptRoot/tools/Demo.ps1'")
    }
}
