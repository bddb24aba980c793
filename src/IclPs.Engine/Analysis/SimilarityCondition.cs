using IclPs.Engine.Models;

namespace IclPs.Engine.Analysis;

/// <summary>
/// One way of reading a query's hidden states: a model and a number of demonstrations (Duan et al.: anchor = base model
/// zero-shot, ICL = base model k-shot, IT = fine-tuned model zero-shot). Conditions with the same shots and seed see the
/// same demonstrations for the same query.
/// </summary>
public sealed record SimilarityCondition(string Name, IclModel Model, int Shots)
{
    public string Description => $"{Model.Name}, {(Shots == 0 ? "zero-shot" : $"{Shots}-shot")}";

    public static SimilarityCondition ZeroShot(IclModel model, string name = "ZeroShot") => new(name, model, 0);

    public static SimilarityCondition Icl(IclModel model, int shots, string? name = null) => new(name ?? $"Icl{shots}", model, shots);

    /// <summary>The same prompt through a second model, e.g. one fine-tuned on the demonstrations.</summary>
    public static SimilarityCondition OtherModel(IclModel model, string name, int shots = 0) => new(name, model, shots);
}
