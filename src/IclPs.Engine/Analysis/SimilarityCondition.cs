using IclPs.Engine.Models;
using IclPs.Engine.TaskVectors;

namespace IclPs.Engine.Analysis;

/// <summary>
/// One way of reading a query's hidden states: a model and a number of demonstrations (Duan et al.: anchor = base model
/// zero-shot, ICL = base model k-shot, IT = fine-tuned model zero-shot). Conditions with the same shots and seed see the
/// same demonstrations for the same query. A condition with a <see cref="TaskVector"/> injects it at the query's last token.
/// A condition with <see cref="Tuning"/> is instruction-tuned: its prompt is zero-shot, and <see cref="Shots"/> counts the
/// demonstrations each input's own LoRA adapter is tuned on.
/// </summary>
public sealed record SimilarityCondition(string Name, IclModel Model, int Shots, TaskVector? TaskVector = null, InstructionTuning? Tuning = null)
{
    /// <summary>Demonstrations in the prompt: none for an instruction-tuned condition, whose demonstrations tune its adapter.</summary>
    public int PromptShots => Tuning is null ? Shots : 0;

    public string Description => Tuning is not null
        ? $"{Model.Name}, zero-shot, {Tuning} on {Shots} demonstrations"
        : $"{Model.Name}, {(Shots == 0 ? "zero-shot" : $"{Shots}-shot")}" + (TaskVector is null ? "" : $", {TaskVector}");

    public static SimilarityCondition ZeroShot(IclModel model, string name = "ZeroShot") => new(name, model, 0);

    public static SimilarityCondition Icl(IclModel model, int shots, string? name = null) => new(name ?? $"Icl{shots}", model, shots);

    /// <summary>The model with <paramref name="taskVector"/> injected at the query's last token, zero-shot unless <paramref name="shots"/> says otherwise.</summary>
    public static SimilarityCondition Injected(IclModel model, TaskVector taskVector, string? name = null, int shots = 0)
    {
        ArgumentNullException.ThrowIfNull(taskVector);
        return new(name ?? taskVector.Method.ToString(), model, shots, taskVector);
    }

    /// <summary>
    /// Duan et al.'s IT: for each input a fresh LoRA adapter on <paramref name="model"/> tuned on the <paramref name="shots"/>
    /// demonstrations the Icl condition with the same shots shows it (or ones from <see cref="InstructionTuning.DemonstrationPool"/>),
    /// then the zero-shot prompt through the adapted model.
    /// </summary>
    public static SimilarityCondition InstructionTuned(IclModel model, int shots, InstructionTuning? tuning = null, string name = "InstructionTuned") =>
        new(name, model, shots, null, tuning ?? new InstructionTuning());

    /// <summary>The same prompt through a second model, e.g. one fine-tuned on the demonstrations.</summary>
    public static SimilarityCondition OtherModel(IclModel model, string name, int shots = 0) => new(name, model, shots);
}
