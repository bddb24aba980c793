using System.Globalization;
using System.Management.Automation.Host;

namespace IclPs.Host;

/// <summary>The PSHost behind iclps-host's runspace: console UI, and the exit code a top-level <c>exit N</c> asks for.</summary>
internal sealed class IclPsConsoleHost : PSHost
{
    private readonly CultureInfo _culture = CultureInfo.CurrentCulture;
    private readonly CultureInfo _uiCulture = CultureInfo.CurrentUICulture;

    public override string Name => "iclps-host";
    public override Version Version { get; } = typeof(IclPsConsoleHost).Assembly.GetName().Version ?? new Version(0, 1);
    public override Guid InstanceId { get; } = Guid.NewGuid();
    public override PSHostUserInterface UI => Console;

    public ConsoleUserInterface Console { get; } = new();
    public override CultureInfo CurrentCulture => _culture;
    public override CultureInfo CurrentUICulture => _uiCulture;

    /// <summary>Set when script text at the top level runs <c>exit N</c>.</summary>
    public int? ShouldExitCode { get; private set; }

    public override void SetShouldExit(int exitCode) => ShouldExitCode = exitCode;

    // A script host, not an interactive shell: there is no prompt loop to nest.
    public override void EnterNestedPrompt() => throw new NotSupportedException("iclps-host runs scripts; it has no interactive nested prompt.");
    public override void ExitNestedPrompt() => throw new NotSupportedException("iclps-host runs scripts; it has no interactive nested prompt.");
    public override void NotifyBeginApplication() { }
    public override void NotifyEndApplication() { }
}
