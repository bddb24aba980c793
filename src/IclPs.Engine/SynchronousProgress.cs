namespace IclPs.Engine;

/// <summary>
/// An <see cref="IProgress{T}"/> that calls its action at once on the reporting thread. Progress&lt;T&gt; posts to a
/// synchronisation context instead, which reorders reports and, in PowerShell, would call Write-Progress off the pipeline thread.
/// </summary>
public sealed class SynchronousProgress<T>(Action<T> action) : IProgress<T>
{
    public void Report(T value) => action(value);
}
