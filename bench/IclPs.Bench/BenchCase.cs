namespace IclPs.Bench;

/// <summary>A named piece of work to time; the harness runs each call inside its own dispose scope.</summary>
public sealed record BenchCase(string Name, Action Body);
