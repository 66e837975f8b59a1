using System.Globalization;
using BlueTeam.Alerting;
using BlueTeam.Alerting.Channels;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Storage;
using BlueTeam.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace BlueTeam.Tests.Alerting;

/// <summary>
/// Faults with real parts: the SQLite store as the daemon opens it (StoreFactory), the real engine
/// and dispatcher, aiosmtpd and rsyslog on loopback. The clock is fake so backoff takes no time.
/// </summary>
public sealed class AlertFaultTests(SyslogServerFixture rsyslog) : IClassFixture<SyslogServerFixture>, IDisposable
{
    private const string Host = "eqmon-web01";
    private readonly FakeTimeProvider _time = new(AlertIncidents.Start);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string DatabasePath => Path.Combine(_dir.Path, "state", "blueteam.db");

    private async Task<IBlueTeamStore> OpenStoreAsync()
    {
        var store = StoreFactory.Create(new DatabaseOptions { Driver = DatabaseDriver.Sqlite, Path = DatabasePath }, _time);
        await store.MigrateAsync(CancellationToken.None);
        return store;
    }

    private static AlertingOptions CriticalToEmail() => new()
    {
        Routes = [new RouteOptions { Match = new RouteMatchOptions { MinSeverity = Severity.Critical }, Channels = ["email"] }],
    };

    private EmailChannel Email(int port) => new(new EmailChannelOptions
    {
        Enabled = true, SmtpHost = "127.0.0.1", SmtpPort = port, Tls = SmtpTls.None, Recipients = ["soc@example.org"], TimeoutSec = 5,
    }, _time);

    private AlertEngine Engine(AlertingOptions options, IAlertStore store, IReadOnlyDictionary<string, IAlertChannel> channels)
    {
        var noise = store as AdoStore;
        return new AlertEngine(new AlertRouter(options, channels.Keys), store, Host, options, _time, noise, noise, noise);
    }

    private static SecurityIncident Numbered(int n, Severity severity = Severity.Critical) =>
        AlertIncidents.Incident(severity, title: $"SSH brute force #{n}", ip: $"203.0.113.{n % 250}", fingerprint: $"fault-{n}");

    private static long AlertId(MimeKit.MimeMessage m) => long.Parse(m.Headers["X-BlueTeam-Alert-Id"] ?? "0", CultureInfo.InvariantCulture);

    [Fact]
    public async Task SmtpDownWhile100Raised_ThenUp_EachDeliveredExactlyOnce()
    {
        await using var store = await OpenStoreAsync();
        var port = SmtpServerFixture.FreeLoopbackPort();
        var channels = new Dictionary<string, IAlertChannel> { ["email"] = Email(port) };
        var engine = Engine(CriticalToEmail(), store, channels);
        var dispatcher = new DeliveryDispatcher(store, channels, _time, new DeliveryRetryOptions { Jitter = () => 1.0 });

        // SMTP is down: a round every 10 raises, as the delivery worker would run meanwhile.
        for (var n = 0; n < 100; n++)
        {
            await engine.RaiseAsync(Numbered(n), CancellationToken.None);
            if (n % 10 == 9)
            {
                await dispatcher.DispatchDueAsync(CancellationToken.None);
                _time.Advance(TimeSpan.FromSeconds(5));
            }
        }
        var delivered = dispatcher.Delivered;

        using var smtp = new SmtpServerFixture(port);
        for (var round = 0; round < 20 && dispatcher.Delivered < 100; round++)
        {
            _time.Advance(TimeSpan.FromMinutes(1));
            await dispatcher.DrainAsync(10, CancellationToken.None);
        }

        Assert.Equal(0, delivered);
        var mails = smtp.Messages();
        Assert.Equal(100, mails.Count);
        Assert.Equal(100, mails.Select(AlertId).Distinct().Count());
        var alerts = await store.ListAlertsAsync(new AlertQuery { Limit = 500 }, CancellationToken.None);
        Assert.Equal(alerts.Select(a => a.Id).Order(), mails.Select(AlertId).Order());
        foreach (var alert in alerts)
            Assert.Equal(DeliveryStatus.Delivered, Assert.Single(await store.GetDeliveriesAsync(alert.Id, CancellationToken.None)).Status);
    }

