using BlueTeam.Alerting;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;

namespace BlueTeam.Tests.Alerting;

public class RouteWarningsTests
{
    [Fact]
    public void EnabledChannelNoRouteUses_AndRouteToDisabledChannel_AreBothSaid()
    {
        var options = new AlertingOptions
        {
            Routes = [new RouteOptions { Name = "crit", Match = new RouteMatchOptions { MinSeverity = Severity.Critical }, Channels = ["email", "console"] }],
        };
        var warnings = RouteWarnings.For(options, ["console", "webhook"]);
        Assert.Equal(2, warnings.Count);
        Assert.Contains(warnings, w => w.StartsWith("alerting.routes[0] (crit) sends to 'email', which is not enabled", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.StartsWith("alerting.webhook is enabled but no route sends to it", StringComparison.Ordinal));
    }

    [Fact]
    public void DefaultTable_EnabledChannelsItUses_NoWarning_ButAnUnroutedWebhookIsSaid()
    {
        Assert.Empty(RouteWarnings.For(new AlertingOptions(), ["console", "syslog"]));
        var warning = Assert.Single(RouteWarnings.For(new AlertingOptions(), ["console", "syslog", "webhook"]));
        Assert.Contains("alerting.webhook is enabled but no route sends to it", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void RoutingTable_NamingADisabledChannel_IsSaid()
    {
        var options = new AlertingOptions { Routing = new() { [Severity.High] = ["file"] } };
        Assert.Contains(RouteWarnings.For(options, ["syslog", "console"]), w => w.StartsWith("alerting.routing.high sends to 'file'", StringComparison.Ordinal));
    }
}
