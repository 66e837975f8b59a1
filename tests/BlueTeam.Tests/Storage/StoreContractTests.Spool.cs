using BlueTeam.Alerting;
using BlueTeam.Storage;
using static BlueTeam.Tests.Storage.StoreTestData;

namespace BlueTeam.Tests.Storage;

// The spool, against a real outage of each backend.
public abstract partial class StoreContractTests
{
    private readonly string _spoolDirectory = Path.Combine(Path.GetTempPath(), "blueteam-spool-" + Guid.NewGuid().ToString("N"));

    private string SpoolPath => Path.Combine(_spoolDirectory, "alerts.spool");

    private SpoolingAlertStore Spooling(IBlueTeamStore inner)
    {
        Directory.CreateDirectory(_spoolDirectory);
        return new SpoolingAlertStore(inner, SpoolPath, Time);
    }

    // The assertions read through a store opened after the outage (as `blueteam alerts list` would):
    // Store's own idle pooled connections were cut by the outage, and on PostgreSQL each fails once.
    [Fact]
    public async Task SpoolingAlertStore_StoreDownThenBack_ReplaysEveryIncidentOnceInOrder()
    {
        try
        {
            await MigratedAsync();
            // A store of its own, as the daemon has: its pool sees the outage and the recovery.
            await using var daemonStore = OpenSameDatabase(Time);
            using var spooling = Spooling(daemonStore);
            await BreakStoreAsync();

            var first = await spooling.SaveOrSpoolAsync(Incident("fp-spool-1", eventCount: 5), HostA, ["email", "syslog"], CancellationToken.None);
            var second = await spooling.SaveAlertAsync(Incident("fp-spool-2"), HostA, ["syslog"], CancellationToken.None);
            var update = await spooling.SaveAlertAsync(Incident("fp-spool-1", eventCount: 12, lastSeen: T0.AddMinutes(2)), HostA, ["email", "syslog"], CancellationToken.None);

            Assert.True(first.Spooled);
            Assert.NotNull(first.StoreFailure);
            Assert.True(SpoolingAlertStore.IsSpooled(second));
            Assert.True(SpoolingAlertStore.IsSpooled(update));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(SpoolPath));
            Assert.Equal(3, File.ReadAllLines(SpoolPath).Length);

            await RestoreStoreAsync();
            // Still spooled while older saves wait, so the replay cannot move count and last_seen back.
            var whileWaiting = await spooling.SaveOrSpoolAsync(Incident("fp-spool-1", eventCount: 20, lastSeen: T0.AddMinutes(3)), HostA, ["email", "syslog"], CancellationToken.None);
            Assert.True(whileWaiting.Spooled);
            Assert.Null(whileWaiting.StoreFailure);

            var replay = await spooling.ReplaySpoolAsync(CancellationToken.None);
            await using var reader = OpenSameDatabase(Time);

            Assert.Equal(new SpoolReplay(Replayed: 4, Created: 2, TornTailDropped: false), replay);
            Assert.Equal(0, new FileInfo(SpoolPath).Length);
            Assert.Equal(0, await spooling.GetSpooledCountAsync(CancellationToken.None));
            var alerts = await reader.ListAlertsAsync(new AlertQuery(), CancellationToken.None);
            Assert.Equal(["fp-spool-1", "fp-spool-2"], alerts.Select(a => a.Fingerprint).Order());
            var one = alerts.Single(a => a.Fingerprint == "fp-spool-1");
            Assert.Equal(20, one.Incident.EventCount);
            Assert.Equal(["email", "syslog"], (await reader.GetDeliveriesAsync(one.Id, CancellationToken.None)).Select(d => d.Channel));
            Assert.True(Assert.Single(await reader.VerifyChainAsync(HostA, CancellationToken.None)).IsIntact);

            var live = await spooling.SaveAlertAsync(Incident("fp-spool-3"), HostA, [], CancellationToken.None);
            Assert.False(SpoolingAlertStore.IsSpooled(live));
            Assert.True(live.IsNew);
        }
        finally
        {
            if (Directory.Exists(_spoolDirectory)) Directory.Delete(_spoolDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task SpoolingAlertStore_SpoolDirectoryMissing_CreatesItOwnerOnlyAndSpools()
    {
        try
        {
            await MigratedAsync();
            await using var daemonStore = OpenSameDatabase(Time);
            var spoolPath = Path.Combine(_spoolDirectory, "not-yet", "alerts.spool");
            using var spooling = new SpoolingAlertStore(daemonStore, spoolPath, Time);
            await BreakStoreAsync();

            var saved = await spooling.SaveAlertAsync(Incident("fp-spool-new-dir"), HostA, ["syslog"], CancellationToken.None);

            Assert.True(SpoolingAlertStore.IsSpooled(saved));
            Assert.Single(File.ReadAllLines(spoolPath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(spoolPath)!));
            await RestoreStoreAsync();
        }
        finally
        {
            if (Directory.Exists(_spoolDirectory)) Directory.Delete(_spoolDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task ReplaySpoolAsync_StoreStillDown_ThrowsStoreExceptionAndKeepsTheSpool()
    {
        try
        {
            await MigratedAsync();
            await using var daemonStore = OpenSameDatabase(Time);
            using var spooling = Spooling(daemonStore);
            await BreakStoreAsync();
            await spooling.SaveAlertAsync(Incident("fp-spool-kept"), HostA, ["syslog"], CancellationToken.None);

            await Assert.ThrowsAsync<StoreException>(() => spooling.ReplaySpoolAsync(CancellationToken.None));

            Assert.Equal(1, await spooling.GetSpooledCountAsync(CancellationToken.None));
            Assert.Single(File.ReadAllLines(SpoolPath));
            await RestoreStoreAsync();
            Assert.Equal(1, (await spooling.ReplaySpoolAsync(CancellationToken.None)).Replayed);
            await using var reader = OpenSameDatabase(Time);
            Assert.Single(await reader.ListAlertsAsync(new AlertQuery(), CancellationToken.None));
        }
        finally
        {
            if (Directory.Exists(_spoolDirectory)) Directory.Delete(_spoolDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task ReplaySpoolAsync_TornLastLine_DropsItAndReplaysTheRest()
    {
        try
        {
            await MigratedAsync();
            await using var daemonStore = OpenSameDatabase(Time);
            using (var writer = Spooling(daemonStore))
            {
                await BreakStoreAsync();
                await writer.SaveAlertAsync(Incident("fp-spool-whole"), HostA, [], CancellationToken.None);
                await RestoreStoreAsync();
            }
            await File.AppendAllTextAsync(SpoolPath, "{\"v\":1,\"spooled_at\":\"2026-03-");
            // A new process over the same spool, as after the crash that tore the line.
            using var spooling = Spooling(daemonStore);

            var replay = await spooling.ReplaySpoolAsync(CancellationToken.None);

            Assert.Equal(new SpoolReplay(1, 1, TornTailDropped: true), replay);
            await using var reader = OpenSameDatabase(Time);
            Assert.Equal("fp-spool-whole", Assert.Single(await reader.ListAlertsAsync(new AlertQuery(), CancellationToken.None)).Fingerprint);
        }
        finally
        {
            if (Directory.Exists(_spoolDirectory)) Directory.Delete(_spoolDirectory, recursive: true);
        }
    }
}
