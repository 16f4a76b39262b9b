namespace Etcd.Specs.Support;

/// <summary>Locates the repository and the built Etcd.Node next to the running specs.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>Release or Debug: whatever the specs themselves were built as.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";

    public static string NodeDll => Path.Combine(Root, "Etcd.Node", "bin", Configuration, "net10.0", "Etcd.Node.dll");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Etcd.Actors.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Etcd.Actors.sln not found above " + AppContext.BaseDirectory);
    }
}
