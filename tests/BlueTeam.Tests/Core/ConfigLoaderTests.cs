using System.Collections;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;

namespace BlueTeam.Tests.Core;

public class ConfigLoaderTests
{
    // The file from the walking-skeleton issue, as written.
    internal const string IssueExample = """
        host: eqmon-web01                 # default: the machine's hostname
        database:
          driver: sqlite                  # sqlite | postgres
          path: /var/lib/blueteam/blueteam.db
          # connection_string: "Host=127.0.0.1;Port=5432;Username=blueteam;Database=blueteam"
        monitoring:
          poll_interval_sec: 5
        collectors:
          auth_log:
            type: auth                    # auth | audit | access | journald | json
            paths: [/var/log/auth.log, /var/log/secure]
        correlation:
          rules:
            ssh_brute_force: {threshold: 5, window_sec: 300}
        alerting:
          console: {enabled: true}
          syslog: {enabled: true}
          email:
            enabled: true
            smtp_host: localhost
            smtp_port: 587
            from_address: blueteam@eqmon.local
            recipients: [soc@example.org]
        """;

    private static ConfigException Refused(string yaml, IDictionary? env = null) =>
        Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml, "test.yaml", env));

    [Fact]
    public void Parse_IssueExample_BindsEveryKey()
    {
        var c = ConfigLoader.Parse(IssueExample, "test.yaml");
        Assert.Equal("eqmon-web01", c.Host);
        Assert.Equal(DatabaseDriver.Sqlite, c.Database.Driver);
        Assert.Equal("/var/lib/blueteam/blueteam.db", c.Database.Path);
        Assert.Equal(TimeSpan.FromSeconds(5), c.Monitoring.PollInterval);
        Assert.Equal(["/var/log/auth.log", "/var/log/secure"], c.Collectors["auth_log"].Paths);
        Assert.Equal("auth", c.Collectors["auth_log"].Type);
        Assert.Equal(5, c.Correlation.Rules["ssh_brute_force"].Threshold);
        Assert.Equal(300, c.Correlation.Rules["ssh_brute_force"].WindowSec);
        Assert.True(c.Alerting.Email.Enabled);
        Assert.Equal(["soc@example.org"], c.Alerting.Email.Recipients);
    }

    [Fact]
    public void Parse_Empty_GivesDefaults()
    {
        var c = ConfigLoader.Parse("", "none");
        Assert.Equal(Environment.MachineName, c.Host);
        Assert.Equal(5, c.Monitoring.PollIntervalSec);
        Assert.True(c.Collectors.ContainsKey("auth_log"));
        Assert.False(c.Alerting.Email.Enabled);
    }

    [Fact]
    public void Parse_UnknownKey_NamesKeyAndLine()
    {
        var e = Refused("monitoring:\n  poll_interval_sec: 5\n  poll_intervall: 3\n");
        var error = Assert.Single(e.Errors);
        Assert.Equal("monitoring.poll_intervall", error.Key);
        Assert.Equal("test.yaml:3:3", error.Location);
        Assert.Contains("unknown key", error.Message);
        Assert.Contains("poll_interval_sec", error.Message);
    }

    [Fact]
    public void Parse_MaxLineBytes_BoundAndOutOfRangeNamed()
    {
        var c = ConfigLoader.Parse("collectors:\n  auth_log: {type: auth, paths: [/var/log/auth.log], max_line_bytes: 4096}\n", "test.yaml");
        Assert.Equal(4096, c.Collectors["auth_log"].MaxLineBytes);
        Assert.Equal(65536, ConfigLoader.Parse("", "none").Collectors["auth_log"].MaxLineBytes);

        var error = Assert.Single(Refused("collectors:\n  auth_log: {type: auth, paths: [/var/log/auth.log], max_line_bytes: 10}\n").Errors);
        Assert.Equal("collectors.auth_log.max_line_bytes", error.Key);
        Assert.Contains("between 256 and", error.Message);
    }

    [Fact]
    public void Parse_WrongType_SaysWhatWasExpected()
    {
        var e = Refused("alerting:\n  email:\n    smtp_port: twenty-five\n");
        var error = Assert.Single(e.Errors);
        Assert.Equal("alerting.email.smtp_port", error.Key);
        Assert.Equal("test.yaml:3:16", error.Location);
        Assert.Contains("whole number", error.Message);
    }

    [Fact]
    public void Parse_ImpossibleValue_NamesKeyAndLine()
    {
        var e = Refused("monitoring:\n  poll_interval_sec: 0\n");
        var error = Assert.Single(e.Errors);
        Assert.Equal("monitoring.poll_interval_sec", error.Key);
        Assert.Equal("test.yaml:2:22", error.Location);
    }

    [Fact]
    public void Parse_EmailEnabledWithoutRecipients_IsRefused()
    {
        var e = Refused("alerting:\n  email:\n    enabled: true\n");
        Assert.Contains(e.Errors, x => x.Key == "alerting.email.recipients");
    }

    [Fact]
    public void Parse_BadEnum_ListsChoices()
    {
        var e = Refused("database:\n  driver: mysql\n");
        Assert.Contains("sqlite, postgres", Assert.Single(e.Errors).Message);
    }

    [Fact]
    public void Parse_SyntaxError_GivesLine()
    {
        var e = Refused("monitoring:\n  poll_interval_sec: [1,\n");
        Assert.StartsWith("test.yaml:", Assert.Single(e.Errors).Location);
    }

    [Fact]
    public void Parse_EnvironmentOverride_SetsNestedKeyAndIsNamedInErrors()
    {
        var env = new Hashtable
        {
            ["BLUETEAM__ALERTING__EMAIL__SMTP_PASSWORD"] = "s3cret",
            ["BLUETEAM__MONITORING__POLL_INTERVAL_SEC"] = "7",
        };
        var c = ConfigLoader.Parse(IssueExample, "test.yaml", env);
        Assert.Equal("s3cret", c.Alerting.Email.SmtpPassword);
        Assert.Equal(7, c.Monitoring.PollIntervalSec);

        var bad = Refused("", new Hashtable { ["BLUETEAM__MONITORING__POLL_INTERVAL_SEC"] = "soon" });
        Assert.Equal("environment BLUETEAM__MONITORING__POLL_INTERVAL_SEC", Assert.Single(bad.Errors).Location);
    }

    [Fact]
    public void Flatten_MasksSecrets()
    {
        var c = ConfigLoader.Parse(IssueExample, "test.yaml", new Hashtable { ["BLUETEAM__ALERTING__EMAIL__SMTP_PASSWORD"] = "s3cret" });
        var flat = ConfigLoader.Flatten(c).ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("********", flat["alerting.email.smtp_password"]);
        Assert.DoesNotContain(flat.Values, v => v.Contains("s3cret", StringComparison.Ordinal));
        Assert.Equal("5", flat["correlation.rules.ssh_brute_force.threshold"]);
    }

    [Fact]
    public void Parse_RuleSeverityOverride_ParsesSeverity()
    {
        var c = ConfigLoader.Parse("correlation:\n  rules:\n    ssh_brute_force: {severity: critical}\n", "t");
        Assert.Equal(Severity.Critical, c.Correlation.Rules["ssh_brute_force"].Severity);
    }
}
