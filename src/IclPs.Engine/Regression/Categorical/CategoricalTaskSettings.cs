using System.Globalization;

namespace IclPs.Engine.Regression.Categorical;

/// <summary>
/// The authors' categorical data (docs/science.md §4): a global W_e^data [d', C] ~ N(0, 1) fixed by <see cref="DataSeed"/>;
/// per context, inputs x ~ U(-r, r)^d for N context points and the query, k distinct categories with centres mu_j ~ N(0, I_d),
/// widths sigma_j^2 = -min_{j' != j} ||mu_j - mu_j'||^2 / ln(<see cref="NearestRbf"/>), f(x) = lambda sum_j
/// exp(-||x - mu_j||^2 / sigma_j^2) w_{c_j}, and labels drawn from softmax_c(W_e^data^T f(x)).
/// </summary>
public sealed record CategoricalTaskSettings
{
    /// <summary>C, the categories in all.</summary>
    public int Categories { get; init; } = 25;
    /// <summary>d', the width of a category embedding (data and model).</summary>
    public int EmbeddingDim { get; init; } = 5;
    /// <summary>d, the input dimension.</summary>
    public int Dimension { get; init; } = 10;
    /// <summary>N, the context points before the query (the authors use 125).</summary>
    public int ContextPoints { get; init; } = 40;
    /// <summary>k, the distinct categories (RBF centres) of one context.</summary>
    public int Clusters { get; init; } = 5;
    /// <summary>lambda, the scale of f.</summary>
    public double Lambda { get; init; } = 10;
    /// <summary>The value a centre's RBF takes at its nearest other centre (the width rule).</summary>
    public double NearestRbf { get; init; } = 0.1;
    /// <summary>r: inputs are uniform on [-r, r]^d.</summary>
    public double InputRange { get; init; } = 1;
    /// <summary>Fixes W_e^data and, through it, the train / validation / evaluation sets' seeds.</summary>
    public long DataSeed { get; init; }

    /// <summary>The token width d + 3 d': x, the label embedding, E and f.</summary>
    public int Width => Dimension + 3 * EmbeddingDim;

    public void Validate()
    {
        AtLeast(nameof(Categories), Categories, 2);
        AtLeast(nameof(EmbeddingDim), EmbeddingDim, 1);
        AtLeast(nameof(Dimension), Dimension, 1);
        AtLeast(nameof(Clusters), Clusters, 2);
        if (Clusters > Categories)
            throw new IclPsException(CategoricalErrorIds.TooManyClusters, IclErrorKind.InvalidArgument,
                $"Clusters (k = {Clusters}) must not exceed Categories (C = {Categories}): a context draws k distinct categories.", Clusters);
        if (ContextPoints < Clusters)
            throw new IclPsException(CategoricalErrorIds.TooFewContextPoints, IclErrorKind.InvalidArgument,
                $"ContextPoints (N = {ContextPoints}) is too few for the categories: a context has k = {Clusters} categories, so N must be at least {Clusters}.", ContextPoints);
        Positive(nameof(Lambda), Lambda);
        Positive(nameof(InputRange), InputRange);
        if (!(NearestRbf > 0 && NearestRbf < 1))
            throw new IclPsException(CategoricalErrorIds.InvalidOption, IclErrorKind.InvalidArgument,
                $"NearestRbf must lie strictly between 0 and 1; got {NearestRbf}.", NearestRbf);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"C={Categories} d'={EmbeddingDim} d={Dimension} N={ContextPoints} k={Clusters} lambda={Lambda} rbf@nearest={NearestRbf} x~U(-{InputRange},{InputRange}) data seed {DataSeed}");

    /// <summary>The fields that define the data, as text, for checkpoints and resume checks.</summary>
    internal IEnumerable<(string Key, string Value)> DefiningFields()
    {
        string D(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        yield return ("categories", Categories.ToString(CultureInfo.InvariantCulture));
        yield return ("embedding_dim", EmbeddingDim.ToString(CultureInfo.InvariantCulture));
        yield return ("dimension", Dimension.ToString(CultureInfo.InvariantCulture));
        yield return ("context_points", ContextPoints.ToString(CultureInfo.InvariantCulture));
        yield return ("clusters", Clusters.ToString(CultureInfo.InvariantCulture));
        yield return ("lambda", D(Lambda));
        yield return ("nearest_rbf", D(NearestRbf));
        yield return ("input_range", D(InputRange));
        yield return ("data_seed", DataSeed.ToString(CultureInfo.InvariantCulture));
    }

    internal static CategoricalTaskSettings FromFields(IReadOnlyDictionary<string, string> f)
    {
        int I(string k) => int.Parse(f[k], CultureInfo.InvariantCulture);
        double D(string k) => double.Parse(f[k], CultureInfo.InvariantCulture);
        return new CategoricalTaskSettings
        {
            Categories = I("categories"), EmbeddingDim = I("embedding_dim"), Dimension = I("dimension"), ContextPoints = I("context_points"),
            Clusters = I("clusters"), Lambda = D("lambda"), NearestRbf = D("nearest_rbf"), InputRange = D("input_range"),
            DataSeed = long.Parse(f["data_seed"], CultureInfo.InvariantCulture),
        };
    }

    /// <summary>Fails with <see cref="CategoricalErrorIds.InvalidOption"/> naming the value when it is below the minimum.</summary>
    public static void AtLeast(string name, long value, long minimum)
    {
        if (value < minimum)
            throw new IclPsException(CategoricalErrorIds.InvalidOption, IclErrorKind.InvalidArgument, $"{name} must be at least {minimum}; got {value}.", value);
    }

    /// <summary>Fails with <see cref="CategoricalErrorIds.InvalidOption"/> naming the value unless it is finite and above 0.</summary>
    public static void Positive(string name, double value)
    {
        if (!(value > 0) || double.IsInfinity(value))
            throw new IclPsException(CategoricalErrorIds.InvalidOption, IclErrorKind.InvalidArgument, $"{name} must be a finite number > 0; got {value}.", value);
    }
}
