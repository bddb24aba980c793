using System.Globalization;

namespace IclPs.Bench;

/// <summary><c>--name value</c> options of one subcommand; names outside the subcommand's list are rejected.</summary>
public sealed class BenchOptions
{
    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);

    public BenchOptions(string[] args, params string[] known)
    {
        for (var i = 0; i < args.Length; i += 2)
        {
            var name = args[i].StartsWith("--", StringComparison.Ordinal) ? args[i][2..] : null;
            if (name is null || !known.Contains(name, StringComparer.OrdinalIgnoreCase))
                throw new BenchOptionException($"unknown option '{args[i]}'; this subcommand takes {string.Join(", ", known.Select(k => "--" + k))}.");
            if (i + 1 >= args.Length) throw new BenchOptionException($"option '{args[i]}' needs a value.");
            _values[name] = args[i + 1];
        }
    }

    public string? String(string name) => _values.GetValueOrDefault(name);

    public int Int(string name, int fallback, int min = 1) =>
        _values.TryGetValue(name, out var text) ? ParseInt(name, text, min) : fallback;

    public int[] IntList(string name, int[] fallback, int min = 1) =>
        _values.TryGetValue(name, out var text) ? text.Split(',').Select(part => ParseInt(name, part, min)).ToArray() : fallback;

    public bool Bool(string name, bool fallback) => _values.TryGetValue(name, out var text)
        ? text switch
        {
            "true" => true,
            "false" => false,
            _ => throw new BenchOptionException($"option '--{name}' expects true or false, got '{text}'."),
        }
        : fallback;

    private static int ParseInt(string name, string text, int min) =>
        int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min
            ? value
            : throw new BenchOptionException($"option '--{name}' expects integers >= {min}, got '{text}'.");
}
