using System.Globalization;
using System.Management.Automation;
using IclPs.Engine;

namespace IclPs.Cmdlets;

/// <summary>
/// Reads one named property of a piped object for Export-IclPlot: as a number (any numeric type, or text that parses
/// culture-invariantly, as Import-Csv gives) or as a label.
/// </summary>
internal static class PlotValue
{
    public const string PropertyNotFound = "PlotPropertyNotFound";

    /// <summary>A finite number; NaN or infinity fails this row only, instead of the whole chart when it is drawn.</summary>
    public static double Number(PSObject row, string property, string parameter, long index)
    {
        var value = Read(row, property, parameter, index);
        var number = value switch
        {
            double or float or decimal or int or long or short or byte or sbyte or uint or ulong or ushort => Convert.ToDouble(value, CultureInfo.InvariantCulture),
            string text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => throw new IclPsException("PlotValueNotNumeric", IclErrorKind.InvalidData,
                $"Input object {index} has {property} = {Show(value)} ({value?.GetType().Name ?? "null"}); -{parameter} needs a number.", value),
        };
        if (!double.IsFinite(number))
            throw new IclPsException("PlotValueNotFinite", IclErrorKind.InvalidData,
                $"Input object {index} has {property} = {number}; only finite numbers can be drawn.", value);
        return number;
    }

    public static string Label(PSObject row, string property, string parameter, long index) =>
        Read(row, property, parameter, index) switch
        {
            null => "",
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            var other => other.ToString() ?? "",
        };

    private static object? Read(PSObject row, string property, string parameter, long index)
    {
        var found = row.Properties[property]
            ?? throw new IclPsException(PropertyNotFound, IclErrorKind.InvalidArgument,
                $"Input object {index} ({row.TypeNames.FirstOrDefault()}) has no property '{property}' (given as -{parameter}).", property);
        var value = found.Value;
        while (value is PSObject wrapped) value = wrapped.BaseObject;
        return value;
    }

    private static string Show(object? value) => value is null ? "$null" : $"'{value}'";
}
