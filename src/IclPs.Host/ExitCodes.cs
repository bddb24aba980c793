namespace IclPs.Host;

/// <summary>Process exit codes besides the script's own <c>exit N</c>.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    /// <summary>The script threw, or (-Command) its last statement failed.</summary>
    public const int ScriptFailed = 1;
    /// <summary>Bad command line, module not found or not importable: the script never ran.</summary>
    public const int HostError = 2;
    /// <summary>Stopped by Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;
}
