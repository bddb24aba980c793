using System.Management.Automation;

namespace IclPs.Module.Tests;

/// <summary>What a script emitted: output objects, records of each stream, and the error that stopped it, if any.</summary>
public sealed record ScriptResult(
    IReadOnlyList<PSObject> Output,
    IReadOnlyList<ErrorRecord> Errors,
    IReadOnlyList<VerboseRecord> Verbose,
    IReadOnlyList<ProgressRecord> Progress,
    ErrorRecord? TerminatingError)
{
    /// <summary>The single output object's base value (e.g. a string), failing when there is not exactly one.</summary>
    public object Single() => Assert.Single(Output).BaseObject;

    /// <summary>A property of the single output object, as PowerShell sees it.</summary>
    public object? Property(string name) => Assert.Single(Output).Properties[name]?.Value is { } value
        ? value is PSObject ps ? ps.BaseObject : value
        : null;

    /// <summary>Asserts the script ran to the end without errors; returns this for chaining.</summary>
    public ScriptResult Succeeded()
    {
        Assert.Null(TerminatingError);
        Assert.True(Errors.Count == 0, "errors: " + string.Join("; ", Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e}")));
        return this;
    }
}
