using IclPs.Engine.Regression.Categorical;

namespace IclPs;

/// <summary>
/// One validation evaluation during Start-IclCategoricalTraining: after <see cref="Step"/> of at most <see cref="Steps"/>
/// updates, the mean training loss since the previous row, the validation loss (mean cross-entropy, nats) and accuracy, the
/// update of the best validation loss so far (whose weights the run keeps) and the wall time since this session of the run began.
/// </summary>
public sealed class CategoricalTrainingProgress
{
    public required string Name { get; init; }
    public required CategoricalModelKind Kind { get; init; }
    public required int Layers { get; init; }
    public required int Step { get; init; }
    public required int Steps { get; init; }
    public required double Loss { get; init; }
    public required double ValidationLoss { get; init; }
    public required double ValidationAccuracy { get; init; }
    public required int BestStep { get; init; }
    public required TimeSpan Elapsed { get; init; }

    public override string ToString() => $"{Name} step {Step}/{Steps}: loss {Loss:0.0000}, validation {ValidationLoss:0.0000} ({ValidationAccuracy:0.000}), best at {BestStep}";
}

/// <summary>
/// One row of Measure-IclCategorical: a model (Gd or Transformer) or the Bayes-optimal predictor (Bayes) scored on the same
/// evaluation contexts: query accuracy and mean NLL (nats), with the settings that distinguish rows.
/// </summary>
public sealed class CategoricalEvaluation
{
    /// <summary>Gd, Transformer or Bayes.</summary>
    public required string Model { get; init; }
    /// <summary>The model's name (its run folder), or "bayes".</summary>
    public required string Name { get; init; }
    public required int Layers { get; init; }
    /// <summary>softmax, linear or rbf; empty for Bayes.</summary>
    public required string Kernel { get; init; }
    /// <summary>Exact or Authors (GD model), Learned (transformer), empty for Bayes.</summary>
    public required string Eraser { get; init; }
    /// <summary>The size of the model's training set (0 for Bayes).</summary>
    public required int Contexts { get; init; }
    public required long Seed { get; init; }
    public required double Accuracy { get; init; }
    public required double Nll { get; init; }
    /// <summary>N, the context points per context.</summary>
    public required int N { get; init; }
    /// <summary>Evaluation contexts scored.</summary>
    public required int Samples { get; init; }
    /// <summary>For the authors' eraser: the share of context tokens whose erase head picks another token on these contexts; NaN otherwise.</summary>
    public required double OtherTokenShare { get; init; }
    public required int BestStep { get; init; }
    public required int Steps { get; init; }

    public override string ToString() => $"{Model} L={Layers} contexts {Contexts} seed {Seed}: accuracy {Accuracy:0.000}, NLL {Nll:0.000}";
}
