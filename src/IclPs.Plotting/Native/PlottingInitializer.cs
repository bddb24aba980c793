using System.Runtime.CompilerServices;

namespace IclPs.Plotting.Native;

internal static class PlottingInitializer
{
    // Runs before any plotting type is used, so the first SkiaSharp call already finds its natives; callers (the module,
    // plain C#) need no setup call.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialise() => SkiaNativeResolver.EnsureInstalled();
}
