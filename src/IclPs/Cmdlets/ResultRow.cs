using System.Management.Automation;
using IclPs.Engine;

namespace IclPs.Cmdlets;

/// <summary>
/// An object's properties as a results-file row, in the order PowerShell lists them (what Export-Csv would write),
/// with PowerShell's wrappers taken off so the engine formats the real values (doubles culture-invariantly, float[]
/// and double[] as vectors).
/// </summary>
internal static class ResultRow
{
    public static List<KeyValuePair<string, object?>> From(PSObject item)
    {
        var row = new List<KeyValuePair<string, object?>>();
        foreach (var property in item.Properties)
        {
            object? value;
            try
            {
                value = property.Value;
            }
            catch (GetValueException e)
            {
                throw new IclPsException("ResultPropertyUnreadable", IclErrorKind.InvalidData,
                    $"Property '{property.Name}' of a {item.TypeNames.FirstOrDefault()} cannot be read: {e.InnerException?.Message ?? e.Message}", property.Name, e);
            }
            row.Add(new(property.Name, Unwrap(value)));
        }
        return row;
    }

    private static object? Unwrap(object? value) => value switch
    {
        // A nested [pscustomobject] has no base value worth writing; its PowerShell text (@{a=1; b=2}) is what Export-Csv shows.
        PSObject { BaseObject: PSCustomObject } custom => custom.ToString(),
        PSObject wrapped => Unwrap(wrapped.BaseObject),
        // Elements of PowerShell arrays (@(1.5, 2)) are often wrapped too.
        object[] items => Array.ConvertAll(items, Unwrap),
        _ => value,
    };
}
