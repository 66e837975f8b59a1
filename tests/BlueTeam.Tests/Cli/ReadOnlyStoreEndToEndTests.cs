using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Cli;

/// <summary>
/// Commands that only read the history never create a store: pointed at an SQLite file that is not
/// there (deleted, or a typo in the config), they say so and exit 3, and the file stays absent, so an
/// empty new history cannot pass for a clean old one.
/// </summary>
public sealed class ReadOnlyStoreEndToEndTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("alerts list")]
    [InlineData("alerts show 1")]
    [InlineData("incidents list")]
    [InlineData("status")]
    [InlineData("verify")]
    [InlineData("report --since 30d")]
    [InlineData("silence list")]
    public async Task ReadOnlyCommand_MissingStore_ExitsThreeAndCreatesNothing(string command)
    {
        var store = _dir.File("state/blueteam.db");
        var config = _dir.File("blueteam.yaml");
        await File.WriteAllTextAsync(config, $"host: ro-host\ndatabase: {{driver: sqlite, path: {store}}}\n");

        var (exit, _, stderr) = await BlueTeamProcess.RunAsync(["--config", config, .. command.Split(' ')]);

        Assert.True(exit == 3, $"exit {exit}: {stderr}");
        Assert.Contains($"no store at {store}", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(store));
        Assert.False(Directory.Exists(Path.GetDirectoryName(store)));
    }
}
