namespace IclPs.Engine.Regression.Categorical;

/// <summary>Stable ErrorIds of categorical in-context learning (docs/science.md §4): data settings, models, training, checks.</summary>
public static class CategoricalErrorIds
{
    /// <summary>A numeric setting outside its range (dimension, categories, batch size, learning rate, ...).</summary>
    public const string InvalidOption = "CategoricalInvalidOption";
    /// <summary>Fewer context points than categories per context: a context could not show each of its categories once.</summary>
    public const string TooFewContextPoints = "CategoricalTooFewContextPoints";
    /// <summary>More categories per context (clusters) than categories in all.</summary>
    public const string TooManyClusters = "CategoricalTooManyClusters";
    /// <summary>A data set whose draw cannot fit in the available memory (checked before allocating).</summary>
    public const string DataTooLarge = "CategoricalDataTooLarge";
    /// <summary>Layers below 1 or above <see cref="CategoricalModelConfig.MaxLayers"/>.</summary>
    public const string InvalidLayers = "CategoricalInvalidLayers";
    /// <summary>A kernel name that is not softmax, linear or rbf.</summary>
    public const string UnknownKernel = "CategoricalUnknownKernel";
    /// <summary>An eraser name that is not exact or authors, or an eraser given to a model that has none.</summary>
    public const string UnknownEraser = "CategoricalUnknownEraser";
    /// <summary>A model kind that is not Gd or Transformer.</summary>
    public const string UnknownModelKind = "CategoricalUnknownModelKind";
    /// <summary>A checkpoint of the other model kind (a Transformer run resumed as Gd, a Transformer given where a GD model is needed).</summary>
    public const string ModelKindMismatch = "CategoricalModelKindMismatch";
    /// <summary>A checkpoint written with other settings than the resuming run; the message names the field.</summary>
    public const string ResumeMismatch = "CategoricalResumeMismatch";
    /// <summary>A checkpoint folder that is missing, incomplete or not one of ours.</summary>
    public const string InvalidCheckpoint = "CategoricalInvalidCheckpoint";
    /// <summary>A fresh run asked to write into a folder that already holds checkpoints.</summary>
    public const string CheckpointsExist = "CategoricalCheckpointsExist";
    /// <summary>Tensors whose shapes do not fit the model or the data settings.</summary>
    public const string ShapeMismatch = "CategoricalShapeMismatch";
    /// <summary>A model that has no exact counterpart in the other parametrisation (the exact eraser beyond layer 1).</summary>
    public const string NotRepresentable = "CategoricalNotRepresentable";
    /// <summary>The loss or a gradient became NaN or infinite.</summary>
    public const string Diverged = "CategoricalTrainingDiverged";
}
