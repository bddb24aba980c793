using System.Globalization;
using System.Management.Automation;
using IclPs.Engine;
using IclPs.Plotting;

namespace IclPs.Cmdlets;

/// <summary>
/// Export-IclPlot: draws piped rows (similarity rows, training logs, [pscustomobject]s, Import-Csv rows) as a PNG.
/// -Kind Line: one point per row at (-X, -Y), one line per distinct -Series value, optional ±-ErrorBar, -LogX for
/// sweeps over powers of two. -Kind Heatmap: one cell per row at (-Row, -Column) coloured by -Value. The image is
/// written once every row has arrived, through a temporary file, so a failed or stopped run leaves any old file as it was.
/// </summary>
[Cmdlet(VerbsData.Export, "IclPlot", SupportsShouldProcess = true, DefaultParameterSetName = LineSet)]
[OutputType(typeof(FileInfo))]
public sealed class ExportIclPlotCommand : IclPsCmdlet
{
    private const string LineSet = "Line";
    private const string HeatmapSet = "Heatmap";

    private readonly List<(string Series, double X, double Y, double? Error)> _points = [];
    private readonly List<(string Row, string Column, double Value)> _cells = [];
    private string? _path;
    private long _index;

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject InputObject { get; set; } = null!;

    /// <summary>Line (default) or Heatmap; must match the property parameters given.</summary>
    [Parameter]
    [ValidateSet(LineSet, HeatmapSet, IgnoreCase = true)]
    public string? Kind { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = LineSet)]
    [ValidateNotNullOrEmpty]
    public string X { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = LineSet)]
    [ValidateNotNullOrEmpty]
    public string Y { get; set; } = "";

    /// <summary>Rows with the same value of this property form one named line; without it all rows form one line.</summary>
    [Parameter(ParameterSetName = LineSet)]
    [ValidateNotNullOrEmpty]
    public string? Series { get; set; }

    /// <summary>A property holding each point's error-bar half-width (e.g. a standard deviation).</summary>
    [Parameter(ParameterSetName = LineSet)]
    [ValidateNotNullOrEmpty]
    public string? ErrorBar { get; set; }

    /// <summary>A log2 X axis ticked at powers of two; X values must be above 0.</summary>
    [Parameter(ParameterSetName = LineSet)]
    public SwitchParameter LogX { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = HeatmapSet)]
    [ValidateNotNullOrEmpty]
    public string Row { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = HeatmapSet)]
    [ValidateNotNullOrEmpty]
    public string Column { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = HeatmapSet)]
    [ValidateNotNullOrEmpty]
    public string Value { get; set; } = "";

    [Parameter]
    public string? Title { get; set; }

    /// <summary>Defaults to the -X (line) or -Column (heat map) property name.</summary>
    [Parameter]
    public string? XLabel { get; set; }

    /// <summary>Defaults to the -Y (line) or -Row (heat map) property name.</summary>
    [Parameter]
    public string? YLabel { get; set; }

    [Parameter]
    [ValidateRange(Chart.MinPixels, Chart.MaxPixels)]
    public int Width { get; set; } = 800;

    [Parameter]
    [ValidateRange(Chart.MinPixels, Chart.MaxPixels)]
    public int Height { get; set; } = 500;

    /// <summary>Emits the written file's FileInfo.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Begin()
    {
        if (Kind is not null && !string.Equals(Kind, ParameterSetName, StringComparison.OrdinalIgnoreCase))
            throw new IclPsException("PlotKindParameterMismatch", IclErrorKind.InvalidArgument,
                ParameterSetName == LineSet
                    ? $"-Kind {Kind} takes -Row, -Column and -Value, not -X and -Y."
                    : $"-Kind {Kind} takes -X and -Y, not -Row, -Column and -Value.", Kind);
        var path = ResolveFilePath(Path);
        var what = ParameterSetName == LineSet ? $"line plot of {Y} against {X}" : $"heat map of {Value} by {Row} and {Column}";
        if (ShouldProcess(path, File.Exists(path) ? $"Replace with {what}" : $"Write {what}")) _path = path;
    }

    protected override void Process()
    {
        if (_path is null) return;
        var index = _index++;
        try
        {
            if (ParameterSetName == LineSet)
            {
                _points.Add((
                    Series is null ? "" : PlotValue.Label(InputObject, Series, nameof(Series), index),
                    PlotValue.Number(InputObject, X, nameof(X), index),
                    PlotValue.Number(InputObject, Y, nameof(Y), index),
                    ErrorBar is null ? null : PlotValue.Number(InputObject, ErrorBar, nameof(ErrorBar), index)));
            }
            else
            {
                _cells.Add((
                    PlotValue.Label(InputObject, Row, nameof(Row), index),
                    PlotValue.Label(InputObject, Column, nameof(Column), index),
                    PlotValue.Number(InputObject, Value, nameof(Value), index)));
            }
        }
        catch (IclPsException e) when (e.ErrorId == PlotValue.PropertyNotFound)
        {
            // A misspelt property name fails every row alike: one error, and no plot of whatever rows came before.
            Terminate(e);
        }
    }

    protected override void End()
    {
        if (_path is null) return;
        if (_points.Count == 0 && _cells.Count == 0)
            throw new IclPsException("PlotNoRows", IclErrorKind.InvalidArgument,
                _index == 0 ? "No rows were piped in, so there is nothing to plot." : $"None of the {_index} rows could be plotted.", _path);
        Chart chart = ParameterSetName == LineSet ? LineChart() : HeatmapChart();
        var written = chart.SavePng(_path, Width, Height);
        WriteVerbose(IclPs.Plotting.Native.SkiaNativeResolver.Status);
        WriteVerbose(ParameterSetName == LineSet
            ? $"Drew {_points.Count} point(s) in {_points.Select(p => p.Series).Distinct().Count()} series to '{written}' ({Width} x {Height} px)."
            : $"Drew {_cells.Count} cell(s) to '{written}' ({Width} x {Height} px).");
        if (PassThru) WriteObject(new FileInfo(written));
    }

    private LineChart LineChart() => new()
    {
        Title = Title,
        XLabel = XLabel ?? X,
        YLabel = YLabel ?? Y,
        XScale = LogX ? AxisScale.Log2 : AxisScale.Linear,
        // Series in the order their first row arrived, so the legend follows the input.
        Series = _points.GroupBy(p => p.Series).Select(g => new LineSeries(
            g.Key,
            g.Select(p => p.X).ToArray(),
            g.Select(p => p.Y).ToArray(),
            ErrorBar is null ? null : g.Select(p => p.Error!.Value).ToArray())).ToArray(),
    };

    private HeatmapChart HeatmapChart()
    {
        var rows = Keys(_cells.Select(c => c.Row));
        var columns = Keys(_cells.Select(c => c.Column));
        var rowIndex = rows.Select((key, i) => (key, i)).ToDictionary(p => p.key, p => p.i);
        var columnIndex = columns.Select((key, i) => (key, i)).ToDictionary(p => p.key, p => p.i);
        var values = new double[rows.Count, columns.Count];
        for (var r = 0; r < rows.Count; r++)
            for (var c = 0; c < columns.Count; c++) values[r, c] = double.NaN;
        foreach (var (row, column, value) in _cells)
        {
            ref var cell = ref values[rowIndex[row], columnIndex[column]];
            if (!double.IsNaN(cell))
                throw new IclPsException("PlotDuplicateCell", IclErrorKind.InvalidData,
                    $"More than one row has {Row} = {row} and {Column} = {column}; a heat map cell takes one value.", $"{row},{column}");
            cell = value;
        }
        return new HeatmapChart
        {
            Title = Title,
            XLabel = XLabel ?? Column,
            YLabel = YLabel ?? Row,
            ColorBarLabel = Value,
            Values = values,
            RowLabels = rows,
            ColumnLabels = columns,
        };
    }

    /// <summary>Distinct keys in numeric order when all are numbers (layers, heads), else in order of first appearance.</summary>
    private static List<string> Keys(IEnumerable<string> keys)
    {
        var distinct = keys.Distinct().ToList();
        var numbers = distinct.Select(k => double.TryParse(k, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : (double?)null).ToList();
        return numbers.All(n => n.HasValue)
            ? distinct.Zip(numbers).OrderBy(p => p.Second!.Value).Select(p => p.First).ToList()
            : distinct;
    }
}