    [Fact]
    public async Task SmtpRefusesPermanently_AlertDeliveryFailureWrittenByRsyslog()
    {
        await using var store = await OpenStoreAsync();
        await using var smtp = new SmtpScriptedServer(new() { ["RCPT"] = "550 5.1.1 mailbox unavailable" });
        var options = CriticalToEmail();
        var channels = new Dictionary<string, IAlertChannel>
        {
            ["email"] = Email(smtp.Port),
            ["syslog"] = new RemoteSyslogChannel(new SyslogChannelOptions { Transport = SyslogTransport.Udp, Server = "127.0.0.1", Port = rsyslog.UdpPort, TimeoutSec = 5 }, _time),
        };
        var engine = Engine(options, store, channels);
        var dispatcher = new DeliveryDispatcher(store, channels, _time);
        var monitor = new DeliveryHealthMonitor(options.DeliveryFailure, Host, _time);

        var raised = await engine.RaiseAsync(Numbered(1), CancellationToken.None);
        // What the daemon's delivery worker does each round.
        var attempts = await dispatcher.DispatchDueAsync(CancellationToken.None);
        var failures = monitor.Observe(attempts);
        foreach (var failure in failures)
            await engine.RaiseDeliveryFailureAsync(failure, monitor.IsHealthy, CancellationToken.None);
        var second = await dispatcher.DispatchDueAsync(CancellationToken.None);

        Assert.Equal(["email"], raised.Queued);
        var emailAttempt = Assert.Single(attempts);
        Assert.Equal(DeliveryStatus.Failed, emailAttempt.Status);
        Assert.Contains("550", emailAttempt.Error, StringComparison.Ordinal);
        Assert.Equal("email", Assert.Single(failures).FailingChannel);
        var syslogAttempt = Assert.Single(second);
        Assert.Equal(("syslog", DeliveryStatus.Delivered), (syslogAttempt.Channel, syslogAttempt.Status));
        var line = await rsyslog.WaitForLineAsync("Alert delivery to email is failing", TimeSpan.FromSeconds(10));
        // err (high) on local6, as rsyslog understood the record.
        Assert.StartsWith("3 22 blueteam incident ", line, StringComparison.Ordinal);
        var stored = Assert.Single(await store.ListAlertsAsync(new AlertQuery { RuleName = DeliveryHealthMonitor.RuleName }, CancellationToken.None));
        Assert.Equal(["3.3.4"], stored.Incident.NistControls);
        Assert.Contains("550", stored.Incident.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StoreDownForABurst_SpoolReplays_EveryAlertStoredAndDeliveredOnce()
    {
        await using var store = await OpenStoreAsync();
        using var spool = new SpoolingAlertStore(store, Path.Combine(_dir.Path, "alerts.spool"), _time);
        var file = Path.Combine(_dir.Path, "alerts.jsonl");
        var options = new AlertingOptions { Routes = [new RouteOptions { Match = new(), Channels = ["file"] }] };
        var channels = new Dictionary<string, IAlertChannel> { ["file"] = new FileChannel(new FileChannelOptions { Enabled = true, Path = file }) };
        // As the daemon wires it: the spool is the engine's store and its source of silences, acks and history.
        var engine = new AlertEngine(new AlertRouter(options, channels.Keys), spool, Host, options, _time, spool, spool, spool);
        var dispatcher = new DeliveryDispatcher(spool, channels, _time, scheduler: (IDeliveryScheduler)store);

        for (var n = 0; n < 10; n++) await engine.RaiseAsync(Numbered(n, Severity.High), CancellationToken.None);
        await BreakSqliteAsync();
        var spooled = 0;
        for (var n = 10; n < 60; n++)
            if ((await engine.RaiseAsync(Numbered(n, Severity.High), CancellationToken.None)).AlertId == SpoolingAlertStore.SpooledAlertId) spooled++;
        await RestoreSqliteAsync();
        var replay = await spool.ReplaySpoolAsync(CancellationToken.None);
        for (var n = 60; n < 70; n++) await engine.RaiseAsync(Numbered(n, Severity.High), CancellationToken.None);
        await dispatcher.DrainAsync(10, CancellationToken.None);

        Assert.Equal(50, spooled);
        Assert.Equal(50, replay.Created);
        var alerts = await store.ListAlertsAsync(new AlertQuery { Limit = 500 }, CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, 70).Select(n => $"fault-{n}").Order(), alerts.Select(a => a.Fingerprint).Order());
        var lines = await File.ReadAllLinesAsync(file);
        Assert.Equal(70, lines.Length);
        Assert.Equal(70, lines.Distinct().Count());
    }

    [Fact]
    public async Task KilledAfterASendBeforeItWasRecorded_RestartLosesNothingAndDuplicatesOnlyThatOne()
    {
        using var smtp = new SmtpServerFixture(null);
        var channels = new Dictionary<string, IAlertChannel> { ["email"] = Email(smtp.Port) };
        var options = CriticalToEmail();
        await using (var store = await OpenStoreAsync())
        {
            var engine = Engine(options, store, channels);
            for (var n = 0; n < 20; n++) await engine.RaiseAsync(Numbered(n), CancellationToken.None);
            // The process dies after the 8th message was accepted by the server but before its row was
            // marked delivered: the last thing it did was the send.
            var dying = new DiesOnRecordStore(store, dieOnRecord: 8);
            var dispatcher = new DeliveryDispatcher(dying, channels, _time, scheduler: (IDeliveryScheduler)store);
            await Assert.ThrowsAsync<ProcessKilledException>(() => dispatcher.DispatchDueAsync(CancellationToken.None));
        }
        SqliteConnection.ClearAllPools();

        // The restarted daemon opens the same database and runs its delivery worker.
        await using var reopened = await OpenStoreAsync();
        var restarted = new DeliveryDispatcher(reopened, channels, _time);
        await restarted.DrainAsync(10, CancellationToken.None);

        var mails = smtp.Messages();
        var perAlert = mails.GroupBy(AlertId).ToDictionary(g => g.Key, g => g.Count());
        var alerts = await reopened.ListAlertsAsync(new AlertQuery { Limit = 500 }, CancellationToken.None);
        Assert.Equal(20, alerts.Count);
        Assert.Equal(alerts.Select(a => a.Id).Order(), perAlert.Keys.Order());
        // At least once: exactly the send that completed without being recorded went twice.
        var twice = Assert.Single(perAlert, p => p.Value > 1);
        Assert.Equal(2, twice.Value);
        Assert.Equal(21, mails.Count);
        Assert.Equal("fault-7", alerts.Single(a => a.Id == twice.Key).Fingerprint);
    }

    // SQLite made unavailable as the storage tests do it: a file where the database's directory was.
    private async Task BreakSqliteAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Move(Path.GetDirectoryName(DatabasePath)!, Path.Combine(_dir.Path, "state.away"));
        await File.WriteAllTextAsync(Path.GetDirectoryName(DatabasePath)!, "not a directory");
    }

