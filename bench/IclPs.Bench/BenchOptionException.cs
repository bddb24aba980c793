namespace IclPs.Bench;

/// <summary>A command-line option that is unknown, missing its value or malformed; the message names the option and value.</summary>
public sealed class BenchOptionException(string message) : Exception(message);
