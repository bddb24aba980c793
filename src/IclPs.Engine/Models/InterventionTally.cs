namespace IclPs.Engine.Models;

/// <summary>
/// What interventions did over a whole command: the hook sets given to <see cref="HookSet.ReportTo"/> add their edit
/// applications and changed (batch row, position) pairs here when disposed, so a caller can report them and warn about
/// an intervention that changed nothing (a zero vector, or one that replaces values by themselves).
/// </summary>
public sealed class InterventionTally
{
    private long _applications;
    private long _changedPositions;

    /// <summary>How many times an edit ran.</summary>
    public long Applications => Interlocked.Read(ref _applications);

    /// <summary>How many (batch row, position) pairs the edits changed, summed over every application.</summary>
    public long ChangedPositions => Interlocked.Read(ref _changedPositions);

    /// <summary>True when edits ran and not one value changed.</summary>
    public bool ChangedNothing => Applications > 0 && ChangedPositions == 0;

    public void Add(long applications, long changedPositions)
    {
        Interlocked.Add(ref _applications, applications);
        Interlocked.Add(ref _changedPositions, changedPositions);
    }
}
