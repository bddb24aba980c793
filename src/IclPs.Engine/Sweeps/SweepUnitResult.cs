namespace IclPs.Engine.Sweeps;

/// <summary>One unit's outcome in Invoke-IclSweep: status, the rows its shard holds (when it ran now), seconds and worker.</summary>
public sealed record SweepUnitResult(int Index, string Id, string Name, SweepUnitStatus Status, long Rows, double Seconds, int Worker, string Shard);
