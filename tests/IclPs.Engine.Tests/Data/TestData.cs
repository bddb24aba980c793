namespace IclPs.Engine.Tests.Data;

/// <summary>Paths to the shared Function Vector datasets (beside the repository, never copied into it) and scratch files.</summary>
internal static class TestData
{
    public static string FunctionVectors(string name)
    {
        var root = RepositoryRoot();
        var path = Path.GetFullPath(Path.Combine(root, "..", "shared", "data", "function-vectors", name));
        if (!File.Exists(path)) throw new FileNotFoundException($"Shared dataset not found beside the repository: {path}");
        return path;
    }

    /// <summary>The folder holding IclPs.sln, found by walking up from the test binaries.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "IclPs.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException("IclPs.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A scratch folder deleted when the test ends.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "iclps-test-" + Guid.NewGuid().ToString("N"));
    public string File(string name, string? content = null)
    {
        var path = System.IO.Path.Combine(Path, name);
        if (content is not null) System.IO.File.WriteAllText(path, content);
        return path;
    }
    public void Dispose() => Directory.Delete(Path, recursive: true);
}
