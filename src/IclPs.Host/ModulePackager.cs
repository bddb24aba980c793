using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace IclPs.Host;

/// <summary>
/// Lays out a built module folder as <c>destination/IclPs/&lt;ModuleVersion&gt;/</c>, the layout PSModulePath and
/// Import-Module expect. Copies into a staging folder and renames it, so a failed copy never leaves a half-written version.
/// </summary>
internal static class ModulePackager
{
    public static int Package(string modulePath, string destination, TextWriter output, TextWriter error)
    {
        var manifest = Directory.Exists(modulePath) ? Path.Combine(modulePath, ModuleLocator.ManifestName) : modulePath;
        var source = Path.GetDirectoryName(manifest)!;
        if (!TryReadManifest(manifest, error, out var version)) return ExitCodes.HostError;

        var target = Path.Combine(Path.GetFullPath(destination), "IclPs", version.ToString());
        var staging = $"{target}.partial-{Environment.ProcessId}";
        try
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            {
                var copy = Path.Combine(staging, Path.GetRelativePath(source, file));
                Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
                File.Copy(file, copy);
            }
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
            Directory.Move(staging, target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"iclps-host: packaging {source} into {target} failed: {e.Message}");
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            return ExitCodes.HostError;
        }

        // The copy must itself be a valid module: manifest, root module and format file all present.
        if (!TryReadManifest(Path.Combine(target, ModuleLocator.ManifestName), error, out _)) return ExitCodes.HostError;
        output.WriteLine(target);
        return ExitCodes.Success;
    }

    private static bool TryReadManifest(string manifest, TextWriter error, out Version version)
    {
        version = new Version();
        using var ps = PowerShell.Create(InitialSessionState.CreateDefault2());
        ps.AddCommand("Test-ModuleManifest").AddParameter("Path", manifest);
        var info = ps.Invoke<PSModuleInfo>().FirstOrDefault();
        if (ps.HadErrors || info is null)
        {
            foreach (var record in ps.Streams.Error) error.WriteLine($"iclps-host: {manifest}: {record}");
            if (ps.Streams.Error.Count == 0) error.WriteLine($"iclps-host: {manifest} is not a module manifest.");
            return false;
        }
        version = info.Version;
        return true;
    }
}
