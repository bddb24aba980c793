namespace IclPs.Engine.Data;

/// <summary>The three disjoint parts of a dataset made by <see cref="IclDataset.Split"/>, with the seed that made them.</summary>
public sealed record IclDatasetSplit(IclDataset Train, IclDataset Valid, IclDataset Test, int Seed);
