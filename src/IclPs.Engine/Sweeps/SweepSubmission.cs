namespace IclPs.Engine.Sweeps;

/// <summary>A sweep handed to a scheduler: the job id (null under -WhatIf), the array, and the script written.</summary>
public sealed record SweepSubmission(string Scheduler, string? JobId, string Array, int Tasks, int UnitsPerTask, int UnitsToRun, string Script, string Path);
