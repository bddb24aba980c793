namespace IclPs.Engine.TextTasks;

/// <summary>What an <see cref="AffineTaskFamily"/> contains and which of its tasks are held out of training.</summary>
public sealed record AffineTaskFamilyOptions
{
    /// <summary>
    /// One symbol per character, in the order that defines x = 0, 1, ..., p-1; its length p must be prime so every
    /// a != 0 has an inverse mod p (otherwise two demonstrations would not determine the map).
    /// </summary>
    public string Alphabet { get; init; } = "abcdefghijk";
    /// <summary>Unnamed affine maps (a != 1) held out of training, drawn from the task seed.</summary>
    public int HeldOutAffineTasks { get; init; } = 16;
    /// <summary>Named shifts (copy, successor, predecessor, shift-k) held out of training.</summary>
    public IReadOnlyList<string> HeldOutNamedTasks { get; init; } = ["successor", "shift-3"];
    /// <summary>Fixes which unnamed maps are held out.</summary>
    public int TaskSeed { get; init; }
}
