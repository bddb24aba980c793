namespace IclPs.Engine.Training.Stacked;

/// <summary>Stable ErrorIds of stacked training failures.</summary>
public static class StackedTrainingErrorIds
{
    /// <summary>The models, sources or options given for one stack do not fit together (shape, count, options other than seed and folder).</summary>
    public const string InvalidStack = "StackedTrainingInvalidStack";
    /// <summary>The run folders of one stack hold checkpoints of different updates, so the models cannot continue in step.</summary>
    public const string ResumeOutOfStep = "StackedTrainingResumeOutOfStep";
}
