using TorchSharp;

namespace IclPs.Engine.Training;

/// <summary>
/// Garg et al.'s curriculum as a batch source: update t draws from the source that <c>create(dimensions, points)</c>
/// builds for the stage values at t. The model's read-in width stays that of the largest dimension; the created sources
/// zero-pad x to it, as Garg et al. do.
/// </summary>
public sealed class CurriculumBatchSource : IBatchSource
{
    private readonly Func<int, int, IBatchSource> _create;
    private readonly Dictionary<(int, int), IBatchSource> _sources = new();

    /// <param name="create">Builds the source for (dimensions, points); called once per distinct pair.</param>
    public CurriculumBatchSource(CurriculumStage dimensions, CurriculumStage points, Func<int, int, IBatchSource> create)
    {
        (Dimensions, Points, _create) = (dimensions, points, create);
        Description = $"curriculum(dimensions {dimensions}; points {points}) of {SourceAt(0).Description}";
    }

    public CurriculumStage Dimensions { get; }
    public CurriculumStage Points { get; }
    public string Description { get; }

    /// <summary>The source that update <paramref name="step"/> draws from.</summary>
    public IBatchSource SourceAt(int step)
    {
        var key = (Dimensions.ValueAt(step), Points.ValueAt(step));
        if (!_sources.TryGetValue(key, out var source)) _sources[key] = source = _create(key.Item1, key.Item2);
        return source;
    }

    public TrainingBatch Next(int step, int batchSize, torch.Generator generator) => SourceAt(step).Next(step, batchSize, generator);
}
