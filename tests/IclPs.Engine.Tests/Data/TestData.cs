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
