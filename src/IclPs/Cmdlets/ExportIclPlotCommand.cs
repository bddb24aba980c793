using System.Globalization;
using System.Management.Automation;
using IclPs.Engine;
using IclPs.Plotting;

namespace IclPs.Cmdlets;

/// <summary>Draws piped rows as a line plot, grouped bars or a heat map and saves it as a PNG file.</summary>
/// <remarks>
/// <para>
/// Takes any objects with the named properties: similarity rows, head effects, training progress rows,
/// [pscustomobject]s, Import-Csv rows. Numbers may be any numeric type or text that parses culture-invariantly.
/// </para>
/// <para>
/// Line plots (-X and -Y, the default kind): one point per row at its -X and -Y properties, one line per distinct -Series
/// value with a legend, optional error bars of half-width -ErrorBar, -LogX for a log2 X axis ticked at powers of two
/// (sweeps over 2^k), -LogY for a log10 Y axis (values spanning decades), -TicksAtData to tick X at exactly the measured
/// values, and -Reference for series drawn as dashed lines without markers (a baseline, a limit). A line is not drawn
/// across a point its series lacks while other series have it, so leaving rows out never invents a segment.
/// </para>
/// <para>
/// Grouped bars (-Category and -Y, -Kind Bar): one cluster per distinct -Category value, one bar per -Series value in it,
/// with error bars of half-width -ErrorBar (a standard error, say): accuracy tables read better so than as heat maps.
/// Heat maps (-Row, -Column and -Value): one cell per row, coloured by -Value with a colour bar; rows and columns are
/// sorted numerically when all their keys are numbers (layers, heads), and missing cells stay blank. -Diverging colours
/// signed values (weights, effects) from blue through white at 0 to red, symmetric about 0; -CellFormat writes each
/// cell's value in it.
/// </para>
/// <para>
/// The image is written once every row has arrived, through a temporary file, so a failed or stopped run leaves any old
/// file as it was. A misspelt property name stops the command (PlotPropertyNotFound); a row whose value is not a finite
/// number is an error for that row only (PlotValueNotNumeric, PlotValueNotFinite); no plottable rows is a PlotNoRows
/// error; two rows for one heat-map cell are a PlotDuplicateCell error. Supports -WhatIf and -Confirm; writes nothing
/// unless -PassThru, which writes the file's FileInfo.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// $png = Join-Path ([IO.Path]::GetTempPath()) "$([guid]::NewGuid()).png"
/// 1..8 | ForEach-Object { [pscustomobject]@{ Shots = $_; Accuracy = 1 - 1 / ($_ + 1); Model = 'a' } } |
///     Export-IclPlot -Path $png -X Shots -Y Accuracy -Series Model -Title 'Accuracy against shots' -PassThru
/// </code>
/// <para>Draws one line of accuracy against shots and writes the PNG's FileInfo.</para>
/// </example>
/// <example>
/// <code>
/// $model = New-IclModel -Preset gpt2-tiny
/// $data = Import-IclDataset (Join-Path (Get-Module IclPs).ModuleBase 'data/function-vectors/antonym.json')
/// $png = Join-Path ([IO.Path]::GetTempPath()) "$([guid]::NewGuid()).png"
/// Measure-HiddenSimilarity -Model $model -Dataset $data -Shots 3 -First 10 |
///     Export-IclPlot -Path $png -X Layer -Y MeanCosine -ErrorBar StdCosine -Series ConditionB
/// </code>
/// <para>Plots the per-layer cosine similarity of zero-shot and 3-shot hidden states, with one standard deviation as error bars.</para>
/// </example>
/// <example>
/// <code>
/// $png = Join-Path ([IO.Path]::GetTempPath()) "$([guid]::NewGuid()).png"
/// $rows = foreach ($layer in 0..3) { foreach ($head in 0..3) { [pscustomobject]@{ Layer = $layer; Head = $head; Effect = $layer * 0.1 - $head * 0.05 } } }
/// $rows | Export-IclPlot -Path $png -Kind Heatmap -Row Layer -Column Head -Value Effect -Width 400 -Height 300
/// </code>
/// <para>Draws a 4 x 4 heat map of a per-head value, 400 x 300 pixels.</para>
/// </example>
/// <example>
/// <code>
/// $png = Join-Path ([IO.Path]::GetTempPath()) "$([guid]::NewGuid()).png"
/// $rows = foreach ($method in 'Icl', 'Ltv') { foreach ($setting in 'ZeroShot', 'Shuffled') { [pscustomobject]@{ Method = $method; Setting = $setting; Accuracy = 0.5; StdError = 0.03 } } }
/// $rows | Export-IclPlot -Path $png -Kind Bar -Category Method -Y Accuracy -Series Setting -ErrorBar StdError
/// </code>
/// <para>Draws accuracy per method as grouped bars, one per setting, with standard-error bars.</para>
/// </example>
/// <example>
/// <code>
/// $png = Join-Path ([IO.Path]::GetTempPath()) "$([guid]::NewGuid()).png"
/// $rows = foreach ($layer in 0..1) { foreach ($head in 0..2) { [pscustomobject]@{ Layer = $layer; Head = $head; Weight = $head - $layer - 0.5 } } }
/// $rows | Export-IclPlot -Path $png -Row Layer -Column Head -Value Weight -Diverging -CellFormat '0.00'
/// </code>
/// <para>Draws signed weights on a blue-white-red map centred at 0 with each value written in its cell.</para>
/// </example>
/// <example>
/// <code>
/// $png = Join-Path ([IO.Path]::GetTempPath()) "$([guid]::NewGuid()).png"
/// $rows = foreach ($m in 2, 8, 32, 128) { [pscustomobject]@{ M = $m; Delta = 1 / $m; Model = 'pool' } }
/// $rows += foreach ($m in 2, 128) { [pscustomobject]@{ M = $m; Delta = 0.01; Model = 'M = inf' } }
/// $rows | Export-IclPlot -Path $png -X M -Y Delta -Series Model -LogX -LogY -TicksAtData -Reference 'M = inf'
/// </code>
/// <para>Plots a sweep on log axes ticked at the measured M, with the M = inf value as a dashed reference line.</para>
/// </example>
[Cmdlet(VerbsData.Export, "IclPlot", SupportsShouldProcess = true, DefaultParameterSetName = LineSet, HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#export-iclplot")]
[OutputType(typeof(FileInfo))]
public sealed class ExportIclPlotCommand : IclPsCmdlet
{
    private const string LineSet = "Line";
    private const string HeatmapSet = "Heatmap";
    private const string BarSet = "Bar";

    private readonly List<(string Series, double X, double Y, double? Error)> _points = [];
    private readonly List<(string Category, string Series, double Y, double? Error)> _bars = [];
    private readonly List<(string Row, string Column, double Value)> _cells = [];
    private string? _path;
    private long _index;

    /// <summary>
    /// The PNG file to write, replaced once every row has arrived; its folder must exist (an OutputDirectoryNotFound error
    /// otherwise). Relative paths are resolved from the current PowerShell location.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The rows to draw, one point or cell each; usually piped in.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject InputObject { get; set; } = null!;

    /// <summary>
    /// Line, Bar or Heatmap. Optional: -X and -Y already mean a line plot, -Category and -Y grouped bars and -Row, -Column
    /// and -Value a heat map; a -Kind that contradicts them is a PlotKindParameterMismatch error.
    /// </summary>
    [Parameter]
    [ValidateSet(LineSet, BarSet, HeatmapSet, IgnoreCase = true)]
    public string? Kind { get; set; }

    /// <summary>The name of the property holding each point's X value (a number), e.g. Layer or Step.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LineSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PropertyNameCompleter))]
    public string X { get; set; } = "";

    /// <summary>The name of the property holding each point's or bar's Y value (a number), e.g. MeanCosine or Loss.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LineSet)]
    [Parameter(Mandatory = true, ParameterSetName = BarSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PropertyNameCompleter))]
    public string Y { get; set; } = "";

    /// <summary>
    /// The name of a property whose value names each point's line (or bar within its cluster): rows with the same value form
    /// one line or one bar colour, in the order their first rows arrived. Default: all rows form one line (or one bar each).
    /// </summary>
    [Parameter(ParameterSetName = LineSet)]
    [Parameter(ParameterSetName = BarSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PropertyNameCompleter))]
    public string? Series { get; set; }

    /// <summary>
    /// The name of a property holding each point's error-bar half-width (e.g. StdCosine, a standard deviation). Default: no
    /// error bars.
    /// </summary>
    [Parameter(ParameterSetName = LineSet)]
    [Parameter(ParameterSetName = BarSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PropertyNameCompleter))]
    public string? ErrorBar { get; set; }

    /// <summary>Draws the X axis on a log2 scale ticked at powers of two; every X value must then be above 0.</summary>
    [Parameter(ParameterSetName = LineSet)]
    public SwitchParameter LogX { get; set; }

    /// <summary>
    /// Draws the Y axis on a log10 scale, ticked at powers of ten; every Y value must then be above 0 (an error bar's lower
    /// end is drawn at no less than a hundredth of its value).
    /// </summary>
    [Parameter(ParameterSetName = LineSet)]
    public SwitchParameter LogY { get; set; }

    /// <summary>Ticks the X axis at exactly the X values of the rows (e.g. the M of a sweep), labelled with them.</summary>
    [Parameter(ParameterSetName = LineSet)]
    public SwitchParameter TicksAtData { get; set; }

    /// <summary>
    /// -Series values drawn as dashed reference lines without markers (a baseline, a limiting model), so they read as guides
    /// rather than measurements. Default: none.
    /// </summary>
    [Parameter(ParameterSetName = LineSet)]
    [ValidateNotNullOrEmpty]
    public string[]? Reference { get; set; }

    /// <summary>
    /// The name of the property whose value names each bar's cluster (the X axis of a bar chart), e.g. Method; clusters
    /// appear in the order their first rows arrived.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = BarSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PropertyNameCompleter))]
    public string Category { get; set; } = "";

    /// <summary>The name of the property whose value gives each heat-map cell's row (the Y axis), e.g. Layer.</summary>
    [Parameter(Mandatory = true, ParameterSetName = HeatmapSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PropertyNameCompleter))]
    public string Row { get; set; } = "";

    /// <summary>The name of the property whose value gives each heat-map cell's column (the X axis), e.g. Head.</summary>
    [Parameter(Mandatory = true, ParameterSetName = HeatmapSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PropertyNameCompleter))]
    public string Column { get; set; } = "";

    /// <summary>
    /// The name of the property holding each heat-map cell's value (a number), e.g. AverageIndirectEffect or Weight.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = HeatmapSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PropertyNameCompleter))]
    public string Value { get; set; } = "";

    /// <summary>
    /// Colours the heat map on a diverging blue-white-red map centred at 0, symmetric about it, for signed values (LTV
    /// weights, head effects). Default: a sequential map over the values' range.
    /// </summary>
    [Parameter(ParameterSetName = HeatmapSet)]
    public SwitchParameter Diverging { get; set; }

    /// <summary>
    /// Writes each heat-map cell's value in it with this .NET number format, e.g. '0.00' or '0.0e0'. Default: no values in
    /// the cells.
    /// </summary>
    [Parameter(ParameterSetName = HeatmapSet)]
    [ValidateNotNullOrEmpty]
    public string? CellFormat { get; set; }

    /// <summary>The title above the plot. Default: no title.</summary>
    [Parameter]
    public string? Title { get; set; }

    /// <summary>The X axis label. Default: the -X (line plot), -Category (bars) or -Column (heat map) property name.</summary>
    [Parameter]
    public string? XLabel { get; set; }

    /// <summary>The Y axis label. Default: the -Y (line plot) or -Row (heat map) property name.</summary>
    [Parameter]
    public string? YLabel { get; set; }

    /// <summary>The image width in pixels, from 100 to 10000. Default: 800.</summary>
    [Parameter]
    [ValidateRange(Chart.MinPixels, Chart.MaxPixels)]
    public int Width { get; set; } = 800;

    /// <summary>The image height in pixels, from 100 to 10000. Default: 500.</summary>
    [Parameter]
    [ValidateRange(Chart.MinPixels, Chart.MaxPixels)]
    public int Height { get; set; } = 500;

    /// <summary>Writes the PNG file's FileInfo once it is drawn; by default nothing is written.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Begin()
    {
        if (Kind is not null && !string.Equals(Kind, ParameterSetName, StringComparison.OrdinalIgnoreCase))
            throw new IclPsException("PlotKindParameterMismatch", IclErrorKind.InvalidArgument,
                $"-Kind {Kind} does not take the parameters given ({ParameterSetName switch { LineSet => "-X and -Y", BarSet => "-Category and -Y", _ => "-Row, -Column and -Value" }}).", Kind);
        var path = ResolveFilePath(Path);
        var what = ParameterSetName switch
        {
            LineSet => $"line plot of {Y} against {X}",
            BarSet => $"bar chart of {Y} by {Category}",
            _ => $"heat map of {Value} by {Row} and {Column}",
        };
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
            else if (ParameterSetName == BarSet)
            {
                _bars.Add((
                    PlotValue.Label(InputObject, Category, nameof(Category), index),
                    Series is null ? "" : PlotValue.Label(InputObject, Series, nameof(Series), index),
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
        if (_points.Count == 0 && _cells.Count == 0 && _bars.Count == 0)
            throw new IclPsException("PlotNoRows", IclErrorKind.InvalidArgument,
                _index == 0 ? "No rows were piped in, so there is nothing to plot." : $"None of the {_index} rows could be plotted.", _path);
        foreach (var missing in (Reference ?? []).Where(r => !_points.Any(p => string.Equals(p.Series, r, StringComparison.OrdinalIgnoreCase))))
            WriteWarning($"-Reference '{missing}' names no series of the rows; nothing is drawn as a reference for it.");
        Chart chart = ParameterSetName switch { LineSet => LineChart(), BarSet => BarChart(), _ => HeatmapChart() };
        var written = chart.SavePng(_path, Width, Height);
        WriteVerbose(IclPs.Plotting.Native.SkiaNativeResolver.Status);
        WriteVerbose(ParameterSetName == LineSet
            ? $"Drew {_points.Count} point(s) in {_points.Select(p => p.Series).Distinct().Count()} series to '{written}' ({Width} x {Height} px)."
            : ParameterSetName == BarSet ? $"Drew {_bars.Count} bar(s) to '{written}' ({Width} x {Height} px)."
            : $"Drew {_cells.Count} cell(s) to '{written}' ({Width} x {Height} px).");
        if (PassThru) WriteObject(new FileInfo(written));
    }

    private LineChart LineChart() => new()
    {
        Title = Title,
        XLabel = XLabel ?? X,
        YLabel = YLabel ?? Y,
        XScale = LogX ? AxisScale.Log2 : AxisScale.Linear,
        YScale = LogY ? AxisScale.Log10 : AxisScale.Linear,
        TicksAtData = TicksAtData,
        // Series in the order their first row arrived, so the legend follows the input.
        Series = _points.GroupBy(p => p.Series).Select(g => new LineSeries(
            g.Key,
            g.Select(p => p.X).ToArray(),
            g.Select(p => p.Y).ToArray(),
            ErrorBar is null ? null : g.Select(p => p.Error!.Value).ToArray(),
            Reference?.Contains(g.Key, StringComparer.OrdinalIgnoreCase) ?? false)).ToArray(),
    };

    private BarChart BarChart()
    {
        var categories = _bars.Select(b => b.Category).Distinct().ToList();
        var groups = _bars.Select(b => b.Series).Distinct().ToList();
        var values = groups.Select(_ => categories.Select(_ => double.NaN).ToArray()).ToArray();
        var errors = groups.Select(_ => new double[categories.Count]).ToArray();
        foreach (var (category, series, y, error) in _bars)
        {
            var (g, c) = (groups.IndexOf(series), categories.IndexOf(category));
            if (!double.IsNaN(values[g][c]))
                throw new IclPsException("PlotDuplicateCell", IclErrorKind.InvalidData,
                    $"More than one row has {Category} = {category}{(Series is null ? "" : $" and {Series} = {series}")}; a bar takes one value.", $"{category},{series}");
            values[g][c] = y;
            errors[g][c] = error ?? 0;
        }
        return new BarChart
        {
            Title = Title,
            XLabel = XLabel ?? Category,
            YLabel = YLabel ?? Y,
            Categories = categories,
            Groups = groups.Select((name, g) => new BarGroup(name, values[g], ErrorBar is null ? null : errors[g])).ToArray(),
        };
    }

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
            Diverging = Diverging,
            CellFormat = CellFormat,
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
