using System.Text.Json;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Cli;

/// <summary>
/// `blueteam bans` input handling, with response disabled: nothing here may reach nft (these run in
/// the host's namespace), so a ban added is recorded as dry-run. The nft side is in ResponseEndToEndTests.
/// </summary>
public class BansCommandEndToEndTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _config;

    public BansCommandEndToEndTests()
    {
        _config = _dir.File("blueteam.yaml");
        File.WriteAllText(_config, $"""
            host: cli-host
            database: {"{"}driver: sqlite, path: {_dir.File("blueteam.db")}{"}"}
            response: {"{"}enabled: false, ignore: [192.0.2.0/24]{"}"}
            """);
    }

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("203.0.113.7; nft flush ruleset", "1h", "is not an address or a CIDR prefix")]
    [InlineData("10.0.0.1/8", "1h", "is not an address or a CIDR prefix")]
    [InlineData("127.0.0.1", "1h", "in the ignore list")]
    [InlineData("192.0.2.0/25", "1h", "in the ignore list")]
    [InlineData("203.0.113.7", "forever", "is not a duration")]
    public async Task BansAdd_BadInput_Exit2WithOneLineReason_NothingRecorded(string target, string duration, string reason)
    {
        var (exit, _, stderr) = await BlueTeamProcess.RunAsync(["--config", _config, "bans", "add", target, "--duration", duration, "--reason", "test"]);
        Assert.Equal(2, exit);
        Assert.Contains(reason, stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        var (_, list, _) = await BlueTeamProcess.RunAsync(["--config", _config, "bans", "list", "--all", "--format", "json"]);
        Assert.Empty(JsonDocument.Parse(list).RootElement.EnumerateArray());
    }

    [Fact]
    public async Task BansAdd_ResponseDisabled_RecordsDryRun_ListEscapesHostileReason_RemoveLifts()
    {
        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["--config", _config, "bans", "add", "203.0.113.7", "--duration", "2h", "--reason", "[red]boom\u001b[2J"]);
        Assert.True(exit == 0, stderr);
        Assert.Contains("recorded only", stdout);

        var (_, table, _) = await BlueTeamProcess.RunAsync(["--config", _config, "bans", "list"]);
        Assert.Contains("203.0.113.7", table);
        Assert.DoesNotContain("\u001b", table);
        var (_, json, _) = await BlueTeamProcess.RunAsync(["--config", _config, "bans", "list", "--format", "json"]);
        var ban = Assert.Single(JsonDocument.Parse(json).RootElement.EnumerateArray());
        Assert.Equal(("dry_run", "active", "cli-host"), (ban.GetProperty("action").GetString(), ban.GetProperty("state").GetString(), ban.GetProperty("host").GetString()));

        var (rmExit, _, rmErr) = await BlueTeamProcess.RunAsync(["--config", _config, "bans", "remove", "203.0.113.7"]);
        Assert.True(rmExit == 0, rmErr);
        var (again, _, againErr) = await BlueTeamProcess.RunAsync(["--config", _config, "bans", "remove", "203.0.113.7"]);
        Assert.Equal(1, again);
        Assert.Contains("no ban in force", againErr);
        // Both changes are in the alert history, so in its hash chain.
        var (_, history, _) = await BlueTeamProcess.RunAsync(["--config", _config, "alerts", "list", "--format", "json"]);
        var changes = JsonDocument.Parse(history).RootElement.EnumerateArray().Where(a => a.GetProperty("rule_name").GetString() == "ban_changed").ToList();
        Assert.Equal(2, changes.Count);
        var (verifyExit, verifyOut, verifyErr) = await BlueTeamProcess.RunAsync(["--config", _config, "verify"]);
        Assert.True(verifyExit == 0, verifyOut + verifyErr);
        var (_, all, _) = await BlueTeamProcess.RunAsync(["--config", _config, "bans", "list", "--all", "--format", "json"]);
        Assert.Equal("lifted", Assert.Single(JsonDocument.Parse(all).RootElement.EnumerateArray()).GetProperty("state").GetString());
    }
}
