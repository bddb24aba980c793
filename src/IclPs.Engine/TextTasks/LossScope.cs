namespace IclPs.Engine.TextTasks;

/// <summary>Which tokens of a training sequence the language-model loss covers.</summary>
public enum LossScope
{
    /// <summary>Only answer tokens: each demonstration's and the query's continuation (target delimiter + output).</summary>
    Answers,
    /// <summary>Every real token after the first (the first has no preceding position to predict it).</summary>
    AllTokens,
}
