namespace IclPs.Engine.Models.Shipped;

/// <summary>What a shipped model reads: text through a tokenizer (<see cref="IclModel"/>) or regression vectors (<see cref="Regression.Runs.IclRegressionModel"/>).</summary>
public enum ShippedModelKind { Text, Regression }
