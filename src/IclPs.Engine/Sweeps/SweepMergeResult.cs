namespace IclPs.Engine.Sweeps;

/// <summary>What Merge-IclSweep wrote: the file, how many units it joined (and how many had rows), rows and columns.</summary>
public sealed record SweepMergeResult(string Path, int Units, int UnitsWithRows, long Rows, int Columns);
