using System.Management.Automation;
using IclPs.Engine.Native;

namespace IclPs;

/// <summary>
/// Loads TorchSharp's natives when the module is imported. Otherwise a session that touches a TorchSharp type before its
/// first IclPs cmdlet lets TorchSharp probe for libtorch on its own: it copies the natives into the module folder and the
/// next cmdlet crashes the process.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer
{
    public void OnImport() => TorchNativeLoader.EnsureLoaded();
}
