namespace IclPs.Bench;

/// <summary>The enclosing checkout, found without being told where it is.</summary>
public static class CheckoutRoot
{
    /// <summary>
    /// The nearest folder holding the folder <paramref name="relativePath"/>, looked for upwards from the working directory,
    /// then from the program; null when there is none.
    /// </summary>
    public static string? Holding(string relativePath)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (Directory.Exists(Path.Combine(dir.FullName, relativePath))) return dir.FullName;
            }
        }
        return null;
    }
}
