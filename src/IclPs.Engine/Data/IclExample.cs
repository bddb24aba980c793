namespace IclPs.Engine.Data;

/// <summary>One input/output pair of an in-context-learning task, e.g. ("hot", "cold") for antonyms.</summary>
public sealed record IclExample(string Input, string Output)
{
    public override string ToString() => $"{Input} -> {Output}";
}
