namespace IclPs.Engine.Adapters;

/// <summary>One update of <see cref="LoraTrainer"/>: its 1-based number and the loss of its batch before the update.</summary>
public sealed record LoraTrainingStep(int Step, double Loss, TimeSpan Elapsed);
