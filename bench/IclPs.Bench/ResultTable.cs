using System.Globalization;

namespace IclPs.Bench;

/// <summary>Prints results as a case-by-metric table and writes them, with the machine description, as one long-format CSV per run.</summary>
public static class ResultTable
{
    public static string Format(IReadOnlyList<ResultRow> rows)
    {
        var cases = rows.Select(r => r.Case).Distinct().ToList();
        var metrics = rows.Select(r => (r.Metric, r.Unit)).Distinct().ToList();
        var header = new[] { "case" }.Concat(metrics.Select(m => string.IsNullOrEmpty(m.Unit) ? m.Metric : $"{m.Metric} [{m.Unit}]")).ToArray();
        var cells = cases.Select(c => new[] { c }.Concat(metrics.Select(m =>
        {
            var row = rows.FirstOrDefault(r => r.Case == c && r.Metric == m.Metric && r.Unit == m.Unit);
            return row is null ? "" : FormatValue(row.Value);
        })).ToArray()).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, cells.Count == 0 ? 0 : cells.Max(r => r[i].Length))).ToArray();
        var lines = new List<string> { Line(header, widths), string.Join("  ", widths.Select(w => new string('-', w))) };
        lines.AddRange(cells.Select(r => Line(r, widths)));
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>Writes through a temporary file and a move, so an interrupted run leaves no half-written CSV.</summary>
    public static void WriteCsv(string path, string subcommand, MachineInfo machine, string loadAverageAtEnd, double othersCpuShare, IReadOnlyList<ResultRow> rows)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string[] header = ["subcommand", "case", "metric", "value", "unit", "date_utc", "cpu", "logical_cores", "torch_threads", "torchsharp", "runtime", "os", "loadavg_start", "loadavg_end", "others_cpu_share"];
        var date = machine.StartedUtc.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var lines = new List<string> { CsvLine(header) };
        lines.AddRange(rows.Select(r => CsvLine([
            subcommand, r.Case, r.Metric, r.Value.ToString("R", CultureInfo.InvariantCulture), r.Unit, date, machine.Cpu,
            machine.LogicalCores.ToString(CultureInfo.InvariantCulture), machine.TorchThreads.ToString(CultureInfo.InvariantCulture),
            machine.TorchSharpVersion, machine.Runtime, machine.Os, machine.LoadAverageAtStart, loadAverageAtEnd,
            othersCpuShare.ToString("0.###", CultureInfo.InvariantCulture)])));
        var temp = path + ".tmp";
        File.WriteAllLines(temp, lines);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>RFC 4180: a field holding a comma, quote or line break is quoted, with quotes doubled.</summary>
    private static string CsvLine(IEnumerable<string> fields) =>
        string.Join(',', fields.Select(f => f.IndexOfAny([',', '"', '\n', '\r']) < 0 ? f : '"' + f.Replace("\"", "\"\"") + '"'));

    private static string FormatValue(double value) => value.ToString(
        Math.Abs(value) >= 1000 ? "0" : Math.Abs(value) >= 10 ? "0.0" : "0.00#", CultureInfo.InvariantCulture);

    private static string Line(string[] cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd();
}
