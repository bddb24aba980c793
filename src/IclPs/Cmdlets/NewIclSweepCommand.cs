using System.Collections;
using System.Management.Automation;
using IclPs.Engine.Sweeps;

namespace IclPs.Cmdlets;

/// <summary>Makes the units of a sweep: one per combination of the axes' values, each with a stable id.</summary>
/// <remarks>
/// <para>
/// Takes a hashtable of axes, a parameter name and its values each, and writes one SweepUnit per combination: its Index
/// (the order Merge-IclSweep joins results in), Id and Name ("M=4, Seed=0") and Parameters, which Invoke-IclSweep passes to
/// the unit's script as named parameters. With an [ordered] hashtable the first axis is the outermost loop and the last
/// varies fastest, as nested foreach loops in that order; a plain hashtable's axes are ordered by name.
/// </para>
/// <para>
/// The Id is the first 12 hex digits of the SHA-256 of the parameters' canonical JSON (names sorted, each value with its
/// type), so it depends on the parameters alone: adding values to an axis, or reordering the axes, gives the existing
/// units the same ids and Invoke-IclSweep skips those already run. Values are strings, Booleans, integers (kept as
/// 64-bit) and finite numbers (kept as double; 1 and 1.0 are different units). Any other value (a hashtable, a script
/// block, $null) is a SweepAxisValueType error; no axes or an axis without values, SweepAxisEmpty; an axis name that
/// cannot be a script parameter, SweepAxisNameInvalid; a value twice on one axis, SweepUnitDuplicate; more than 100000
/// units, SweepTooManyUnits.
/// </para>
/// </remarks>
/// <example>
/// <code>New-IclSweep -Axis ([ordered]@{ M = 2, 8, 32; Seed = 0, 1 })</code>
/// <para>Six units, M outermost: (M=2, Seed=0), (M=2, Seed=1), (M=8, Seed=0), ... each with its Id.</para>
/// </example>
/// <example>
/// <code>
/// $before = New-IclSweep @{ M = 2, 8 }
/// $after = New-IclSweep @{ M = 2, 8, 32 }
/// Compare-Object $before.Id $after.Id
/// </code>
/// <para>Extending an axis keeps the ids of the units already there: only the unit M=32 is new.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "IclSweep", HelpUri = "https://github.com/iclps/IclPs/blob/main/docs/cmdlets.md#new-iclsweep")]
[OutputType(typeof(SweepUnit))]
public sealed class NewIclSweepCommand : IclPsCmdlet
{
    /// <summary>
    /// The axes: parameter names and their values, e.g. [ordered]@{ M = 2, 8, 32; Seed = 0, 1 }. A single value is an axis
    /// of one. Use [ordered] to choose the loop order; a plain hashtable's axes are ordered by name.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public IDictionary Axis { get; set; } = null!;

    protected override void Begin()
    {
        var axes = new List<KeyValuePair<string, IReadOnlyList<object?>>>();
        foreach (DictionaryEntry entry in Axis) axes.Add(new(Unwrap(entry.Key)?.ToString() ?? "", Values(entry.Value)));
        // A Hashtable enumerates in hash order, which is not the order it was written in: sort so the plan is the same every time.
        if (Axis is not System.Collections.Specialized.IOrderedDictionary)
            axes = axes.OrderBy(a => a.Key, StringComparer.OrdinalIgnoreCase).ToList();
        var units = SweepPlanner.Expand(axes);
        WriteVerbose($"{units.Count} unit(s) over {axes.Count} axis/axes: {string.Join(" x ", axes.Select(a => $"{a.Key} ({a.Value.Count})"))}.");
        WriteObject(units, enumerateCollection: true);
    }

    private static IReadOnlyList<object?> Values(object? value) => Unwrap(value) switch
    {
        string s => [s],
        IDictionary d => [d],
        IEnumerable items => items.Cast<object?>().Select(Unwrap).ToList(),
        var single => [single],
    };

    private static object? Unwrap(object? value) => value is PSObject p && p.BaseObject is not PSCustomObject ? p.BaseObject : value;
}
