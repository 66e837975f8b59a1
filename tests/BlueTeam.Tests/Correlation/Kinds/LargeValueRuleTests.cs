using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Correlation;
using BlueTeam.Correlation.Declarative;

namespace BlueTeam.Tests.Correlation.Kinds;

/// <summary>The large_value kind, through the access-log parser and a rule file, as a site would write it.</summary>
public class LargeValueRuleTests
{
    private const int HundredMegabytes = 100_000_000;

    private static string File() => $"""
        id: SITE-010
        name: large_download
        title: Large download
        description: a response of at least {HundredMegabytes} bytes
        severity: high
        nist_controls: ["3.13.1"]
        kind: large_value
        match:
          http.request.method: GET
        measure: http.response.body.bytes
        at_least: {HundredMegabytes}
        group_by: [source.ip]
        incident_title: "large download by {"{source.ip}"}"
        """;

    private static IRule Build(string yaml, RuleOptions? overrides = null)
    {
        var definition = RuleFileParser.Parse(yaml, "site.yaml");
        var correlation = new CorrelationOptions();
        if (overrides is not null) correlation.Rules["large_download"] = overrides;
        var (_, settings) = Assert.Single(RuleCatalog.Resolve(correlation, [definition]));
        return RuleCatalog.Create(definition, settings, new RuleContext { Host = Rules.Host });
    }

    private static List<SecurityEvent> Downloads(string ip, params long[] bytes) =>
        SecurityLogs.AccessLog(bytes.Select((b, i) => SecurityLogs.Access(SecurityLogs.Day.AddSeconds(i), ip, "/export.csv", 200, bytes: b)));

    [Fact]
    public void Evaluate_ResponseAtLeastTheValue_OneIncidentPerSourceAndWindow()
    {
        var incidents = Rules.Run(Build(File()), Downloads("203.0.113.9", 512, HundredMegabytes - 1, HundredMegabytes, 3L * HundredMegabytes));

        var incident = Assert.Single(incidents.DistinctBy(i => i.Fingerprint));
        Assert.Equal("large download by 203.0.113.9", incident.Title);
        Assert.Equal(2, incidents[^1].EventCount);
        Assert.Equal(SecurityLogs.Day.AddSeconds(2), incident.FirstSeen);
    }

    [Fact]
    public void Evaluate_SmallResponses_NoIncident()
    {
        Assert.Empty(Rules.Run(Build(File()), Downloads("203.0.113.9", 512, 4096, HundredMegabytes - 1)));
    }

    [Fact]
    public void Evaluate_ThresholdFromConfig_CountsOnlyLargeResponses()
    {
        var rule = Build(File(), new RuleOptions { Threshold = 3 });

        var events = Downloads("203.0.113.9", HundredMegabytes, 512, HundredMegabytes, 512, HundredMegabytes);

        Assert.Empty(Rules.Run(rule, events.Take(4)));
        Assert.Equal(3, Assert.Single(rule.Evaluate(events[4])).EventCount);
    }

    [Theory]
    [InlineData("at_least", "at_least: 0", "expected a whole number from 1 to 2147483647")]
    [InlineData("at_least", "", "is required (a whole number from 1 to 2147483647)")]
    [InlineData("measure", "", "is required (a field name)")]
    [InlineData("measure", "measure: http.response.body.byte", "unknown field")]
    public void Parse_BadOwnKeys_NameTheKey(string key, string line, string message)
    {
        var yaml = File().Replace($"at_least: {HundredMegabytes}\n", "", StringComparison.Ordinal)
            .Replace("measure: http.response.body.bytes\n", "", StringComparison.Ordinal);
        yaml += "\n" + line + "\n" + (key == "at_least" ? "measure: http.response.body.bytes\n" : $"at_least: {HundredMegabytes}\n");

        var error = Assert.Single(Assert.Throws<ConfigException>(() => RuleFileParser.Parse(yaml, "site.yaml")).Errors);

        Assert.Equal(key, error.Key);
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MeasureOnAThresholdRule_IsRefusedWithTheOwnersMessage()
    {
        var yaml = File().Replace("kind: large_value", "kind: threshold", StringComparison.Ordinal)
            .Replace($"at_least: {HundredMegabytes}\n", "", StringComparison.Ordinal);

        var error = Assert.Single(Assert.Throws<ConfigException>(() => RuleFileParser.Parse(yaml, "site.yaml")).Errors);

        Assert.Equal("measure", error.Key);
        Assert.Equal("only large_value rules have a measure field", error.Message);
    }
}
