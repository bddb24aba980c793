using System.Globalization;

namespace IclPs.Engine.Training;

/// <summary>
/// One curriculum quantity (Garg et al.: dimensions 5 -> 20 by 1, points 11 -> 41 by 2, every 2000 updates): at update t
/// (0-based) its value is min(End, Start + Increment * floor(t / Every)).
/// </summary>
public sealed record CurriculumStage(int Start, int End, int Increment, int Every)
{
    public int ValueAt(int step)
    {
        if (Every <= 0 || Increment < 0 || End < Start)
            throw new IclPsException(TrainingErrorIds.InvalidOption, IclErrorKind.InvalidArgument,
                $"curriculum stage {this} needs Every > 0, Increment >= 0 and End >= Start.", this);
        return (int)Math.Min(End, Start + (long)Increment * (step / Every));
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Start}->{End} by {Increment} every {Every}");
}
