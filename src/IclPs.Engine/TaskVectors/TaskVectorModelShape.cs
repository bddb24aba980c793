using IclPs.Engine.Models;

namespace IclPs.Engine.TaskVectors;

/// <summary>The model dimensions a task vector depends on; injecting into a model of another shape is an error naming the field.</summary>
public sealed record TaskVectorModelShape(ModelFamily Family, int Layers, int Heads, int DModel)
{
    public int DHead => DModel / Heads;

    public static TaskVectorModelShape Of(ModelConfig config) => new(config.Family, config.Layers, config.Heads, config.DModel);

    /// <summary>Throws <see cref="TaskVectorErrorIds.ShapeMismatch"/> naming the first field where <paramref name="config"/> differs.</summary>
    public void CheckFits(ModelConfig config, string what)
    {
        var other = Of(config);
        void Check<T>(string field, T mine, T theirs)
        {
            if (!EqualityComparer<T>.Default.Equals(mine, theirs))
                throw new IclPsException(TaskVectorErrorIds.ShapeMismatch, IclErrorKind.InvalidArgument,
                    $"{what} was built for a model with {field} = {mine}, but this model has {field} = {theirs}.", theirs);
        }
        Check("family", Family, other.Family);
        Check("layers", Layers, other.Layers);
        Check("heads", Heads, other.Heads);
        Check("d_model", DModel, other.DModel);
    }

    public override string ToString() => $"{Family} L={Layers} H={Heads} d={DModel}";
}
