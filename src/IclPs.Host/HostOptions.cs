namespace IclPs.Host;

/// <summary>What to run, parsed pwsh-style: <c>[-Module path] ([-File] script.ps1 [args...] | -Command text... | --package dest)</c>.</summary>
internal sealed record HostOptions
{
    public string? ScriptFile { get; init; }
    public IReadOnlyList<string> ScriptArguments { get; init; } = [];
    public string? CommandText { get; init; }
    public string? ModulePath { get; init; }
    public string? PackageDestination { get; init; }
    public bool ShowHelp { get; init; }

    public const string Usage = """
        usage: iclps-host [-Module <path>] [-File] <script.ps1> [script arguments...]
               iclps-host [-Module <path>] -Command <text...>
               iclps-host [-Module <path>] --package <destination>

          -File       run a script file; arguments after it go to the script (-Name value, -Switch, positional)
          -Command    run the rest of the command line as PowerShell text
          -Module     IclPs module folder (or .psd1) to import; default: $ICLPS_MODULE_PATH, then Modules/IclPs beside iclps-host
          --package   copy the module to <destination>/IclPs/<version>/, a folder Import-Module accepts

        Exit code: the script's `exit N`; else 1 if it threw (or, with -Command, wrote any error);
        else $LASTEXITCODE if non-zero; else 0. 2: the host could not start the script. 130: stopped by Ctrl+C.
        """;

    /// <exception cref="ArgumentException">The command line names no script, command or package destination, or is malformed.</exception>
    public static HostOptions Parse(IReadOnlyList<string> args)
    {
        var options = new HostOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Value(string option) => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{option} needs a value.");
            switch (arg.TrimStart('-').ToLowerInvariant())
            {
                case "module" when arg.StartsWith('-'):
                    options = options with { ModulePath = Value(arg) };
                    break;
                case "package" when arg.StartsWith('-'):
                    return options with { PackageDestination = Value(arg) };
                case "command" or "c" when arg.StartsWith('-'):
                    if (i + 1 >= args.Count) throw new ArgumentException($"{arg} needs the command text.");
                    return options with { CommandText = string.Join(' ', args.Skip(i + 1)) };
                case "file" or "f" when arg.StartsWith('-'):
                    return options with { ScriptFile = Value(arg), ScriptArguments = args.Skip(i + 1).ToArray() };
                case "help" or "?" or "h" when arg.StartsWith('-'):
                    return options with { ShowHelp = true };
                default:
                    if (arg.StartsWith('-')) throw new ArgumentException($"unknown option '{arg}'.");
                    return options with { ScriptFile = arg, ScriptArguments = args.Skip(i + 1).ToArray() };
            }
        }
        throw new ArgumentException("nothing to run: give a script file, -Command text or --package.");
    }
}
