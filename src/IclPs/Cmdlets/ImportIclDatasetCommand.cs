using System.Management.Automation;
using IclPs.Engine;
using IclPs.Engine.Data;

namespace IclPs.Cmdlets;

/// <summary>Reads input/output examples from a JSON or CSV file and splits them, seeded, into train, valid and test parts.</summary>
/// <remarks>
/// <para>
/// Reads a JSON array of {"input": ..., "output": ...} objects (the format of the Function Vector datasets; the module ships
/// antonym, capitalize, country-capital and english-french in its data/function-vectors folder) or a CSV file with a header
/// row (-InputColumn and -OutputColumn name the columns; a .tsv file is read with a tab delimiter). The format follows the
/// extension unless -Format says otherwise.
/// </para>
/// <para>
/// The examples are shuffled with -Seed and split into -TrainFraction (default 0.7) train, -ValidFraction (0.15) valid and
/// the rest test; each part keeps the file's order. The output is one IclDatasetSplit per file, with Train, Valid and
/// Test parts (each with Items, Count, Name and SourceFile) and the Seed. Few-shot cmdlets draw demonstrations from Train
/// and queries from Test (or -Split); task-vector cmdlets also use Valid.
/// </para>
/// <para>
/// Files can be piped in (Get-ChildItem *.json | Import-IclDataset). A file that cannot be read is an error for that file
/// that names the file, the line and the problem (InvalidJson, DataItemMissingField, CsvMissingColumn,
/// CsvFieldCountMismatch, EmptyDataset, DataFileNotFound, ...); the other files continue.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $path = Join-Path (Get-Module IclPs).ModuleBase 'data/function-vectors/antonym.json'
/// $data = Import-IclDataset -Path $path -Seed 1
/// $data.Test.Items | Select-Object -First 5
/// </code>
/// <para>Reads the shipped antonym dataset, splits it 70/15/15 with seed 1 and shows five test examples.</para>
/// </example>
/// <example>
/// <code>
/// $csv = Join-Path ([IO.Path]::GetTempPath()) "$([guid]::NewGuid()).csv"
/// 'word,opposite', 'hot,cold', 'big,small', 'up,down', 'fast,slow' | Set-Content $csv
/// Import-IclDataset $csv -InputColumn word -OutputColumn opposite -TrainFraction 0.5 -ValidFraction 0
/// </code>
/// <para>Reads a CSV file with its own column names, half for demonstrations and half for queries, with no valid part.</para>
/// </example>
/// <example>
/// <code>Get-ChildItem (Join-Path (Get-Module IclPs).ModuleBase 'data/function-vectors') -Filter *.json | Import-IclDataset -Seed 0</code>
/// <para>Imports every shipped dataset at once, one IclDatasetSplit per file, each named after its file.</para>
/// </example>
[Cmdlet(VerbsData.Import, "IclDataset", HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#import-icldataset")]
[OutputType(typeof(IclDatasetSplit))]
public sealed class ImportIclDatasetCommand : IclPsCmdlet
{
    private const string JsonFormat = "Json";
    private const string CsvFormat = "Csv";

    /// <summary>
    /// The data files to read (.json, .csv or .tsv). Binds from piped strings and from the FullName or PSPath of piped files;
    /// relative paths are resolved from the current PowerShell location.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>
    /// The file format, Json or Csv. Default: from the extension (.json is Json; .csv and .tsv are Csv, .tsv with a tab
    /// delimiter); other extensions need -Format.
    /// </summary>
    [Parameter]
    [ValidateSet(JsonFormat, CsvFormat, IgnoreCase = true)]
    public string? Format { get; set; }

    /// <summary>
    /// The CSV column holding the inputs: an exact match, else the one column equal to it ignoring case. Default: input.
    /// Ignored for JSON.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string InputColumn { get; set; } = DatasetLoader.InputField;

    /// <summary>
    /// The CSV column holding the expected outputs, matched like -InputColumn. Default: output. Ignored for JSON.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string OutputColumn { get; set; } = DatasetLoader.OutputField;

    /// <summary>
    /// The CSV field separator, one character. Default: a comma, or a tab for a .tsv file. Ignored for JSON.
    /// </summary>
    [Parameter]
    public char Delimiter { get; set; } = ',';

    /// <summary>
    /// The share of the examples in the train part (the demonstration pool), above 0 and at most 1; rounded to whole
    /// examples. Default: 0.7.
    /// </summary>
    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double TrainFraction { get; set; } = 0.7;

    /// <summary>
    /// The share of the examples in the valid part, from 0 to below 1; -TrainFraction plus -ValidFraction must not exceed 1,
    /// and the rest is the test part. Default: 0.15.
    /// </summary>
    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double ValidFraction { get; set; } = 0.15;

    /// <summary>
    /// Seed of the shuffle that assigns examples to parts: the same file and seed give the same split. Default: 0.
    /// </summary>
    [Parameter]
    public int Seed { get; set; }

    /// <summary>The dataset's name, shown in messages and results. Default: the file name without its extension.</summary>
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
            catch (Exception e) when (IclErrorRecords.IsEngineFailure(e))
            {
                WriteItemError(e, full);
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
