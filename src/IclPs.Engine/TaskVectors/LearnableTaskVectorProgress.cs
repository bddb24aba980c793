namespace IclPs.Engine.TaskVectors;

/// <summary>
/// LTV training progress: after every update (<see cref="ValidationLoss"/> null) and after every epoch's validation.
/// Epoch 0 is the evaluation of the initial theta; <see cref="Step"/> counts updates so far.
/// </summary>
public sealed record LearnableTaskVectorProgress(int Epoch, int MaxEpochs, int Step, double TrainLoss, double? ValidationLoss, double? ValidationMetric);
