# The path a user takes from a gallery: the package build.ps1 -Task Package published into a local PSResource repository
# is installed with Install-PSResource into an empty user profile, imported by name in a fresh pwsh, and used.
BeforeDiscovery {
    $script:HasRepository = [bool]$env:ICLPS_REPOSITORY_PATH -and (Test-Path (Join-Path "$env:ICLPS_REPOSITORY_PATH" 'IclPs.*.nupkg'))
}

Describe 'The published package' -Skip:(-not $script:HasRepository) {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestSetup.ps1')
        $script:Version = (Get-Module IclPs).Version
        $script:Package = Get-Item (Join-Path $env:ICLPS_REPOSITORY_PATH "IclPs.$($script:Version).nupkg")
        # An empty profile: HOME decides the CurrentUser module path and PSResourceGet's repository list on Linux/macOS.
        $script:Profile = (New-Item -ItemType Directory (Join-Path $TestDrive 'home')).FullName

        function Invoke-FreshPwsh([string]$Command) {
            $saved = @{ HOME = $env:HOME; USERPROFILE = $env:USERPROFILE; PSModulePath = $env:PSModulePath; XDG_DATA_HOME = $env:XDG_DATA_HOME; XDG_CONFIG_HOME = $env:XDG_CONFIG_HOME }
            try {
                $env:HOME = $env:USERPROFILE = $script:Profile
                $env:PSModulePath = $env:XDG_DATA_HOME = $env:XDG_CONFIG_HOME = $null
                $output = & $PwshExe @PwshPrefix -NoProfile -NonInteractive -Command $Command 2>&1
                [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output | Out-String) }
            }
            finally {
                foreach ($name in $saved.Keys) { Set-Item "env:$name" $saved[$name] }
            }
        }

        $script:Install = Invoke-FreshPwsh @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name IclPsLocal -Uri '$($env:ICLPS_REPOSITORY_PATH)' -Trusted
Install-PSResource -Name IclPs -Repository IclPsLocal -Scope CurrentUser -TrustRepository
(Get-InstalledPSResource -Name IclPs).InstalledLocation
"@
        $script:Smoke = Invoke-FreshPwsh @'
$ErrorActionPreference = 'Stop'
Import-Module IclPs
$module = Get-Module IclPs
$linear = Get-IclModel linear-d8 -Load
$numeric = @(Invoke-IclPrompt -RegressionModel $linear -TaskSource fresh -Samples 4 -Seed 3 -Baseline Ridge)
$data = Import-IclDataset (Join-Path $module.ModuleBase 'data/function-vectors/antonym.json') -Seed 0
$text = @(Invoke-IclPrompt -Model (New-IclModel -Preset gpt2-tiny) -Dataset $data -Shots 2 -First 3)
[ordered]@{
    ModuleBase = $module.ModuleBase
    Version = "$($module.Version)"
    Numeric = $numeric.Count
    NumericFinite = @($numeric | Where-Object { [double]::IsFinite($_.Prediction) }).Count
    Text = $text.Count
    Help = (Get-Help Invoke-IclPrompt).Synopsis
} | ConvertTo-Json -Compress
'@
    }

    It 'is a .nupkg of the packaged module that carries only this platform''s natives' {
        $script:Package.Length | Should -BeGreaterThan 10MB
        Write-Host ("Package {0}: {1:N0} MB" -f $script:Package.Name, ($script:Package.Length / 1MB))
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead($script:Package.FullName)
        try {
            $entries = $zip.Entries.FullName
            $entries | Should -Contain 'IclPs.psd1'
            $entries | Should -Contain 'IclPs.dll'
            $entries | Should -Contain 'en-US/IclPs.dll-Help.xml'
            $entries | Should -Contain 'LICENSE'
            $runtimes = $entries | Where-Object { $_ -like 'runtimes/*' } | ForEach-Object { ($_ -split '/')[1] } | Sort-Object -Unique
            $runtimes | Should -Be @([System.Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier)
        }
        finally { $zip.Dispose() }
    }

    It 'installs with Install-PSResource into an empty user module path' {
        $script:Install.ExitCode | Should -Be 0 -Because $script:Install.Output
        $installed = ($script:Install.Output -split "`r?`n" | Where-Object { $_ -like "$($script:Profile)*" } | Select-Object -Last 1)
        $installed | Should -Not -BeNullOrEmpty -Because $script:Install.Output
        Join-Path $installed "IclPs/$($script:Version)/IclPs.psd1" | Should -Exist
    }

    It 'imports by name in a fresh pwsh and runs numeric and text prompts with help' {
        $script:Smoke.ExitCode | Should -Be 0 -Because $script:Smoke.Output
        $json = $script:Smoke.Output -split "`r?`n" | Where-Object { $_ -like '{*' } | Select-Object -Last 1
        $result = $json | ConvertFrom-Json
        $result.ModuleBase | Should -BeLike "$($script:Profile)*"
        $result.Version | Should -Be "$($script:Version)"
        $result.Numeric | Should -Be 4
        $result.NumericFinite | Should -Be 4
        $result.Text | Should -Be 3
        $result.Help | Should -Not -BeNullOrEmpty
    }
}
