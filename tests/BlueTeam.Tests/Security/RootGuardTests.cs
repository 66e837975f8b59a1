using BlueTeam.Cli.Composition;
using BlueTeam.Core.Config;

namespace BlueTeam.Tests.Security;

public class RootGuardTests
{
    [Fact]
    public void Refusal_RootWithoutPermission_ExplainsAndNamesBothWaysOut()
    {
        var why = RootGuard.Refusal(new BlueTeamConfig(), allowRootFlag: false, isRoot: true);
        Assert.NotNull(why);
        Assert.Contains("refusing to run the monitor as root", why);
        Assert.Contains("--allow-root", why);
        Assert.Contains("monitoring.allow_root: true", why);
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, true, false)]
    [InlineData(true, false, true)]
    public void Refusal_NotRootOrExplicitlyAllowed_Null(bool isRoot, bool flag, bool configured)
    {
        var config = new BlueTeamConfig();
        config.Monitoring.AllowRoot = configured;
        Assert.Null(RootGuard.Refusal(config, flag, isRoot));
    }

    [Fact]
    public void AllowRoot_FromYamlAndEnvironment_Bound()
    {
        using var dir = new Support.TempDir();
        var path = dir.File("c.yaml");
        File.WriteAllText(path, "monitoring: {allow_root: true}\n");
        Assert.True(ConfigLoader.Load(path).Monitoring.AllowRoot);
    }
}
