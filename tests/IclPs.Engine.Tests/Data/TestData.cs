namespace IclPs.Engine.Tests.Data;

/// <summary>Paths to the Function Vector datasets the module ships (module/data/function-vectors) and to the repository root.</summary>
internal static class TestData
{
    public static string FunctionVectors(string name)
    {
        var root = RepositoryRoot();
        var path = Path.GetFullPath(Path.Combine(root, "module", "data", "function-vectors", name));
        if (!File.Exists(path)) throw new FileNotFoundException($"Dataset not found in the repository: {path}");
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
