using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Data;

namespace IclPs.Cmdlets;

/// <summary>
/// Import-IclDataset: reads input/output examples from a JSON array (the Function Vector datasets' format) or a CSV file
/// and splits them, seeded, into train / valid / test. Files may come down the pipeline; a file with a bad row is
/// reported (file, line and problem) and the rest continue.
/// </summary>
[Cmdlet(VerbsData.Import, "IclDataset")]
[OutputType(typeof(IclDatasetSplit))]
public sealed class ImportIclDatasetCommand : IclPsCmdlet
{
    private const string JsonFormat = "Json";
    private const string CsvFormat = "Csv";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>Json or Csv; by default chosen from the extension (.json; .csv, or .tsv with a tab delimiter).</summary>
    [Parameter]
    [ValidateSet(JsonFormat, CsvFormat, IgnoreCase = true)]
    public string? Format { get; set; }

    /// <summary>CSV column holding the inputs (exact match, else the one column equal ignoring case).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string InputColumn { get; set; } = DatasetLoader.InputField;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string OutputColumn { get; set; } = DatasetLoader.OutputField;

    /// <summary>CSV field separator; ',' unless the file is .tsv.</summary>
    [Parameter]
    public char Delimiter { get; set; } = ',';

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double TrainFraction { get; set; } = 0.7;

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double ValidFraction { get; set; } = 0.15;

    [Parameter]
    public int Seed { get; set; }

    /// <summary>Shown in results; defaults to the file name without extension.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    protected override void Process()
    {
        // Each file fails on its own; the base class would otherwise skip the rest of an array bound at once.
        foreach (var path in Path)
        {
            var full = path;
            try
            {
                full = ResolveFilePath(path);
                WriteObject(Import(full));
            }
            catch (IclPsException e)
            {
                WriteItemError(e);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                WriteError(new ErrorRecord(e, "DataFileReadFailed", ErrorCategory.ReadError, full));
            }
        }
    }

    private IclDatasetSplit Import(string path)
    {
        var extension = System.IO.Path.GetExtension(path).ToLowerInvariant();
        var format = Format ?? extension switch
        {
            ".json" => JsonFormat,
            ".csv" or ".tsv" => CsvFormat,
            _ => throw new IclPsException("UnknownDataFormat", IclErrorKind.InvalidArgument,
                $"Cannot tell the format of '{path}' from its extension; use -Format Json or -Format Csv.", path),
        };
        var delimiter = extension == ".tsv" && !MyInvocation.BoundParameters.ContainsKey(nameof(Delimiter)) ? '\t' : Delimiter;

        var loaded = string.Equals(format, JsonFormat, StringComparison.OrdinalIgnoreCase)
            ? DatasetLoader.LoadJson(path)
            : DatasetLoader.LoadCsv(path, InputColumn, OutputColumn, delimiter);
        var dataset = Name is null ? loaded : new IclDataset(Name, loaded.Items, loaded.SourceFile);
        var split = dataset.Split(TrainFraction, ValidFraction, Seed);
        WriteVerbose($"Read {dataset.Count} examples from '{path}' as {format.ToUpperInvariant()}; seed {Seed} split " +
            $"{split.Train.Count} train / {split.Valid.Count} valid / {split.Test.Count} test.");
        return split;
    }
}
