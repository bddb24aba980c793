namespace IclPs.Engine.Training;

/// <summary>
/// How the learning rate moves over <see cref="IclTrainingOptions.Steps"/> updates (t = 0-based update index, T = Steps,
/// as optax counts): Constant lr * t / W during W = WarmupSteps, then lr (independent of T, so a run can be extended);
/// Triangle lr * min(t / (T/2), (T - t) / (T - T/2)) (Raventós: linear warm-up over the
/// first half, linear decay to 0); Cosine lr * t / W during W = WarmupSteps, then lr * (1 + cos(pi (t - W) / (T - W))) / 2.
/// </summary>
public enum LearningRateSchedule { Constant, Triangle, Cosine }
