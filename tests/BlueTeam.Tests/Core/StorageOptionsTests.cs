using BlueTeam.Core.Config;

namespace BlueTeam.Tests.Core;

/// <summary>storage.sealing, storage.watch_interval_sec and storage.retention: defaults, and refusals that name the key.</summary>
public class StorageOptionsTests
{
    [Fact]
    public void Defaults_FifteenMinuteEpochs_WatchEveryFiveSeconds_StateBesideNotInsideTheDatabasesFolder_ChainHeadAnnounced()
    {
        var c = ConfigLoader.Parse("database: {driver: sqlite, path: /srv/bt/db/blueteam.db}", "test.yaml");

        Assert.Equal(15, c.Storage.Sealing.EpochMinutes);
        Assert.Equal(TimeSpan.FromSeconds(5), c.Storage.WatchInterval);
        Assert.True(c.Alerting.Syslog.SendChainHead);
        Assert.Equal(0, c.Storage.Retention.Days); // keeps everything unless someone chose a period
        Assert.Equal(6, c.Storage.Retention.IntervalHours);
        Assert.False(SealingOptions.IsInsideFolderOf(c.Storage.Sealing.ResolveStatePath(), DefaultPaths.Database()));
    }

    [Fact]
    public void Refused_BadValuesAndAStateInTheDatabasesFolder_EachNamedByItsKey()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""
            database: {driver: sqlite, path: /srv/bt/db/blueteam.db}
            storage:
              sealing: {epoch_minutes: 0, state_path: /srv/bt/db/keys/sealing.state}
              watch_interval_sec: 7200
              retention: {days: -1, interval_hours: 0}
            """, "test.yaml"));

        var keys = e.Errors.Select(x => x.Key).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["storage.retention.days", "storage.retention.interval_hours", "storage.sealing.epoch_minutes", "storage.sealing.state_path", "storage.watch_interval_sec"], keys);
        Assert.Contains(e.Errors, x => x.Key == "storage.sealing.state_path" && x.Message.Contains("outside the database's folder", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/srv/bt/db/sealing.state", true)]
    [InlineData("/srv/bt/db/sub/sealing.state", true)]
    [InlineData("/srv/bt/db-seal/sealing.state", false)] // a sibling whose name starts alike is outside
    [InlineData("/srv/bt/sealing.state", false)]
    public void IsInsideFolderOf_ComparesWholePathSegments(string state, bool inside) =>
        Assert.Equal(inside, SealingOptions.IsInsideFolderOf(state, "/srv/bt/db/blueteam.db"));
}
