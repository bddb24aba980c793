using System.Runtime.CompilerServices;

namespace IclPs.Engine.Native;

internal static class EngineInitializer
{
    // Runs before any engine type is used, so TorchSharp's static constructor always finds its natives loadable.
    // A library initializer is deliberate here: callers must not have to remember a setup call.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialise() => TorchNativeLoader.EnsureLoaded();
}
