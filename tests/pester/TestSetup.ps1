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

# A fresh pwsh, as a user starts one: this process's own executable, with pwsh.dll first when that is dotnet
# (`dotnet pwsh`). @(...) around the whole if: a one-element array assigned from an if arrives as a bare string, which
# splats as characters.
$script:PwshExe = [Environment]::ProcessPath
$script:PwshPrefix = [string[]]@(if ([IO.Path]::GetFileNameWithoutExtension($script:PwshExe) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })

# A fresh folder under TestDrive (which a whole Describe shares) for one It.
function New-TestFolder { (New-Item -ItemType Directory (Join-Path $TestDrive ([guid]::NewGuid()))).FullName }

# Runs $Script in a fresh runspace with the module imported, outside any try block, so that its errors count as a user's
# script would see them and its verbose and progress records can be read. $Parameters bind to its param() block;
# Terminating is the ErrorRecord of an error that stopped the script.
function Invoke-InFreshRunspace([string]$Script, [hashtable]$Parameters = @{}) {
    $ps = [powershell]::Create()
    try {
        $null = $ps.AddScript("Import-Module '$((Get-Module IclPs).Path)' -ErrorAction Stop").AddStatement()
        $null = $ps.AddScript($Script).AddParameters($Parameters)
        $terminating = $null
        $output = try { $ps.Invoke() } catch { $terminating = $_.Exception.InnerException.ErrorRecord }
        [pscustomobject]@{
            Output      = @($output)
            Errors      = @($ps.Streams.Error)
            Verbose     = @($ps.Streams.Verbose | ForEach-Object Message)
            Progress    = @($ps.Streams.Progress)
            Terminating = $terminating
        }
    }
    finally { $ps.Dispose() }
}

# A PowerShell whose fresh runspace has the module imported through its initial session state, for tests that invoke it
# asynchronously and stop it: with Import-Module as a first statement the invocation is a batch, whose worker thread can
# still touch the runspace after Stop() returns and crash the process once it is disposed.
function New-ModulePowerShell {
    $state = [initialsessionstate]::CreateDefault2()
    $state.ImportPSModule([string[]]@((Get-Module IclPs).Path))
    [powershell]::Create($state)
}
