using System.Collections;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Correlation;
using BlueTeam.Correlation.Rules;

namespace BlueTeam.Tests.Correlation;

public class RuleCatalogTests
{
    private static CorrelationOptions With(string name, RuleOptions options) => new() { Rules = new() { [name] = options } };

    [Fact]
    public void Build_NoOverrides_BuildsBuiltInRulesWithDefaults()
    {
        var rule = Assert.Single(RuleCatalog.Build(new CorrelationOptions(), "eqmon-web01"));

        Assert.IsType<SshBruteForceRule>(rule);
        Assert.Equal("ssh_brute_force", rule.Descriptor.Name);
        Assert.Equal("BT-AUTH-001", rule.Descriptor.Id);
        Assert.Equal(Severity.High, rule.Descriptor.Severity);
        Assert.Equal("5", rule.Descriptor.Options["threshold"]);
        Assert.Equal("300", rule.Descriptor.Options["window_sec"]);
    }

    [Fact]
    public void Build_UnknownRuleName_ThrowsNamingKeyAndKnownRules()
    {
        var e = Assert.Throws<ConfigException>(() => RuleCatalog.Build(With("ssh_bruteforce", new RuleOptions { Threshold = 3 }), "h"));

        var error = Assert.Single(e.Errors);
        Assert.Equal("correlation.rules.ssh_bruteforce", error.Key);
        Assert.Contains("known rules: ssh_brute_force", error.Message);
        Assert.Contains("correlation.rules.ssh_bruteforce", e.Message);
    }

    [Fact]
    public void Build_OptionTheRuleDoesNotRead_ThrowsNamingRuleAndOption()
    {
        RuleRegistration[] registrations =
        [
            SshBruteForceRule.Registration with { Name = "no_window", Options = new HashSet<string> { RuleOptionNames.Threshold } },
        ];

        var e = Assert.Throws<ConfigException>(() =>
            RuleCatalog.Build(With("no_window", new RuleOptions { WindowSec = 60 }), "h", registrations));

        var error = Assert.Single(e.Errors);
        Assert.Equal("correlation.rules.no_window.window_sec", error.Key);
        Assert.Contains("enabled, severity, threshold", error.Message);
    }

    [Fact]
    public void Build_UnknownOptionInYaml_IsRefusedNamingTheKey()
    {
        const string yaml = "correlation:\n  rules:\n    ssh_brute_force:\n      max_tries: 3\n";

        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml, "test.yaml", new Hashtable()));

        Assert.Contains(e.Errors, err => err.Key == "correlation.rules.ssh_brute_force.max_tries");
    }

    [Fact]
    public void Build_ThresholdOverrideFromYaml_ChangesWhenTheRuleFires()
    {
        const string yaml = "correlation:\n  rules:\n    ssh_brute_force:\n      threshold: 3\n      window_sec: 60\n      severity: critical\n";
        var config = ConfigLoader.Parse(yaml, "test.yaml", new Hashtable());

        var rule = Assert.Single(RuleCatalog.Build(config.Correlation, config.Host));
        var parser = new BlueTeam.Parsing.Auth.AuthLogParser();
        var incidents = Enumerable.Range(0, 3)
            .Select(i => parser.Parse(Parsing.AuthLines.Line(Parsing.AuthLines.FailedPassword(new TimeSpan(8, 30, i), "203.0.113.7")), Parsing.AuthLines.Context)!)
            .SelectMany(rule.Evaluate)
            .ToList();

        var incident = Assert.Single(incidents);
        Assert.Equal(3, incident.EventCount);
        Assert.Equal(Severity.Critical, incident.Severity);
        Assert.Equal("3", rule.Descriptor.Options["threshold"]);
        Assert.Equal("60", rule.Descriptor.Options["window_sec"]);
    }

    [Fact]
    public void Build_RuleDisabled_IsLeftOutButStillDescribed()
    {
        var options = With("ssh_brute_force", new RuleOptions { Enabled = false });

        Assert.Empty(RuleCatalog.Build(options, "h"));
        var descriptor = Assert.Single(RuleCatalog.Describe(options));
        Assert.False(descriptor.Enabled);
        Assert.Equal("false", descriptor.Options["enabled"]);
    }

    [Fact]
    public void Build_ImpossibleThreshold_ThrowsNamingTheOption()
    {
        var e = Assert.Throws<ConfigException>(() => RuleCatalog.Build(With("ssh_brute_force", new RuleOptions { Threshold = 0 }), "h"));
        Assert.Equal("correlation.rules.ssh_brute_force.threshold", Assert.Single(e.Errors).Key);
    }

    [Fact]
    public void Describe_Defaults_SaysThresholdAndWindow()
    {
        var d = Assert.Single(RuleCatalog.Describe(new CorrelationOptions()));
        Assert.Equal("5 or more failed SSH logins from one source address within 300 s", d.Description);
        Assert.Equal(["3.14.6", "3.14.7"], d.NistControls);
        Assert.True(d.Enabled);
    }
}
