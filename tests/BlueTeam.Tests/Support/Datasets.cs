namespace BlueTeam.Tests.Support;

/// <summary>
/// Finds the shared public log samples (kept next to the repository, never copied into it):
/// <c>$BLUETEAM_DATASETS</c> if set, else <c>../shared/datasets</c> beside the directory that
/// holds BlueTeam.sln. Fails with a message saying where it looked, so a missing checkout is
/// never mistaken for a passing test.
/// </summary>
/// <remarks>
/// Every test that reads them carries <c>[Trait("Category", Datasets.Category)]</c>: the README's test
/// command (scripts/test.sh) leaves them out, so it passes on a clone with nothing beside it, and
/// scripts/conformance.sh runs exactly them (CI runs both).
/// </remarks>
public static class Datasets
{
    /// <summary>The xUnit trait category of the tests that read the shared datasets.</summary>
    public const string Category = "Conformance";

    public const string EnvironmentVariable = "BLUETEAM_DATASETS";

    private static readonly Lazy<string> RootDirectory = new(Locate);

    public static string Root => RootDirectory.Value;

    /// <summary>The full path of <paramref name="relativePath"/> under the datasets root; fails when the file is missing.</summary>
    public static string PathOf(string relativePath)
    {
        var path = System.IO.Path.Combine(Root, relativePath);
        if (!File.Exists(path))
            throw new FileNotFoundException($"dataset file '{relativePath}' is missing under {Root}", path);
        return path;
    }

    private static string Locate()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            if (!Directory.Exists(fromEnvironment))
                throw new DirectoryNotFoundException($"{EnvironmentVariable} is set to '{fromEnvironment}', which is not a directory");
            return fromEnvironment;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(System.IO.Path.Combine(dir.FullName, "BlueTeam.sln"))) continue;
            var candidate = System.IO.Path.GetFullPath(System.IO.Path.Combine(dir.FullName, "..", "shared", "datasets"));
            if (Directory.Exists(candidate)) return candidate;
            throw new DirectoryNotFoundException(
                $"the test datasets are not at {candidate} (../shared/datasets beside the repository); set {EnvironmentVariable} to their directory");
        }
        throw new DirectoryNotFoundException(
            $"no BlueTeam.sln above {AppContext.BaseDirectory}, so the test datasets cannot be located; set {EnvironmentVariable} to their directory");
    }
}
