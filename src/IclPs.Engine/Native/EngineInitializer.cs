using System.Runtime.CompilerServices;

namespace IclPs.Engine.Native;

internal static class EngineInitializer
{
    // Runs before any engine type is used, so TorchSharp's static constructor always finds its natives loadable.
    [ModuleInitializer]
    internal static void Initialise() => TorchNativeLoader.EnsureLoaded();
}
