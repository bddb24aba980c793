namespace IclPs.Engine.Sweeps;

/// <summary>What runs a unit: a script file (<see cref="Path"/>) or the text of a script block (<see cref="Text"/>).</summary>
public sealed record SweepScript(string? Path, string? Text)
{
    public static SweepScript FromFile(string path) => new(System.IO.Path.GetFullPath(path), null);

    public static SweepScript FromText(string text) => new(null, text);

    public override string ToString() => Path ?? "{ " + (Text ?? "").Trim() + " }";
}
