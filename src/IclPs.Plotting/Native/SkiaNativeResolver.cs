using System.Runtime.InteropServices;

namespace IclPs.Plotting.Native;

/// <summary>
/// Points SkiaSharp's and HarfBuzzSharp's P/Invokes at the natives shipped in runtimes/&lt;rid&gt;/native beside these
/// assemblies. An application finds them there through its deps.json, but a PowerShell module has none: PowerShell
/// probes only the module folder itself, so without this every plot fails with "libSkiaSharp not found".
/// The natives are the NoDependencies build, which needs nothing beyond libc; no patching is involved.
/// </summary>
public static class SkiaNativeResolver
{
    private static readonly object Gate = new();
    private static bool _installed;

    /// <summary>One line describing how the natives are found, for verbose output.</summary>
    public static string Status { get; private set; } = "SkiaSharp native resolver not installed yet.";

    /// <summary>Installs the resolvers. Idempotent; leaves default probing in place for anything it cannot find.</summary>
    public static void EnsureInstalled()
    {
        lock (Gate)
        {
            if (_installed) return;
            _installed = true;
            var folder = NativeFolder();
            if (folder is null)
            {
                Status = $"No runtimes/{RuntimeId()}/native folder with {FileName("libSkiaSharp")} beside the assemblies; SkiaSharp probes on its own.";
                return;
            }
            try
            {
                NativeLibrary.SetDllImportResolver(typeof(SkiaSharp.SKImageInfo).Assembly, (name, _, _) => Resolve(folder, name));
                NativeLibrary.SetDllImportResolver(typeof(HarfBuzzSharp.Blob).Assembly, (name, _, _) => Resolve(folder, name));
                Status = $"SkiaSharp and HarfBuzzSharp natives resolved from {folder}.";
            }
            catch (InvalidOperationException)
            {
                // The application installed its own resolver first; it knows where its natives are.
                Status = "SkiaSharp natives are resolved by the application's own resolver.";
            }
        }
    }

    private static IntPtr Resolve(string folder, string libraryName)
    {
        var path = Path.Combine(folder, FileName(Path.GetFileNameWithoutExtension(libraryName)));
        return File.Exists(path) ? NativeLibrary.Load(path) : IntPtr.Zero;
    }

    private static string? NativeFolder()
    {
        var roots = new[]
        {
            Path.GetDirectoryName(typeof(SkiaNativeResolver).Assembly.Location),
            Path.GetDirectoryName(typeof(SkiaSharp.SKImageInfo).Assembly.Location),
            AppContext.BaseDirectory,
        }.Where(r => !string.IsNullOrEmpty(r)).Distinct();
        return roots
            .Select(root => Path.Combine(root!, "runtimes", RuntimeId(), "native"))
            .FirstOrDefault(folder => File.Exists(Path.Combine(folder, FileName("libSkiaSharp"))));
    }

    private static string FileName(string library) =>
        OperatingSystem.IsWindows() ? library + ".dll" : OperatingSystem.IsMacOS() ? library + ".dylib" : library + ".so";

    private static string RuntimeId()
    {
        var arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        if (OperatingSystem.IsWindows()) return "win-" + arch;
        // SkiaSharp ships one universal macOS binary.
        if (OperatingSystem.IsMacOS()) return "osx";
        var musl = Directory.Exists("/lib") && Directory.EnumerateFiles("/lib", "ld-musl-*").Any();
        return (musl ? "linux-musl-" : "linux-") + arch;
    }
}
