using System.Diagnostics;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Reflection;

namespace IclPs.Module.Tests;

/// <summary>
/// The built module (the folder iclps-host's build lays out) imported into a hosted runspace, as users import it.
/// One runspace is shared by the collection; tests that need a clean session call <see cref="OpenRunspace"/>.
/// </summary>
public sealed class ModuleFixture : IDisposable
{
    private readonly Runspace _runspace;

    public ModuleFixture()
    {
        HostAssembly = Metadata("IclPsHostAssembly");
        ModulePath = Path.Combine(Path.GetDirectoryName(HostAssembly)!, "Modules", "IclPs");
        Assert.True(File.Exists(Path.Combine(ModulePath, "IclPs.psd1")), $"module not built at {ModulePath}");
        _runspace = OpenRunspace();
    }

    /// <summary>iclps-host.dll as built (its apphost sits beside it).</summary>
    public string HostAssembly { get; }

    public string ModulePath { get; }

    /// <summary>The source tree, for the scripts it ships (build.ps1, tools/, examples/, tests/pester/).</summary>
    public string RepositoryRoot => SourceTree;

    /// <summary><see cref="RepositoryRoot"/> where no fixture exists yet (theory data).</summary>
    public static string SourceTree => Metadata("IclPsRepositoryRoot");

    /// <summary>
    /// Script text setting $m to gpt2-tiny (seed 0, byte tokenizer, 256-token window) and $ds to antonym.json split 70/15/15
    /// with seed 0, as Import-IclDataset makes it; ends with a newline, so script text can follow directly.
    /// </summary>
    public string AntonymSetup => $"""
        $m = New-IclModel
        $ds = [IclPs.Engine.Data.DatasetLoader]::LoadJson('{RepositoryRoot}/../shared/data/function-vectors/antonym.json').Split(0.7, 0.15, 0)

        """;

    private static string Metadata(string key) =>
        typeof(ModuleFixture).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    public Runspace OpenRunspace()
    {
        var state = InitialSessionState.CreateDefault2();
        state.ImportPSModule(ModulePath);
        state.ThrowOnRunspaceOpenError = true;
        var runspace = RunspaceFactory.CreateRunspace(state);
        runspace.Open();
        return runspace;
    }

    public ScriptResult Run(string script) => Run(_runspace, script);

    public static ScriptResult Run(Runspace runspace, string script)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = runspace;
        ps.AddScript(script);
        IReadOnlyList<PSObject> output = [];
        ErrorRecord? terminating = null;
        try
        {
            output = ps.Invoke();
        }
        catch (RuntimeException e)
        {
            terminating = e.ErrorRecord;
        }
        return new ScriptResult(output, ps.Streams.Error.ToList(), ps.Streams.Verbose.ToList(), ps.Streams.Progress.ToList(), terminating);
    }

    /// <summary>
    /// Runs iclps-host as users start it (the apphost, else <c>dotnet host.dll</c>) with <paramref name="args"/>, without
    /// ICLPS_MODULE_PATH so it finds the module beside itself; fails the test if it runs past 120 s.
    /// </summary>
    public (int ExitCode, string Stdout, string Stderr) RunHost(IEnumerable<string> args, string? workingDirectory = null)
    {
        var apphost = Path.ChangeExtension(HostAssembly, OperatingSystem.IsWindows() ? ".exe" : null);
        var start = File.Exists(apphost)
            ? new ProcessStartInfo(apphost)
            : new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") { ArgumentList = { HostAssembly } };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        start.Environment.Remove("ICLPS_MODULE_PATH");
        using var process = Process.Start(start)!;
        // Both pipes drain concurrently, or a full stderr buffer would block the child while we wait on stdout.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("iclps-host did not finish within 120 s");
        }
        return (process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    public void Dispose() => _runspace.Dispose();
}

[CollectionDefinition(Name)]
public sealed class ModuleCollection : ICollectionFixture<ModuleFixture>
{
    public const string Name = "IclPs module";
}
