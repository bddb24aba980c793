using System.Globalization;

namespace IclPs.Engine.Regression.Categorical;

/// <summary>The architecture of a <see cref="CategoricalAttentionModel"/>: which model, how deep, which kernel and eraser, and the data's sizes.</summary>
public sealed record CategoricalModelConfig
{
    public CategoricalModelKind Kind { get; init; } = CategoricalModelKind.Gd;
    /// <summary>L, the blocks (each one GD step).</summary>
    public int Layers { get; init; } = 2;
    public CategoricalKernel Kernel { get; init; } = CategoricalKernel.Softmax;
    /// <summary>GD model: <see cref="CategoricalEraser.Exact"/> or <see cref="CategoricalEraser.Authors"/>; the transformer's is always <see cref="CategoricalEraser.Learned"/>.</summary>
    public CategoricalEraser Eraser { get; init; } = CategoricalEraser.Exact;
    /// <summary>d.</summary>
    public int Dimension { get; init; } = 10;
    /// <summary>d'.</summary>
    public int EmbeddingDim { get; init; } = 5;
    /// <summary>C.</summary>
    public int Categories { get; init; } = 25;
    /// <summary>Transformer only: standard deviation of the N(0, s^2) initial projections; the authors' 0.002 / L when null.</summary>
    public double? InitScale { get; init; }

    /// <summary>The token width d + 3 d'.</summary>
    public int Width => Dimension + 3 * EmbeddingDim;

    public double EffectiveInitScale => InitScale ?? 0.002 / Layers;

    /// <summary>The model for <paramref name="settings"/>' data; the eraser defaults to Exact (GD) or Learned (transformer).</summary>
    public static CategoricalModelConfig For(CategoricalModelKind kind, int layers, CategoricalKernel kernel, CategoricalEraser? eraser, CategoricalTaskSettings settings) =>
        new()
        {
            Kind = kind, Layers = layers, Kernel = kernel,
            Eraser = eraser ?? (kind == CategoricalModelKind.Gd ? CategoricalEraser.Exact : CategoricalEraser.Learned),
            Dimension = settings.Dimension, EmbeddingDim = settings.EmbeddingDim, Categories = settings.Categories,
        };

    /// <summary>The most blocks a model may have (each is one functional GD step; the authors use up to 10).</summary>
    public const int MaxLayers = 1000;

    public void Validate()
    {
        if (Layers is < 1 or > MaxLayers)
            throw new IclPsException(CategoricalErrorIds.InvalidLayers, IclErrorKind.InvalidArgument,
                $"Layers must be from 1 to {MaxLayers} (each block is one functional GD step); got {Layers}.", Layers);
        CategoricalTaskSettings.AtLeast(nameof(Dimension), Dimension, 1);
        CategoricalTaskSettings.AtLeast(nameof(EmbeddingDim), EmbeddingDim, 1);
        CategoricalTaskSettings.AtLeast(nameof(Categories), Categories, 2);
        if (!Enum.IsDefined(Kernel))
            throw new IclPsException(CategoricalErrorIds.UnknownKernel, IclErrorKind.InvalidArgument, $"Unknown kernel '{Kernel}'.", Kernel);
        var fits = Kind == CategoricalModelKind.Gd ? Eraser is CategoricalEraser.Exact or CategoricalEraser.Authors : Eraser == CategoricalEraser.Learned;
        if (!fits)
            throw new IclPsException(CategoricalErrorIds.UnknownEraser, IclErrorKind.InvalidArgument,
                Kind == CategoricalModelKind.Gd
                    ? $"The GD model's eraser is Exact or Authors; got '{Eraser}'."
                    : $"The transformer's erase head is learned; the eraser '{Eraser}' applies to the GD model only.", Eraser);
        if (InitScale is double s) CategoricalTaskSettings.Positive(nameof(InitScale), s);
    }

    /// <summary>Checks that the model reads <paramref name="settings"/>' data (d, d', C).</summary>
    public void CheckFits(CategoricalTaskSettings settings)
    {
        if (settings.Dimension != Dimension || settings.EmbeddingDim != EmbeddingDim || settings.Categories != Categories)
            throw new IclPsException(CategoricalErrorIds.ShapeMismatch, IclErrorKind.InvalidArgument,
                $"The model reads d={Dimension}, d'={EmbeddingDim}, C={Categories}; the data has d={settings.Dimension}, d'={settings.EmbeddingDim}, C={settings.Categories}.", settings);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Kind} L={Layers} {Kernel} kernel, {Eraser} eraser, d={Dimension} d'={EmbeddingDim} C={Categories}");

    internal IEnumerable<(string Key, string Value)> DefiningFields()
    {
        yield return ("kind", Kind.ToString());
        yield return ("layers", Layers.ToString(CultureInfo.InvariantCulture));
        yield return ("kernel", Kernel.ToString());
        yield return ("eraser", Eraser.ToString());
        yield return ("dimension", Dimension.ToString(CultureInfo.InvariantCulture));
        yield return ("embedding_dim", EmbeddingDim.ToString(CultureInfo.InvariantCulture));
        yield return ("categories", Categories.ToString(CultureInfo.InvariantCulture));
        yield return ("init_scale", EffectiveInitScale.ToString("R", CultureInfo.InvariantCulture));
    }

    internal static CategoricalModelConfig FromFields(IReadOnlyDictionary<string, string> f)
    {
        int I(string k) => int.Parse(f[k], CultureInfo.InvariantCulture);
        return new CategoricalModelConfig
        {
            Kind = CategoricalChoices.Kind(f["kind"]), Layers = I("layers"), Kernel = CategoricalChoices.Kernel(f["kernel"]),
            Eraser = CategoricalChoices.Eraser(f["eraser"]), Dimension = I("dimension"), EmbeddingDim = I("embedding_dim"), Categories = I("categories"),
            InitScale = double.Parse(f["init_scale"], CultureInfo.InvariantCulture),
        };
    }
}
