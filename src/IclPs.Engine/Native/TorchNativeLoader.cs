using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace IclPs.Engine.Native;

/// <summary>
/// Makes TorchSharp's native library loadable on older libstdc++ (Debian 12: GLIBCXX up to 3.4.30).
/// TorchSharp 0.107's libLibTorchSharp.so lists GLIBCXX_3.4.32 only for a symbol nothing relocates
/// against; marking that version requirement weak lets the loader accept it. The patch is applied to
/// a private copy in a cache folder, never to the NuGet cache or the build output.
/// </summary>
public static class TorchNativeLoader
{
    private const string TorchSharpLibrary = "libLibTorchSharp.so";
    private const string WeakVersionName = "GLIBCXX_3.4.32";
    private const ushort VerFlagWeak = 0x2;
    private static readonly string[] LibTorchDependencies = ["libc10.so", "libtorch_cpu.so", "libtorch.so"];
    private static readonly object Gate = new();
    private static bool _initialised;

    /// <summary>One line describing what the loader did, for verbose output.</summary>
    public static string Status { get; private set; } = "TorchSharp native library not loaded yet.";

    /// <summary>Loads TorchSharp's natives, patching a private copy first when this machine's libstdc++ needs it. Idempotent.</summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_initialised) return;
            if (!OperatingSystem.IsLinux())
            {
                Status = "TorchSharp natives loaded by TorchSharp itself (not Linux).";
                _initialised = true;
                return;
            }
            var original = FindNativeFile(TorchSharpLibrary);
            if (original is null)
            {
                Status = $"{TorchSharpLibrary} not found beside the assemblies; TorchSharp will probe on its own.";
                _initialised = true;
                return;
            }
            var nativeDir = Path.GetDirectoryName(original)!;
            foreach (var dep in LibTorchDependencies)
            {
                var depPath = Path.Combine(nativeDir, dep);
                if (File.Exists(depPath)) NativeLibrary.Load(depPath);
            }
            if (NativeLibrary.TryLoad(original, out _))
            {
                Status = $"TorchSharp natives loaded unmodified from {nativeDir}.";
            }
            else
            {
                var patched = PatchedCopy(original);
                NativeLibrary.Load(patched);
                Status = $"Loaded {TorchSharpLibrary} from {patched}: this libstdc++ lacks {WeakVersionName}, so that requirement was marked weak in a cached copy.";
            }
            _initialised = true;
        }
    }

    private static string? FindNativeFile(string fileName)
    {
        var roots = new[]
        {
            Path.GetDirectoryName(typeof(TorchNativeLoader).Assembly.Location),
            Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location),
            AppContext.BaseDirectory,
        }.Where(r => !string.IsNullOrEmpty(r)).Distinct();
        var rid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        foreach (var root in roots)
        {
            foreach (var candidate in new[] { Path.Combine(root!, fileName), Path.Combine(root!, "runtimes", rid, "native", fileName) })
            {
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }

    private static string PatchedCopy(string original)
    {
        var bytes = File.ReadAllBytes(original);
        var hash = Convert.ToHexString(SHA256.HashData(bytes))[..16].ToLowerInvariant();
        var cacheRoot = Environment.GetEnvironmentVariable("ICLPS_NATIVE_CACHE")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "iclps", "native");
        var dir = Path.Combine(cacheRoot, hash);
        var target = Path.Combine(dir, TorchSharpLibrary);
        if (File.Exists(target)) return target;
        if (!ElfVersionPatcher.MarkVersionWeak(bytes, WeakVersionName, VerFlagWeak))
            throw new DllNotFoundException($"{original} could not be loaded and has no {WeakVersionName} requirement to relax.");
        Directory.CreateDirectory(dir);
        var temp = target + "." + Environment.ProcessId + ".tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, target, overwrite: true);
        return target;
    }
}
