using BlueTeam.Alerting;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Alerting;

/// <summary>Ordered routes (alerting.routes), label matchers and per-channel min_severity.</summary>
public sealed class AlertRoutesTests
{
    private static readonly string[] All = ["console", "syslog", "email", "webhook", "file"];

    private static AlertingOptions Parse(string yaml) => ConfigLoader.Parse(yaml, "test.yaml").Alerting;

    private static SecurityIncident Incident(Severity severity, string rule = "ssh_brute_force", string? ip = "203.0.113.7", string? user = "root") =>
        AlertIncidents.Incident(severity, ip: ip, user: user) with { Rule = new IncidentRule { Id = "X", Name = rule } };

    [Fact]
    public void Route_FirstMatchingRouteWins_LaterRoutesIgnored()
    {
        var options = Parse("""
            alerting:
              routes:
                - name: brute-to-webhook
                  match: { rules: [ssh_brute_force], min_severity: high }
                  channels: [webhook]
                - name: everything-high
                  match: { min_severity: high }
                  channels: [email, syslog]
            """);
        var router = new AlertRouter(options, All);

        var brute = router.Route(Incident(Severity.High), "eqmon-web01");
        var other = router.Route(Incident(Severity.High, rule: "sudo_abuse"), "eqmon-web01");

        Assert.Equal(["webhook"], brute.Channels);
        Assert.Equal(["brute-to-webhook"], brute.MatchedRoutes);
        Assert.Equal(["email", "syslog"], other.Channels);
    }

    [Fact]
    public void Route_ContinueTrue_AddsChannelsOfLaterMatches()
    {
        var options = Parse("""
            alerting:
              routes:
                - match: { severities: [critical, high] }
                  channels: [file]
                  continue: true
                - match: { min_severity: critical }
                  channels: [email, file, console]
                - match: {}
                  channels: [syslog]
            """);
        var router = new AlertRouter(options, All);

        Assert.Equal(["file", "email", "console"], router.Route(Incident(Severity.Critical), "h").Channels);
        Assert.Equal(["file", "syslog"], router.Route(Incident(Severity.High), "h").Channels);
        Assert.Equal(["syslog"], router.Route(Incident(Severity.Low), "h").Channels);
    }

    [Fact]
    public void Route_LabelMatchers_MatchHostSourceUserAndNistWithPrefix()
    {
        var options = Parse("""
            alerting:
              routes:
                - match: { labels: { source.ip: "10.0.*", user.name: deploy } }
                  channels: [file]
                - match: { labels: { nist_control: "3.14.6", host: "eqmon-*" } }
                  channels: [webhook]
            """);
        var router = new AlertRouter(options, All);

        Assert.Equal(["file"], router.Route(Incident(Severity.Medium, ip: "10.0.3.4", user: "deploy"), "eqmon-web01").Channels);
        Assert.Equal(["webhook"], router.Route(Incident(Severity.Medium, ip: "10.0.3.4", user: "root"), "eqmon-web01").Channels);
        Assert.Empty(router.Route(Incident(Severity.Medium, ip: null, user: null) with { Host = new EcsHost { Hostname = "db01" } }, "db01").Channels);
    }

    [Fact]
    public void Route_ChannelMinSeverity_IsAFloorRoutesCannotLower()
    {
        var options = Parse("""
            alerting:
              email: { min_severity: high }
              routes:
                - match: {}
                  channels: [email, syslog]
            """);
        var router = new AlertRouter(options, All);

        var medium = router.Route(Incident(Severity.Medium), "h");

        Assert.Equal(["syslog"], medium.Channels);
        Assert.Contains(("email", "below the channel's min_severity high"), medium.Dropped);
        Assert.Equal(["email", "syslog"], router.Route(Incident(Severity.High), "h").Channels);
    }

    [Fact]
    public void Route_NoRoutesConfigured_KeepsSeedTableForAnyRule()
    {
        var router = new AlertRouter(new AlertingOptions(), All);

        var decision = router.Route(Incident(Severity.High, rule: "anything"), "h");

        Assert.Equal(["email", "syslog"], decision.Channels);
        Assert.Equal(["severity high"], decision.MatchedRoutes);
    }

    [Fact]
    public void Ctor_RouteNamesUnknownChannel_ThrowsNamingRouteAndIndex()
    {
        var options = Parse("""
            alerting:
              routes:
                - match: {}
                  channels: [syslog, pager]
            """);

        var e = Assert.Throws<ConfigException>(() => new AlertRouter(options, All));

        var error = Assert.Single(e.Errors);
        Assert.Equal("alerting.routes[0].channels[1]", error.Key);
        Assert.Contains("unknown channel 'pager'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownLabelAndBothSeverityForms_RefusedWithKeys()
    {
        var e = Assert.Throws<ConfigException>(() => Parse("""
            alerting:
              routes:
                - match: { min_severity: high, severities: [low], labels: { src: x } }
                  channels: [syslog]
            """));

        Assert.Contains(e.Errors, x => x.Key == "alerting.routes[0].match" && x.Message.Contains("not both", StringComparison.Ordinal));
        Assert.Contains(e.Errors, x => x.Key == "alerting.routes[0].match.labels.src" && x.Message.Contains("unknown label", StringComparison.Ordinal));
    }
}
