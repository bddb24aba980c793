using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace IclPs.Host;

/// <summary>
/// One runspace with the IclPs module imported, running a script file or command text the way pwsh does:
/// output and non-terminating errors rendered by Out-Default through the module's format views, streams to the console
/// host, Ctrl+C stopping the pipeline, and an exit code scripts and CI can rely on.
/// </summary>
internal sealed class ScriptRunner : IDisposable
{
    private readonly IclPsConsoleHost _host = new();
    private readonly Runspace _runspace;
    private PowerShell? _running;

    /// <exception cref="RuntimeException">The module could not be imported (RunspaceOpenModuleLoadException carries the errors).</exception>
    public ScriptRunner(string modulePath)
    {
        var state = InitialSessionState.CreateDefault2();
        if (OperatingSystem.IsWindows()) state.ExecutionPolicy = Microsoft.PowerShell.ExecutionPolicy.Bypass;
        state.ImportPSModule(modulePath);
        // Modules imported at open fail silently unless asked; a missing or broken IclPs must stop the host.
        state.ThrowOnRunspaceOpenError = true;
        _runspace = RunspaceFactory.CreateRunspace(_host, state);
        _runspace.Open();
    }

    public IclPsConsoleHost Host => _host;

    /// <summary>Runs a .ps1 with pwsh -File argument conventions: <c>-Name value</c>, <c>-Name:value</c>, <c>-Switch</c>, positional.</summary>
    public int RunFile(string scriptPath, IReadOnlyList<string> arguments)
    {
        var fullPath = Path.GetFullPath(scriptPath);
        if (!File.Exists(fullPath))
        {
            _host.UI.WriteErrorLine($"iclps-host: script file '{fullPath}' does not exist.");
            return ExitCodes.HostError;
        }
        // Relative paths inside the script resolve against the caller's directory, as with pwsh.
        SetLocation(Environment.CurrentDirectory);
        return Run(ps =>
        {
            var command = new Command(fullPath);
            foreach (var argument in arguments) command.Parameters.Add(ToParameter(argument));
            ps.Commands.AddCommand(command);
        }, failOnAnyError: false);
    }

    /// <summary>Runs command text; any error written makes the exit code 1, so `-Command` can gate CI steps.</summary>
    public int RunCommand(string text)
    {
        SetLocation(Environment.CurrentDirectory);
        return Run(ps => ps.AddScript(text), failOnAnyError: true);
    }

    /// <summary>Stops the running pipeline (Ctrl+C); the script sees it as PipelineStoppedException.</summary>
    public bool Stop()
    {
        var running = _running;
        if (running is null) return false;
        running.BeginStop(null, null);
        return true;
    }

    public void Dispose() => _runspace.Dispose();

    private int Run(Action<PowerShell> addScript, bool failOnAnyError)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        addScript(ps);
        // As pwsh's console does: errors join the output so Out-Default renders them in order with the objects.
        ps.Commands.Commands[0].MergeMyResults(PipelineResultTypes.Error, PipelineResultTypes.Output);
        ps.AddCommand("Out-Default");
        var errorsBefore = ErrorCount();
        _running = ps;
        try
        {
            ps.Invoke();
        }
        catch (PipelineStoppedException)
        {
            return Stopped();
        }
        catch (RuntimeException e)
        {
            Render(e.ErrorRecord);
            return _host.ShouldExitCode ?? ExitCodes.ScriptFailed;
        }
        finally
        {
            _running = null;
        }
        if (ps.InvocationStateInfo.State == PSInvocationState.Stopped) return Stopped();
        if (_host.ShouldExitCode is int requested) return requested;
        // Merged errors do not set HadErrors; $Error growing is the reliable sign that one was written.
        if (failOnAnyError && ErrorCount() > errorsBefore) return ExitCodes.ScriptFailed;
        return LastExitCode() is int last and not 0 ? last : ExitCodes.Success;
    }

    private int Stopped()
    {
        _host.UI.WriteErrorLine("iclps-host: stopped.");
        return ExitCodes.Interrupted;
    }

    /// <summary>Shows a terminating error as pwsh does: Out-Default's error view (with the script position), on stderr.</summary>
    private void Render(ErrorRecord record)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddCommand("Out-Default");
        _host.Console.OutputAsError = true;
        try
        {
            ps.Invoke(new[] { record });
        }
        finally
        {
            _host.Console.OutputAsError = false;
        }
    }

    private int ErrorCount() => _runspace.SessionStateProxy.GetVariable("Error") is System.Collections.ICollection errors ? errors.Count : 0;

    private int? LastExitCode() => _runspace.SessionStateProxy.GetVariable("LASTEXITCODE") is int code ? code : null;

    private void SetLocation(string path) => _runspace.SessionStateProxy.Path.SetLocation(WildcardPattern.Escape(path));

    /// <summary>pwsh -File's rules: "-Name:value" binds a value, "-Name" a parameter (the binder pairs it with the next argument), anything else is positional.</summary>
    private static CommandParameter ToParameter(string argument)
    {
        if (argument.Length > 1 && argument[0] == '-')
        {
            var colon = argument.IndexOf(':');
            if (colon > 0 && colon < argument.Length - 1) return new CommandParameter(argument[..colon], argument[(colon + 1)..]);
            return new CommandParameter(argument.TrimEnd(':'));
        }
        return new CommandParameter(null, argument);
    }
}
