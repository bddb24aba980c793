namespace IclPs.Host;

/// <summary>Finds the IclPs module to import: -Module, then $ICLPS_MODULE_PATH, then Modules/IclPs beside the host.</summary>
internal static class ModuleLocator
{
    public const string EnvironmentVariable = "ICLPS_MODULE_PATH";
    public const string ManifestName = "IclPs.psd1";

    /// <returns>The module manifest's full path.</returns>
    /// <exception cref="FileNotFoundException">No candidate holds the module; the message lists where it looked.</exception>
    public static string Locate(string? explicitPath)
    {
        var candidates = new List<(string Path, string Origin)>();
        if (!string.IsNullOrEmpty(explicitPath)) candidates.Add((explicitPath, "-Module"));
        else
        {
            if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnv) candidates.Add((fromEnv, EnvironmentVariable));
            candidates.Add((Path.Combine(AppContext.BaseDirectory, "Modules", "IclPs"), "beside iclps-host"));
        }
        foreach (var (path, _) in candidates)
        {
            var full = Path.GetFullPath(path);
            // The manifest, not its folder: Import-Module rejects a versioned folder (IclPs/0.1.0) given by path.
            if (Directory.Exists(full) && File.Exists(Path.Combine(full, ManifestName))) return Path.Combine(full, ManifestName);
            if (File.Exists(full) && full.EndsWith(".psd1", StringComparison.OrdinalIgnoreCase)) return full;
        }
        throw new FileNotFoundException(
            $"IclPs module not found; looked in: {string.Join("; ", candidates.Select(c => $"{Path.GetFullPath(c.Path)} ({c.Origin})"))}. " +
            $"Build src/IclPs.Host, set {EnvironmentVariable}, or pass -Module <folder with {ManifestName}>.");
    }
}
