namespace IclPs.Engine.TaskVectors;

/// <summary>One row of an LTV training curve: the mean task loss on the training prompts and on the validation split after an epoch.</summary>
public sealed record TaskVectorTrainingPoint(int Epoch, int Step, double TrainLoss, double ValidationLoss, double ValidationMetric);
