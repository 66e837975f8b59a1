using BlueTeam.Alerting;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;

namespace BlueTeam.Tests.Alerting;

public sealed class AlertRouterTests
{
    private static readonly string[] AllChannels = ["console", "syslog", "email"];

    [Theory]
    [InlineData(Severity.Critical, new[] { "email", "syslog", "console" })]
    [InlineData(Severity.High, new[] { "email", "syslog" })]
    [InlineData(Severity.Medium, new[] { "syslog" })]
    [InlineData(Severity.Low, new[] { "syslog" })]
    [InlineData(Severity.Info, new string[0])]
    public void Route_DefaultOptionsAllChannelsEnabled_FollowsDesignTable(Severity severity, string[] expected)
    {
        var router = new AlertRouter(new AlertingOptions(), AllChannels);

        Assert.Equal(expected, router.Route(severity));
    }

    [Fact]
    public void Route_EmailNotBuilt_LeavesEmailOut()
    {
        var router = new AlertRouter(new AlertingOptions(), ["console", "syslog"]);

        Assert.Equal(["syslog", "console"], router.Route(Severity.Critical));
        Assert.Equal(["syslog"], router.Route(Severity.High));
    }

    [Fact]
    public void Route_RoutingOverridesOneSeverity_OthersKeepDefault()
    {
        var options = new AlertingOptions { Routing = new() { [Severity.Medium] = ["console", "email"] } };

        var router = new AlertRouter(options, AllChannels);

        Assert.Equal(["console", "email"], router.Route(Severity.Medium));
        Assert.Equal(["email", "syslog", "console"], router.Route(Severity.Critical));
        Assert.Equal(["syslog"], router.Route(Severity.Low));
    }

    [Fact]
    public void Route_EmptyOverride_RoutesNowhere()
    {
        var options = new AlertingOptions { Routing = new() { [Severity.Low] = [] } };

        var router = new AlertRouter(options, AllChannels);

        Assert.Empty(router.Route(Severity.Low));
    }

    [Fact]
    public void Route_OverrideWithDifferentCaseAndDuplicates_NormalisesNames()
    {
        var options = new AlertingOptions { Routing = new() { [Severity.Info] = ["Syslog", "syslog", " console "] } };

        var router = new AlertRouter(options, AllChannels);

        Assert.Equal(["syslog", "console"], router.Route(Severity.Info));
    }

    [Fact]
    public void Ctor_UnknownChannelInRouting_ThrowsConfigExceptionNamingKey()
    {
        var options = new AlertingOptions { Routing = new() { [Severity.High] = ["syslog", "pager"] } };

        var e = Assert.Throws<ConfigException>(() => new AlertRouter(options, AllChannels));

        var error = Assert.Single(e.Errors);
        Assert.Equal("alerting.routing.high", error.Key);
        Assert.Contains("'pager'", error.Message, StringComparison.Ordinal);
        Assert.Contains("alerting.routing.high", e.Message, StringComparison.Ordinal);
    }
}
