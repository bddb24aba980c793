using System.Management.Automation;
using System.Runtime.ExceptionServices;

namespace IclPs;

/// <summary>
/// Lets a long engine call finish its stop work when the stop surfaces inside a write. Once a pipeline is stopping (Ctrl+C,
/// <c>PowerShell.Stop()</c>, or <c>Select-Object -First</c> downstream), WriteObject and WriteProgress throw
/// <see cref="PipelineStoppedException"/>, often before StopProcessing has cancelled the cmdlet's token; thrown through the
/// engine's callback it would skip what the engine does on cancellation (a trainer's last checkpoint). Writes run through
/// <see cref="Write"/> instead: a stop there cancels <see cref="Token"/>, later writes are skipped, and
/// <see cref="ThrowIfStopped"/> raises the stop again once the engine call has returned.
/// </summary>
internal sealed class WriteStopGuard : IDisposable
{
    private readonly CancellationTokenSource _source;
    private ExceptionDispatchInfo? _stop;

    public WriteStopGuard(CancellationToken cancellation) => _source = CancellationTokenSource.CreateLinkedTokenSource(cancellation);

    /// <summary>Cancelled by the cmdlet's own stop or by a stop raised in a write: pass it to the engine call.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>Runs <paramref name="write"/> unless a stop was seen; a stop it raises cancels <see cref="Token"/> and is kept.</summary>
    public void Write(Action write)
    {
        if (_stop is not null) return;
        try
        {
            write();
        }
        catch (PipelineStoppedException e)
        {
            _stop = ExceptionDispatchInfo.Capture(e);
            _source.Cancel();
        }
    }

    /// <summary>Raises the stop a write saw (the same exception, so Select-Object -First still ends the pipeline quietly).</summary>
    public void ThrowIfStopped() => _stop?.Throw();

    public void Dispose() => _source.Dispose();
}
