using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Security;

/// <summary>Secrets never printed (config show, errors), the store and spool created 0600.</summary>
public class SecretsAndFilesTests : IDisposable
{
    private const string SmtpPassword = "Smtp-S3cret-pw";
    private const string WebhookSecret = "Hmac-S3cret-key";
    private const string PgPassword = "Pg-S3cret-pw";
    private const string ApiKey = "Api-S3cret-token";
    private const string UrlPassword = "Url-S3cret-pw";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static void AssertNoSecret(string text)
    {
        foreach (var secret in new[] { SmtpPassword, WebhookSecret, PgPassword, ApiKey, UrlPassword })
            Assert.False(text.Contains(secret, StringComparison.Ordinal), $"secret {secret} printed:\n{text}");
    }

    private string Config(string database)
    {
        File.WriteAllText(_dir.File("c.yaml"), $$"""
        host: secrets-host
        database: {{database}}
        alerting:
          console: {enabled: false}
          syslog: {enabled: false}
          email: {enabled: true, smtp_host: 127.0.0.1, smtp_port: {{SmtpServerFixture.FreeLoopbackPort()}}, tls: none, smtp_username: bt, smtp_password: {{SmtpPassword}}, from_address: bt@example.org, recipients: [soc@example.org], timeout_sec: 3}
          webhook: {enabled: true, url: "http://hook:{{UrlPassword}}@127.0.0.1:{{SmtpServerFixture.FreeLoopbackPort()}}/in", secret: {{WebhookSecret}}, headers: {Authorization: "Bearer {{ApiKey}}"}, timeout_sec: 3}
        """);
        return _dir.File("c.yaml");
    }

    [Fact]
    public async Task ConfigShow_EverySecretKind_Masked()
    {
        var config = Config($"{{driver: postgres, connection_string: \"Host=127.0.0.1;Port=1;Username=bt;Password={PgPassword};Database=bt\"}}");
        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["--config", config, "config", "show"]);
        Assert.True(exit == 0, stderr);
        AssertNoSecret(stdout + stderr);
        Assert.Contains("alerting.email.smtp_password = ********", stdout);
        Assert.Contains("database.connection_string = Host=127.0.0.1;Port=1;Username=bt;Password=********;Database=bt", stdout);
        Assert.Contains("alerting.webhook.headers.Authorization = ********", stdout);
        Assert.Contains("alerting.webhook.url = http://hook:********@127.0.0.1:", stdout);
    }

    [Fact]
    public async Task StoreAndDeliveryErrors_WithPasswordsConfigured_NeverPrintThem()
    {
        // PostgreSQL unreachable: the store error names where, not the credentials.
        var pg = Config($"{{driver: postgres, connection_string: \"Host=127.0.0.1;Port={SmtpServerFixture.FreeLoopbackPort()};Username=bt;Password={PgPassword};Database=bt;Timeout=3\"}}");
        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["--config", pg, "alerts", "list"]);
        Assert.Equal(3, exit);
        AssertNoSecret(stdout + stderr);

        // SMTP and webhook down: test-alert reports each channel's failure without the secrets.
        var sqlite = Config($"{{driver: sqlite, path: {_dir.File("bt.db")}}}");
        (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["--config", sqlite, "test-alert", "--severity", "critical"]);
        Assert.Equal(1, exit);
        Assert.Contains("email", stdout + stderr);
        AssertNoSecret(stdout + stderr);
    }

    [Fact]
    public async Task StoreAndSpool_Created0600_DirectoryNotWorldReadable()
    {
        var stateDir = Path.Combine(_dir.Path, "state");
        var db = Path.Combine(stateDir, "blueteam.db");
        var config = Config($"{{driver: sqlite, path: {db}}}");
        var (exit, _, stderr) = await BlueTeamProcess.RunAsync(["--config", config, "db", "migrate"]);
        Assert.True(exit == 0, stderr);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(db));
        Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(stateDir) & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute));
        foreach (var sidecar in new[] { db + "-wal", db + "-shm", db + "-journal" }.Where(File.Exists))
            Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(sidecar) & (UnixFileMode.OtherRead | UnixFileMode.GroupRead));
    }
}