    private Task RestoreSqliteAsync()
    {
        File.Delete(Path.GetDirectoryName(DatabasePath)!);
        Directory.Move(Path.Combine(_dir.Path, "state.away"), Path.GetDirectoryName(DatabasePath)!);
        return Task.CompletedTask;
    }

    private sealed class ProcessKilledException() : Exception("SIGKILL (simulated)");

    /// <summary>The store as seen by a process that is killed at its Nth delivery record: that write never happens.</summary>
    private sealed class DiesOnRecordStore(IAlertStore inner, int dieOnRecord) : IAlertStore
    {
        private int _records;

        public Task RecordDeliveryAttemptAsync(long deliveryId, DeliveryStatus status, string? error, DateTimeOffset attemptedAt, DateTimeOffset? nextAttemptAt, CancellationToken cancellationToken) =>
            ++_records == dieOnRecord ? throw new ProcessKilledException() : inner.RecordDeliveryAttemptAsync(deliveryId, status, error, attemptedAt, nextAttemptAt, cancellationToken);

        public Task<AlertSaveResult> SaveAlertAsync(SecurityIncident incident, string host, IReadOnlyCollection<string> channels, CancellationToken cancellationToken) => inner.SaveAlertAsync(incident, host, channels, cancellationToken);
        public Task<IReadOnlyList<AlertSaveResult>> SaveAlertsAsync(IReadOnlyList<AlertSaveRequest> saves, CancellationToken cancellationToken) => inner.SaveAlertsAsync(saves, cancellationToken);
        public Task<IReadOnlyList<PendingDelivery>> GetDueDeliveriesAsync(DateTimeOffset now, int max, CancellationToken cancellationToken) => inner.GetDueDeliveriesAsync(now, max, cancellationToken);
        public Task<IReadOnlyList<AlertRecord>> ListAlertsAsync(AlertQuery query, CancellationToken cancellationToken) => inner.ListAlertsAsync(query, cancellationToken);
        public Task<AlertRecord?> GetAlertAsync(long id, CancellationToken cancellationToken) => inner.GetAlertAsync(id, cancellationToken);
        public Task<IReadOnlyList<DeliveryRecord>> GetDeliveriesAsync(long alertId, CancellationToken cancellationToken) => inner.GetDeliveriesAsync(alertId, cancellationToken);
    }
}
