namespace IclPs.Cmdlets;

/// <summary>
/// Relays an engine's status messages (IProgress&lt;string&gt;) to Write-Progress and Write-Verbose. The engine reports
/// on the calling thread, which for a cmdlet is the pipeline thread, so writing straight through is allowed.
/// The engine's checkpoint messages carry no counts, so the progress bar shows the current step without a percentage.
/// </summary>
internal sealed class EngineProgress(ProgressReporter reporter, Action<string> verbose) : IProgress<string>
{
    public void Report(string value)
    {
        verbose(value);
        reporter.Report(0, 0, value);
    }

    public void Complete() => reporter.Complete();
}
