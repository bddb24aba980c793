using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using IclPs.Engine;
using IclPs.Engine.Native;

namespace IclPs;

/// <summary>
/// Base of every IclPs cmdlet. Derived cmdlets override <see cref="Begin"/>, <see cref="Process"/> and <see cref="End"/>
/// and let engine failures propagate:
/// <list type="bullet">
/// <item>an <see cref="IclPsException"/> from <see cref="Process"/> becomes a non-terminating error for that input item
///   (the pipeline continues with the next one);</item>
/// <item>one from <see cref="Begin"/> or <see cref="End"/> is terminating, since nothing after it can run;
///   <see cref="Terminate"/> does the same from <see cref="Process"/> when a failure leaves no later item a chance;</item>
/// <item>Ctrl+C / <c>Stop()</c> cancels <see cref="Cancellation"/>; engine calls given that token stop early and the
///   resulting <see cref="OperationCanceledException"/> ends the pipeline as a normal stop.</item>
/// </list>
/// </summary>
public abstract class IclPsCmdlet : PSCmdlet, IDisposable
{
    // Runspaces that have already seen the native-loader line; weak so closed runspaces are not kept alive.
    private static readonly ConditionalWeakTable<Runspace, object> NativeStatusShown = new();
    private static int _lastActivityId;
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Cancelled when the user presses Ctrl+C or the host stops the pipeline; pass it to every long engine call.</summary>
    protected CancellationToken Cancellation => _stopping.Token;

    protected virtual void Begin() { }
    protected virtual void Process() { }
    protected virtual void End() { }

    protected sealed override void BeginProcessing() => Guard(terminating: true, () =>
    {
        LoadEngine();
        Begin();
    });

    protected sealed override void ProcessRecord() => Guard(terminating: false, Process);

    protected sealed override void EndProcessing() => Guard(terminating: true, End);

    protected sealed override void StopProcessing() => _stopping.Cancel();

    /// <summary>Reports a failure for the current input item and lets the cmdlet continue with the next.</summary>
    protected void WriteItemError(IclPsException exception) => WriteError(IclErrorRecords.From(exception));

    /// <summary>Stops the whole pipeline with the engine's error record.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    protected void Terminate(IclPsException exception)
    {
        ThrowTerminatingError(IclErrorRecords.From(exception));
        throw new System.Diagnostics.UnreachableException();
    }

    /// <summary>A throttled Write-Progress helper with an activity id no other running cmdlet uses.</summary>
    protected ProgressReporter StartProgress(string activity, int parentActivityId = -1) =>
        new(WriteProgress, Interlocked.Increment(ref _lastActivityId), activity, parentActivityId: parentActivityId);

    /// <summary>A file-system path as the user meant it: relative to the PowerShell location, not the process directory.</summary>
    protected string ResolveFilePath(string path) => GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>Releases what a derived cmdlet holds; PowerShell disposes a cmdlet however its pipeline ends (End, error or Ctrl+C).</summary>
    protected virtual void Release() { }

    public void Dispose()
    {
        Release();
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    private void Guard(bool terminating, Action step)
    {
        try
        {
            step();
        }
        catch (IclPsException e)
        {
            if (terminating) Terminate(e);
            WriteItemError(e);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    private void LoadEngine()
    {
        try
        {
            TorchNativeLoader.EnsureLoaded();
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException or IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(new ErrorRecord(e, "TorchNativeLoadFailed", ErrorCategory.ResourceUnavailable, null));
        }
        // Said once per runspace, the first time verbose output is on, so `-Verbose` explains where libtorch came from.
        var runspace = Runspace.DefaultRunspace;
        if (runspace is not null && VerboseEnabled() && NativeStatusShown.TryAdd(runspace, true))
            WriteVerbose(TorchNativeLoader.Status);
    }

    private bool VerboseEnabled()
    {
        if (MyInvocation.BoundParameters.TryGetValue("Verbose", out var bound))
            return bound is SwitchParameter s ? s.IsPresent : bound is true;
        return GetVariableValue("VerbosePreference") is ActionPreference p && p != ActionPreference.SilentlyContinue && p != ActionPreference.Ignore;
    }
}
