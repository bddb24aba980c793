using System.Diagnostics;
using System.Management.Automation;

namespace IclPs;

/// <summary>
/// Write-Progress for one long-running activity: percent, status and an estimate of the seconds remaining from the rate so far.
/// Updates are throttled (at most one per <see cref="MinInterval"/>) because hosts redraw on every record and a tight loop
/// would otherwise spend its time painting. Call it on the pipeline thread only, like every Cmdlet.Write* method.
/// </summary>
public sealed class ProgressReporter
{
    /// <summary>Five updates a second: smooth to watch, negligible cost.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(200);

    private readonly Action<ProgressRecord> _write;
    private readonly Func<TimeSpan> _clock;
    private readonly TimeSpan _started;
    private TimeSpan? _lastWritten;
    private bool _completed;

    /// <param name="write">Where records go; a cmdlet passes its WriteProgress.</param>
    /// <param name="activityId">Distinguishes concurrent activities in the host's display.</param>
    /// <param name="activity">What is being done, e.g. "Scoring prompts".</param>
    /// <param name="clock">Elapsed time source; a Stopwatch unless a test supplies one.</param>
    /// <param name="parentActivityId">Activity this one is nested under, or -1.</param>
    public ProgressReporter(Action<ProgressRecord> write, int activityId, string activity, Func<TimeSpan>? clock = null, int parentActivityId = -1)
    {
        _write = write;
        ActivityId = activityId;
        Activity = activity;
        ParentActivityId = parentActivityId;
        if (clock is null)
        {
            var stopwatch = Stopwatch.StartNew();
            clock = () => stopwatch.Elapsed;
        }
        _clock = clock;
        _started = _clock();
    }

    public int ActivityId { get; }
    public string Activity { get; }
    public int ParentActivityId { get; }

    /// <summary>Reports <paramref name="done"/> of <paramref name="total"/> items; returns whether a record was written.</summary>
    public bool Report(long done, long total, string status)
    {
        if (_completed) return false;
        var now = _clock();
        if (_lastWritten is TimeSpan last && now - last < MinInterval) return false;
        _lastWritten = now;

        var record = new ProgressRecord(ActivityId, Activity, string.IsNullOrEmpty(status) ? Activity : status)
        {
            ParentActivityId = ParentActivityId,
        };
        if (total > 0)
        {
            var fraction = Math.Clamp((double)done / total, 0.0, 1.0);
            record.PercentComplete = (int)Math.Floor(fraction * 100);
            var elapsed = (now - _started).TotalSeconds;
            // No estimate until something is done: a rate of zero would promise forever.
            if (done > 0 && elapsed > 0)
                record.SecondsRemaining = (int)Math.Ceiling(elapsed / done * Math.Max(0, total - done));
        }
        _write(record);
        return true;
    }

    /// <summary>Removes the activity from the host's display. Always written, never throttled; later reports are ignored.</summary>
    public void Complete()
    {
        if (_completed) return;
        _completed = true;
        _write(new ProgressRecord(ActivityId, Activity, "Completed")
        {
            ParentActivityId = ParentActivityId,
            RecordType = ProgressRecordType.Completed,
            PercentComplete = 100,
        });
    }
}
