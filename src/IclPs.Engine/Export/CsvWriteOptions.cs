namespace IclPs.Engine.Export;

/// <summary>How <see cref="ResultCsvWriter"/> writes a results file.</summary>
public sealed record CsvWriteOptions
{
    /// <summary>Add rows to an existing file, whose header must equal the rows' columns; a missing or empty file is created.</summary>
    public bool Append { get; init; }
    /// <summary>
    /// Write a float[] / double[] value as one column per element (Name_0 .. Name_{n-1}) instead of a summary cell
    /// "dim=n;norm=x" (the default: vectors are long and rarely wanted cell by cell).
    /// </summary>
    public bool FlattenVectors { get; init; }
    public char Delimiter { get; init; } = ',';
}
