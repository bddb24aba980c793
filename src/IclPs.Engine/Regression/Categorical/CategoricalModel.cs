using System.Globalization;

namespace IclPs.Engine.Regression.Categorical;

/// <summary>
/// A trained (or fresh) categorical attention model with its record: the data it was trained on, the training-set size, the
/// seed, the updates run and the early-stopping point whose weights it holds. What Start-IclCategoricalTraining -PassThru
/// writes and Measure-IclCategorical reads. Owns <see cref="Network"/>.
/// </summary>
public sealed class CategoricalModel(CategoricalAttentionModel network, CategoricalTaskSettings task, string name) : IDisposable
{
    public string Name { get; set; } = name;
    public CategoricalAttentionModel Network { get; } = network;
    public CategoricalTaskSettings Task { get; } = task;
    public CategoricalModelKind Kind => Network.Config.Kind;
    public int Layers => Network.Config.Layers;
    public CategoricalKernel Kernel => Network.Config.Kernel;
    public CategoricalEraser Eraser => Network.Config.Eraser;
    /// <summary>N, the context points of its data.</summary>
    public int ContextPoints => Task.ContextPoints;
    /// <summary>The size of its fixed training set.</summary>
    public int TrainContexts { get; init; }
    public long Seed { get; init; }
    /// <summary>Updates run.</summary>
    public int Steps { get; init; }
    /// <summary>The update of the best validation loss, whose weights the model holds.</summary>
    public int BestStep { get; init; }
    public double BestValidationLoss { get; init; }
    /// <summary>The checkpoint it was loaded from or last written to, if any.</summary>
    public string? Path { get; init; }
    public long ParameterCount => Network.Weights().Sum(w => w.Parameter.numel());

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Name}: {Network.Config}; {TrainContexts} training contexts, seed {Seed}, best step {BestStep} of {Steps}");

    public void Dispose() => Network.Dispose();
}
