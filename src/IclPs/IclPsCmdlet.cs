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
        CheckNumericParameters();
        UseThreadsForBoundModel();
        Begin();
    });

    protected sealed override void ProcessRecord() => Guard(terminating: false, () =>
    {
        // Parameters bound from the pipeline arrive with each record.
        CheckNumericParameters();
        UseThreadsForBoundModel();
        Process();
    });

    protected sealed override void EndProcessing() => Guard(terminating: true, End);

    protected sealed override void StopProcessing() => _stopping.Cancel();

    /// <summary>Reports a failure for the current input item and lets the cmdlet continue with the next.</summary>
    protected void WriteItemError(IclPsException exception) => WriteError(IclErrorRecords.From(exception));

    /// <summary>
    /// Reports a raw failure (libtorch, file system; see <see cref="IclErrorRecords.IsEngineFailure"/>) for the current input
    /// item through the one mapping <see cref="IclErrorRecords.FromFailure"/>, naming <paramref name="target"/>, and lets the
    /// cmdlet continue with the next. The full text (a C++ stack trace for libtorch) goes to the verbose stream.
    /// </summary>
    protected void WriteItemError(Exception exception, object? target)
    {
        WriteFailureDetails(exception);
        WriteError(IclErrorRecords.FromFailure(exception, target));
    }

    /// <summary>
    /// Says how many positions the interventions counted in <paramref name="tally"/> changed (verbose), and warns when they
    /// ran but changed nothing: <paramref name="intervention"/> (e.g. a zero task vector) had no effect on any result.
    /// </summary>
    protected void ReportInterventions(IclPs.Engine.Models.InterventionTally tally, object? intervention)
    {
        ArgumentNullException.ThrowIfNull(tally);
        if (tally.Applications == 0) return;
        WriteVerbose($"Intervention {intervention}: {tally.Applications} application(s) changed {tally.ChangedPositions} position(s).");
        if (tally.ChangedNothing)
            WriteWarning($"The intervention {intervention} ran {tally.Applications} time(s) but changed no position: every activation it touched kept its value (a zero vector, or a replacement by the same values), so the results are those without it.");
    }

    /// <summary>
    /// The session variable that fixes torch's thread count for every IclPs cmdlet (<c>$IclPsThreads = 2</c>); unset or
    /// <c>$null</c> leaves it to ICLPS_THREADS or the automatic choice (<see cref="TorchThreads"/>).
    /// </summary>
    public const string ThreadsVariable = "IclPsThreads";

    private long? _threadsChosenFor;

    /// <summary>
    /// Sets torch's intra-op threads for a model of <paramref name="parameters"/> parameters (<see cref="TorchThreads.Choose"/>
    /// with <c>$IclPsThreads</c>), saying how many and why on the verbose stream. Cmdlets given a model object get this
    /// before Begin and each Process; those that load or create their model call it once they have it.
    /// </summary>
    protected void UseThreadsFor(long parameters)
    {
        if (_threadsChosenFor == parameters) return;
        var choice = TorchThreads.Choose(parameters, ThreadSetting(), "$" + ThreadsVariable);
        TorchThreads.Apply(choice);
        _threadsChosenFor = parameters;
        WriteVerbose($"Running on {choice}.");
    }

    private void UseThreadsForBoundModel()
    {
        foreach (var value in MyInvocation.BoundParameters.Values)
        {
            // A model array (e.g. Measure-IclRegression -Model) takes the largest; such cmdlets choose again per model.
            var parameters = (value is PSObject p ? p.BaseObject : value) is System.Collections.IEnumerable many and not string
                ? many.Cast<object?>().Select(ModelParameters).Max()
                : ModelParameters(value);
            if (parameters is not long n) continue;
            UseThreadsFor(n);
            return;
        }
    }

    private static long? ModelParameters(object? value) => (value is PSObject p ? p.BaseObject : value) switch
    {
        IclPs.Engine.Models.IclModel m => m.Config.ParameterCount,
        IclPs.Engine.Regression.Runs.IclRegressionModel r => r.Config.ParameterCount,
        IclPs.Engine.Regression.Categorical.CategoricalModel c => c.ParameterCount,
        _ => null,
    };

    /// <summary>$IclPsThreads as a whole number, null when unset; anything else is refused naming the variable.</summary>
    private int? ThreadSetting()
    {
        var value = GetVariableValue(ThreadsVariable);
        value = value is PSObject p ? p.BaseObject : value;
        return value switch
        {
            null => null,
            int i => i,
            long l => (int)Math.Clamp(l, 0, TorchThreads.MaxThreads + 1),
            string text when int.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) => n,
            _ => throw new IclPsException("InvalidThreadSetting", IclErrorKind.InvalidArgument,
                $"${ThreadsVariable} must be a whole number of threads from 1 to {TorchThreads.MaxThreads}; got '{value}'.", "$" + ThreadsVariable),
        };
    }

    /// <summary>Error id of a NaN or infinite value given to a numeric parameter.</summary>
    public const string NonFiniteParameterErrorId = "NonFiniteParameter";

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
        catch (Exception e) when (IclErrorRecords.IsEngineFailure(e))
        {
            // libtorch and the file system: one mapping to an IclPs id, a category and the value, for every cmdlet.
            WriteFailureDetails(e);
            var record = IclErrorRecords.FromFailure(e);
            if (terminating) ThrowTerminatingError(record);
            WriteError(record);
        }
    }

    /// <summary>A multi-line message (libtorch's C++ stack trace) in full on the verbose stream; the record keeps its first line.</summary>
    private void WriteFailureDetails(Exception e)
    {
        if (e is IclPsException || !e.Message.Contains('\n')) return;
        WriteVerbose($"{e.GetType().FullName}: {e.Message}");
    }

    /// <summary>
    /// Every bound double or float parameter (and double[], double[][], float[]) must be finite: NaN and infinity are
    /// refused with <see cref="NonFiniteParameterErrorId"/> naming the parameter, for every cmdlet, before any work.
    /// Ranges are the parameters' own ValidateRange attributes.
    /// </summary>
    private void CheckNumericParameters()
    {
        foreach (var (name, value) in MyInvocation.BoundParameters)
        {
            if (FirstNonFinite(value is PSObject p ? p.BaseObject : value) is not double bad) continue;
            throw new IclPsException(NonFiniteParameterErrorId, IclErrorKind.InvalidArgument,
                $"-{name} must be a finite number; got {bad.ToString(System.Globalization.CultureInfo.InvariantCulture)}.", name);
        }
    }

    private static double? FirstNonFinite(object? value) => value switch
    {
        double d => double.IsFinite(d) ? null : d,
        float f => float.IsFinite(f) ? null : f,
        double[] a => a.Cast<double?>().FirstOrDefault(d => !double.IsFinite(d!.Value)),
        float[] a => a.Select(f => (double?)f).FirstOrDefault(d => !double.IsFinite(d!.Value)),
        double[][] rows => rows.Where(r => r is not null).Select(r => FirstNonFinite(r)).FirstOrDefault(d => d is not null),
        _ => null,
    };

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
