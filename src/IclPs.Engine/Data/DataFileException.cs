namespace IclPs.Engine.Data;

/// <summary>A dataset file that cannot be read as ICL examples; names the file and, where known, the line and array index.</summary>
public sealed class DataFileException : IclPsException
{
    public DataFileException(string errorId, string file, int? line, int? itemIndex, string problem, IclErrorKind kind = IclErrorKind.InvalidData, Exception? inner = null)
        : base(errorId, kind, Describe(file, line, itemIndex, problem), file, inner)
    {
        File = file;
        Line = line;
        ItemIndex = itemIndex;
    }

    public string File { get; }
    /// <summary>1-based line where the problem starts, when known.</summary>
    public int? Line { get; }
    /// <summary>0-based index of the offending item (JSON array element or CSV data row), when known.</summary>
    public int? ItemIndex { get; }

    private static string Describe(string file, int? line, int? itemIndex, string problem)
    {
        var where = (line, itemIndex) switch
        {
            (int l, int i) => $" line {l} (item {i})",
            (int l, null) => $" line {l}",
            (null, int i) => $" item {i}",
            _ => "",
        };
        return $"'{file}'{where}: {problem}";
    }
}
