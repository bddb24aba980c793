namespace IclPs.Engine.TextTasks;

/// <summary>
/// What a <see cref="KeyedLookupTaskFamily"/> contains. Every symbol is one character; keys, instances and outputs are
/// three disjoint sets, none containing whitespace.
/// </summary>
public sealed record KeyedLookupTaskFamilyOptions
{
    /// <summary>The key letters; an input is a key followed by an instance, e.g. "a3".</summary>
    public string Keys { get; init; } = "abc";
    /// <summary>The instance characters; at least 2, so a demonstration can share the query's key without being the query.</summary>
    public string Instances { get; init; } = "123456789";
    /// <summary>The output symbols; a task maps every key to one of them, so 0-shot chance is 1 / their count.</summary>
    public string Outputs { get; init; } = "rstuvwxyz";
    /// <summary>Distinct random maps in the training pool.</summary>
    public int TrainTasks { get; init; } = 512;
    /// <summary>Distinct random maps held out of training; none equals a training map.</summary>
    public int HeldOutTasks { get; init; } = 64;
    /// <summary>Fixes which maps are drawn for each pool.</summary>
    public long TaskSeed { get; init; }
}
