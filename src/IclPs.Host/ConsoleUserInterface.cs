using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;

namespace IclPs.Host;

/// <summary>
/// Output, verbose, warning and debug lines to stdout (as pwsh does), errors and progress to stderr; colours only on a terminal.
/// Every write goes through one lock and first erases a visible progress line, so lines never interleave mid-way.
/// </summary>
internal sealed class ConsoleUserInterface : PSHostUserInterface
{
    private readonly object _gate = new();
    private readonly bool _stdoutIsTerminal = !Console.IsOutputRedirected;
    private readonly bool _stderrIsTerminal = !Console.IsErrorRedirected;
    private readonly ProgressRenderer _progress = new(Console.Error, interactive: !Console.IsErrorRedirected, () => ConsoleRawUserInterface.Width);

    public override PSHostRawUserInterface RawUI { get; } = new ConsoleRawUserInterface();

    /// <summary>Decides $PSStyle's "Host" rendering: ANSI styling on a terminal, plain text in files and pipes.</summary>
    public override bool SupportsVirtualTerminal =>
        !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") != "dumb";

    /// <summary>While set, ordinary output goes to stderr in red: used to render a terminating error through Out-Default.</summary>
    public bool OutputAsError { get; set; }

    public override void Write(string value) => EmitOutput(value, null, newLine: false);
    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => EmitOutput(value, foregroundColor, newLine: false);
    public override void WriteLine(string value) => EmitOutput(value, null, newLine: true);
    public override void WriteErrorLine(string value) => Emit(Console.Error, value, ConsoleColor.Red, newLine: true);
    public override void WriteWarningLine(string message) => Emit(Console.Out, "WARNING: " + message, ConsoleColor.Yellow, newLine: true);
    public override void WriteVerboseLine(string message) => Emit(Console.Out, "VERBOSE: " + message, ConsoleColor.Cyan, newLine: true);
    public override void WriteDebugLine(string message) => Emit(Console.Out, "DEBUG: " + message, ConsoleColor.Cyan, newLine: true);

    public override void WriteInformation(InformationRecord record)
    {
        // Write-Host and $host.UI writes arrive here tagged PSHOST and are already printed through Write/WriteLine.
        if (record.Tags.Contains("PSHOST")) return;
        Emit(Console.Out, record.MessageData?.ToString() ?? "", null, newLine: true);
    }

    public override void WriteProgress(long sourceId, ProgressRecord record)
    {
        lock (_gate) _progress.Render(sourceId, record);
    }

    public override string ReadLine()
    {
        lock (_gate) _progress.Erase();
        return Console.ReadLine() ?? throw new PromptingException("standard input ended while the script was reading a line.");
    }

    public override SecureString ReadLineAsSecureString()
    {
        var secure = new SecureString();
        foreach (var c in ReadLine()) secure.AppendChar(c);
        secure.MakeReadOnly();
        return secure;
    }

    public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions)
    {
        if (!string.IsNullOrEmpty(caption)) WriteLine(caption);
        if (!string.IsNullOrEmpty(message)) WriteLine(message);
        var answers = new Dictionary<string, PSObject>();
        foreach (var field in descriptions)
        {
            Write($"{field.Name}: ");
            answers[field.Name] = PSObject.AsPSObject(ReadLine());
        }
        return answers;
    }

    public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
    {
        if (!string.IsNullOrEmpty(caption)) WriteLine(caption);
        if (!string.IsNullOrEmpty(message)) WriteLine(message);
        var labels = choices.Select(c => c.Label.Replace("&", "")).ToArray();
        while (true)
        {
            Write($"[{string.Join("] [", labels)}] (default {labels[Math.Max(0, defaultChoice)]}): ");
            var answer = ReadLine().Trim();
            if (answer.Length == 0 && defaultChoice >= 0) return defaultChoice;
            for (var i = 0; i < choices.Count; i++)
            {
                var hotkey = HotKey(choices[i].Label);
                if (labels[i].Equals(answer, StringComparison.OrdinalIgnoreCase) || (hotkey is not null && hotkey.Equals(answer, StringComparison.OrdinalIgnoreCase)))
                    return i;
            }
        }
    }

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
        PromptForCredential(caption, message, userName, targetName, PSCredentialTypes.Default, PSCredentialUIOptions.Default);

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName,
        PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options)
    {
        if (!string.IsNullOrEmpty(message)) WriteLine(message);
        if (string.IsNullOrEmpty(userName))
        {
            Write("User: ");
            userName = ReadLine();
        }
        Write("Password: ");
        return new PSCredential(userName, ReadLineAsSecureString());
    }

    private static string? HotKey(string label)
    {
        var amp = label.IndexOf('&');
        return amp >= 0 && amp + 1 < label.Length ? label[amp + 1].ToString() : null;
    }

    private void EmitOutput(string text, ConsoleColor? colour, bool newLine)
    {
        if (OutputAsError) Emit(Console.Error, text, ConsoleColor.Red, newLine);
        else Emit(Console.Out, text, colour, newLine);
    }

    private void Emit(TextWriter writer, string text, ConsoleColor? colour, bool newLine)
    {
        lock (_gate)
        {
            _progress.Erase();
            var terminal = writer == Console.Error ? _stderrIsTerminal : _stdoutIsTerminal;
            // The formatter embeds $PSStyle escapes; like pwsh, strip them where the stream is not a terminal.
            text = GetOutputString(text, terminal);
            // ANSI codes in the text itself, so colour reaches the stream it belongs to whichever one is a terminal.
            if (colour is ConsoleColor c && terminal) text = $"\u001b[{AnsiForeground(c)}m{text}\u001b[0m";
            if (newLine) writer.WriteLine(text);
            else writer.Write(text);
        }
    }

    private static int AnsiForeground(ConsoleColor colour) => colour switch
    {
        ConsoleColor.Black => 30,
        ConsoleColor.DarkRed => 31,
        ConsoleColor.DarkGreen => 32,
        ConsoleColor.DarkYellow => 33,
        ConsoleColor.DarkBlue => 34,
        ConsoleColor.DarkMagenta => 35,
        ConsoleColor.DarkCyan => 36,
        ConsoleColor.Gray => 37,
        ConsoleColor.DarkGray => 90,
        ConsoleColor.Red => 91,
        ConsoleColor.Green => 92,
        ConsoleColor.Yellow => 93,
        ConsoleColor.Blue => 94,
        ConsoleColor.Magenta => 95,
        ConsoleColor.Cyan => 96,
        _ => 97,
    };
}
