using IclPs.Engine.Models;
using IclPs.Engine.Prompting;

namespace IclPs.Engine.TaskVectors;

/// <summary>Plugs a task vector into the prompt runners.</summary>
public static class TaskVectorHooks
{
    /// <summary>
    /// A hook factory for <see cref="IclRunOptions.Hooks"/> that injects <paramref name="vector"/> at the prompt-end column:
    /// the query's last token, where the first answer token is predicted. Only the Score pass computes that column;
    /// generation steps read its injected keys and values from the cache, so they keep the same injection.
    /// Fails at once, naming the field, when the vector was built for a model of another shape. What the injections change
    /// is added to <paramref name="interventions"/> when given.
    /// </summary>
    public static Func<IclForwardPass, HookSet?> ForPrompts(TaskVector vector, TransformerModel model, InterventionTally? interventions = null)
    {
        ArgumentNullException.ThrowIfNull(vector);
        ArgumentNullException.ThrowIfNull(model);
        vector.Shape.CheckFits(model.Config, $"The {vector.Method} task vector");
        return pass => pass.PositionOf(pass.PromptEnd) is int position ? vector.CreateHooks(model, position).ReportTo(interventions) : null;
    }
}
