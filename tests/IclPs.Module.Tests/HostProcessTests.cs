namespace IclPs.Module.Tests;

/// <summary>iclps-host as users start it: a separate process, its stdout/stderr and exit code.</summary>
[Collection(ModuleCollection.Name)]
public sealed class HostProcessTests(ModuleFixture module) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("iclps-host-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (int ExitCode, string Stdout, string Stderr) Host(params string[] args) => module.RunHost(args, _dir);

    private string Script(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Runs_a_script_file_with_arguments_renders_views_and_returns_its_exit_code()
    {
        var script = Script("run.ps1", """
            param([string]$Name, [int]$Code, [switch]$Show)
            $m = New-IclModel -Name $Name
            if ($Show) { $m }
            exit $Code
            """);
        var (code, stdout, stderr) = Host("-File", script, "-Name", "hosted", "-Code:7", "-Show");
        Assert.True(code == 7, $"exit {code}; stderr: {stderr}");
        // The IclModel table view: its header and the N0-formatted parameter count.
        Assert.Contains("Parameters", stdout);
        var row = Assert.Single(stdout.Split('\n'), l => l.StartsWith("hosted ", StringComparison.Ordinal));
        Assert.Contains("149,248", row);
        Assert.Contains("preset:gpt2-tiny seed:0", row);
        Assert.DoesNotContain("\u001b[", stdout);
    }

    [Fact]
    public void A_throwing_script_exits_1_and_reports_the_error_on_stderr()
    {
        var script = Script("throw.ps1", "throw 'deliberate failure'");
        var (code, _, stderr) = Host(script);
        Assert.Equal(1, code);
        Assert.Contains("deliberate failure", stderr);
    }

    [Fact]
    public void A_command_that_writes_an_error_exits_1_and_shows_the_engine_message()
    {
        var (code, stdout, stderr) = Host("-Command", "New-IclModel -ConfigPath nowhere/config.json; 'still ran'");
        Assert.Equal(1, code);
        Assert.Contains("still ran", stdout);
        Assert.Contains("config.json not found", stderr);
    }

    [Fact]
    public void A_clean_command_exits_0_with_verbose_on_stdout()
    {
        var (code, stdout, stderr) = Host("-Command", "(New-IclModel -Preset llama-tiny -Verbose).Config.Family");
        Assert.True(code == 0, stderr);
        Assert.Contains("VERBOSE: Created preset:llama-tiny seed:0", stdout);
        Assert.EndsWith("Llama", stdout.TrimEnd());
    }

    [Fact]
    public void A_missing_module_is_a_host_error()
    {
        var (code, _, stderr) = Host("-Module", _dir, "-Command", "1");
        Assert.Equal(2, code);
        Assert.Contains("IclPs module not found", stderr);
    }

    [Fact]
    public void Package_lays_out_a_versioned_folder_that_imports()
    {
        var (code, stdout, stderr) = Host("--package", Path.Combine(_dir, "artifacts"));
        Assert.True(code == 0, stderr);
        var packaged = Path.Combine(_dir, "artifacts", "IclPs", "0.1.0");
        Assert.Equal(packaged, stdout.Trim());
        Assert.True(File.Exists(Path.Combine(packaged, "IclPs.psd1")));
        Assert.Empty(Directory.GetDirectories(Path.Combine(_dir, "artifacts", "IclPs"), "*.partial-*"));

        var (runCode, runOut, runErr) = Host("-Module", packaged, "-Command", "(New-IclModel).Name; (Get-Module IclPs).ModuleBase");
        Assert.True(runCode == 0, runErr);
        Assert.Equal(["gpt2-tiny", packaged], runOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
