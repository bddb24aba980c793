namespace IclPs.Engine.Data;

/// <summary>A named list of ICL examples, e.g. the whole of antonym.json or its train split.</summary>
public sealed class IclDataset
{
    public IclDataset(string name, IReadOnlyList<IclExample> items, string? sourceFile = null, string partition = "all")
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(items);
        Name = name;
        Items = items;
        SourceFile = sourceFile;
        Partition = partition;
    }

    public string Name { get; }
    /// <summary>Full path of the file it was loaded from; null when built in memory.</summary>
    public string? SourceFile { get; }
    /// <summary>"all" for a loaded file, else "train", "valid" or "test".</summary>
    public string Partition { get; }
    public IReadOnlyList<IclExample> Items { get; }
    public int Count => Items.Count;

    /// <summary>
    /// Seeded split into train / valid / test. Item positions are shuffled with <paramref name="seed"/>, the first
    /// round(n * train) go to train, the next round(n * valid) to valid, the rest to test; each part keeps file order,
    /// so every item lands in exactly one part and the same seed always gives the same parts.
    /// </summary>
    public IclDatasetSplit Split(double trainFraction, double validFraction, int seed)
    {
        if (!(trainFraction > 0 && trainFraction <= 1))
            throw new IclPsException("InvalidSplitFraction", IclErrorKind.InvalidArgument, $"Train fraction must be in (0, 1], got {trainFraction}.", trainFraction);
        if (!(validFraction >= 0 && validFraction < 1))
            throw new IclPsException("InvalidSplitFraction", IclErrorKind.InvalidArgument, $"Valid fraction must be in [0, 1), got {validFraction}.", validFraction);
        if (trainFraction + validFraction > 1 + 1e-12)
            throw new IclPsException("InvalidSplitFraction", IclErrorKind.InvalidArgument, $"Train fraction {trainFraction} plus valid fraction {validFraction} exceeds 1.", trainFraction + validFraction);

        var n = Count;
        var nTrain = (int)Math.Round(n * trainFraction, MidpointRounding.AwayFromZero);
        var nValid = Math.Min(n - nTrain, (int)Math.Round(n * validFraction, MidpointRounding.AwayFromZero));
        var order = Enumerable.Range(0, n).ToArray();
        new SeededRandom(seed).ShuffleFront(order, n);

        IclDataset Part(int start, int length, string partition)
        {
            var indices = order.AsSpan(start, length).ToArray();
            Array.Sort(indices);
            return new IclDataset(Name, indices.Select(i => Items[i]).ToArray(), SourceFile, partition);
        }

        return new IclDatasetSplit(Part(0, nTrain, "train"), Part(nTrain, nValid, "valid"), Part(nTrain + nValid, n - nTrain - nValid, "test"), seed);
    }

    public override string ToString() => Partition == "all" ? $"{Name} ({Count} items)" : $"{Name}[{Partition}] ({Count} items)";
}
