using System.Globalization;
using System.Management.Automation;

namespace IclPs.Host;

/// <summary>
/// Progress on stderr. On a terminal: one line rewritten in place (the most recent activity) and erased when it completes.
/// Redirected: a plain line per activity at most every <see cref="RedirectedInterval"/>, so logs show progress without flooding.
/// </summary>
internal sealed class ProgressRenderer(TextWriter writer, bool interactive, Func<int> width)
{
    public static readonly TimeSpan RedirectedInterval = TimeSpan.FromSeconds(2);

    private readonly Dictionary<(long Source, int Activity), DateTime> _lastLogged = [];
    private int _visibleLength;

    /// <summary>Whether a progress line is on screen and must be erased before other output.</summary>
    public bool LineVisible => _visibleLength > 0;

    public void Render(long sourceId, ProgressRecord record)
    {
        var key = (sourceId, record.ActivityId);
        if (record.RecordType == ProgressRecordType.Completed)
        {
            _lastLogged.Remove(key);
            if (interactive) Erase();
            return;
        }
        var text = Describe(record);
        if (interactive)
        {
            var max = Math.Max(10, width() - 1);
            if (text.Length > max) text = text[..(max - 1)] + "…";
            writer.Write('\r' + text.PadRight(Math.Max(text.Length, _visibleLength)));
            writer.Flush();
            _visibleLength = text.Length;
            return;
        }
        var now = DateTime.UtcNow;
        if (_lastLogged.TryGetValue(key, out var last) && now - last < RedirectedInterval) return;
        _lastLogged[key] = now;
        writer.WriteLine(text);
    }

    /// <summary>Clears the in-place line so the next output starts at column 0 of a clean line.</summary>
    public void Erase()
    {
        if (_visibleLength == 0) return;
        writer.Write('\r' + new string(' ', _visibleLength) + '\r');
        writer.Flush();
        _visibleLength = 0;
    }

    public static string Describe(ProgressRecord record)
    {
        var parts = new List<string> { record.Activity };
        if (!string.IsNullOrEmpty(record.StatusDescription) && record.StatusDescription != record.Activity) parts.Add(record.StatusDescription);
        if (record.PercentComplete >= 0) parts.Add(string.Create(CultureInfo.InvariantCulture, $"{record.PercentComplete}%"));
        if (record.SecondsRemaining >= 0) parts.Add(Remaining(record.SecondsRemaining));
        if (!string.IsNullOrEmpty(record.CurrentOperation)) parts.Add(record.CurrentOperation);
        return string.Join(" | ", parts);
    }

    private static string Remaining(int seconds) =>
        seconds >= 3600 ? $"{seconds / 3600}h{seconds % 3600 / 60:00}m left"
        : seconds >= 60 ? $"{seconds / 60}m{seconds % 60:00}s left"
        : $"{seconds}s left";
}
