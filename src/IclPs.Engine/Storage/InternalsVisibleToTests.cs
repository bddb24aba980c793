using System.Runtime.CompilerServices;

// The engine tests inject file-system failures through internal seams (StagedFileSet.FaultInjection).
[assembly: InternalsVisibleTo("IclPs.Engine.Tests")]
