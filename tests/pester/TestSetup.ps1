# Dot-sourced by every suite's BeforeAll (and BeforeDiscovery where test cases need the module): imports the module under
# test once per session and names the folders the suites share. build.ps1 -Task Test sets ICLPS_MODULE_PATH to the
# packaged module (artifacts/IclPs/<version>); run by hand, the suites fall back to that same folder.
$script:RepositoryRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$script:ModulePath = if ($env:ICLPS_MODULE_PATH) { $env:ICLPS_MODULE_PATH } else {
    $version = (Import-PowerShellDataFile (Join-Path $script:RepositoryRoot 'module/IclPs.psd1')).ModuleVersion
    Join-Path $script:RepositoryRoot "artifacts/IclPs/$version"
}
if (-not (Get-Module IclPs)) { Import-Module (Join-Path $script:ModulePath 'IclPs.psd1') -ErrorAction Stop }
$script:ModuleBase = (Get-Module IclPs).ModuleBase
$script:DataPath = Join-Path $script:ModuleBase 'data/function-vectors'
$script:AntonymPath = Join-Path $script:DataPath 'antonym.json'
