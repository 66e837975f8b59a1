using System.Collections;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Correlation;
using BlueTeam.Correlation.Kinds;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Correlation;

public class RuleCatalogTests
{
    private static CorrelationOptions With(string name, RuleOptions options) => new() { Rules = new() { [name] = options } };

    private static readonly string[] CatalogueNames =
    [
        "account_brute_force", "account_created", "account_deleted", "audit_config_changed", "audit_daemon_stopped", "audit_events_lost", "audit_log_tampered",
        "collector_failure", "distributed_brute_force", "log_source_silent", "login_after_failures", "new_login_source", "off_hours_login", "password_spray",
        "privileged_group_change", "root_login", "ssh_brute_force", "ssh_low_and_slow", "sudo_auth_failure", "sudo_not_allowed", "web_attack", "web_scanner",
    ];

    [Fact]
    public void Describe_BuiltIn_HasEveryCatalogueRuleWithUniqueIds()
    {
        var rules = RuleCatalog.Describe(new CorrelationOptions());

        Assert.Equal(CatalogueNames, rules.Select(r => r.Name).Order(StringComparer.Ordinal));
        Assert.Equal(rules.Count, rules.Select(r => r.Id).Distinct().Count());
        Assert.All(rules, r => Assert.True(r.Enabled, r.Name));
        Assert.All(rules, r => Assert.NotEmpty(r.NistControls));
    }

    [Theory]
    [InlineData("ssh_brute_force", Severity.High, "3.14.6")]
    [InlineData("password_spray", Severity.High, "3.14.6")]
    [InlineData("login_after_failures", Severity.Critical, "3.14.7")]
    [InlineData("root_login", Severity.High, "3.14.7")]
    [InlineData("off_hours_login", Severity.Medium, "3.14.7")]
    [InlineData("new_login_source", Severity.Low, "3.14.7")]
    [InlineData("collector_failure", Severity.High, "3.3.4")]
    [InlineData("audit_log_tampered", Severity.Critical, "3.3.8")]
    [InlineData("log_source_silent", Severity.High, "3.3.4")]
    [InlineData("sudo_not_allowed", Severity.High, null)]
    [InlineData("sudo_auth_failure", Severity.Medium, null)]
    [InlineData("account_created", Severity.Medium, null)]
    [InlineData("account_deleted", Severity.Medium, null)]
    [InlineData("privileged_group_change", Severity.High, null)]
    [InlineData("audit_daemon_stopped", Severity.Critical, "3.3.4")]
    [InlineData("audit_config_changed", Severity.High, "3.3.8")]
    [InlineData("audit_events_lost", Severity.High, "3.3.4")]
    [InlineData("web_attack", Severity.High, "3.14.6")]
    [InlineData("web_scanner", Severity.Medium, null)]
    public void Describe_CatalogueRule_HasItsSeverityAndControl(string name, Severity severity, string? control)
    {
        var rule = Assert.Single(RuleCatalog.Describe(new CorrelationOptions()), r => r.Name == name);
        Assert.Equal(severity, rule.Severity);
        if (control is not null) Assert.Contains(control, rule.NistControls);
    }

    [Fact]
    public void Build_NoOverrides_BuildsSshBruteForceWithDefaults()
    {
        var rule = Assert.Single(RuleCatalog.Build(new CorrelationOptions(), "eqmon-web01"), r => r.Descriptor.Name == "ssh_brute_force");

        Assert.IsType<ThresholdRule>(rule);
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
        Assert.Contains("ssh_brute_force", error.Message);
        Assert.Contains("correlation.rules.ssh_bruteforce", e.Message);
    }

    [Fact]
    public void Build_OptionTheRuleDoesNotRead_ThrowsNamingRuleAndOption()
    {
        var e = Assert.Throws<ConfigException>(() => RuleCatalog.Build(With("root_login", new RuleOptions { SilentSec = 60 }), "h"));

        var error = Assert.Single(e.Errors);
        Assert.Equal("correlation.rules.root_login.silent_sec", error.Key);
        Assert.Contains("enabled, max_keys, severity, threshold, window_sec", error.Message);
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

        var rule = Assert.Single(RuleCatalog.Build(config.Correlation, config.Host), r => r.Descriptor.Name == "ssh_brute_force");
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

        Assert.DoesNotContain(RuleCatalog.Build(options, "h"), r => r.Descriptor.Name == "ssh_brute_force");
        var descriptor = Assert.Single(RuleCatalog.Describe(options), d => d.Name == "ssh_brute_force");
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
    public void Build_BadTimeZoneAndHoursOverride_ThrowsNamingEachOption()
    {
        var e = Assert.Throws<ConfigException>(() => RuleCatalog.Build(
            With("off_hours_login", new RuleOptions { TimeZone = "Mars/Olympus", Hours = ["9-17"] }), "h"));

        Assert.Contains(e.Errors, err => err.Key == "correlation.rules.off_hours_login.time_zone" && err.Message.Contains("Mars/Olympus"));
        Assert.Contains(e.Errors, err => err.Key == "correlation.rules.off_hours_login.hours[0]");
    }

    [Fact]
    public void Describe_Defaults_SaysThresholdAndWindow()
    {
        var d = Assert.Single(RuleCatalog.Describe(new CorrelationOptions()), r => r.Name == "ssh_brute_force");
        Assert.Equal("5 or more failed SSH logins from one source address within 300 s", d.Description);
        Assert.Equal(["3.14.6", "3.14.7"], d.NistControls);
        Assert.True(d.Enabled);
        Assert.Equal("threshold", d.Kind);
        Assert.Equal("event.action equals ssh_login and event.outcome equals failure", d.Filter);
    }

    [Fact]
    public void Build_RulesDirWithNewRule_AddsItBesideTheBuiltIns()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("cron_root.yaml"), """
            id: SITE-001
            name: cron_session_root
            title: Root cron session
            description: a cron session as root
            severity: info
            nist_controls: ["3.3.1"]
            kind: threshold
            match:
              process.name: {equals: CRON}
            group_by: [host.hostname]
            incident_title: "cron as root on {host.hostname}"
            """);

        var rules = RuleCatalog.Describe(new CorrelationOptions { RulesDir = dir.Path });

        var added = Assert.Single(rules, r => r.Name == "cron_session_root");
        Assert.Equal(dir.File("cron_root.yaml"), added.Origin);
        Assert.Equal(CatalogueNames.Length + 1, rules.Count);
    }

    [Fact]
    public void Build_RulesDirRedefinesBuiltInName_ThrowsNamingBothFiles()
    {
        using var dir = new TempDir();
        var builtIn = File.ReadAllText(Path.Combine(RepoRules(), "root_login.yaml")).Replace("BT-AUTH-004", "SITE-004", StringComparison.Ordinal);
        File.WriteAllText(dir.File("mine.yaml"), builtIn);

        var e = Assert.Throws<ConfigException>(() => RuleCatalog.Describe(new CorrelationOptions { RulesDir = dir.Path }));

        var error = Assert.Single(e.Errors);
        Assert.Equal(dir.File("mine.yaml"), error.Location);
        Assert.Contains("built-in rules/root_login.yaml", error.Message);
    }

    /// <summary>The repository's rules/ folder (the built-ins' source), found from the test binary upward.</summary>
    internal static string RepoRules()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (Directory.Exists(Path.Combine(d.FullName, "rules")) && File.Exists(Path.Combine(d.FullName, "rules", "ssh_brute_force.yaml")))
                return Path.Combine(d.FullName, "rules");
        throw new DirectoryNotFoundException("rules/ not found above the test binary");
    }
}
