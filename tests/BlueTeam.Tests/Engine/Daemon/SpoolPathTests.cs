using BlueTeam.Engine.Daemon;
using BlueTeam.Core.Config;

namespace BlueTeam.Tests.Engine.Daemon;

/// <summary>
/// Two daemons on one host with different PostgreSQL stores once shared one spool file: during an outage one
/// replayed the other's incidents into its own store (found by the store-outage tests running side by side).
/// </summary>
public class SpoolPathTests
{
    private static string PostgresSpool(string connectionString) =>
        SpoolPath.For(new BlueTeamConfig { Database = new DatabaseOptions { Driver = DatabaseDriver.Postgres, ConnectionString = connectionString } });

    [Fact]
    public void SpoolPath_PostgresStores_DifferByServerAndDatabase_NotByPassword()
    {
        var a = PostgresSpool("Host=127.0.0.1;Port=5432;Username=blueteam;Database=blueteam;Password=one");
        Assert.Equal(a, PostgresSpool("Host=127.0.0.1;Port=5432;Username=blueteam;Database=blueteam;Password=two"));
        Assert.NotEqual(a, PostgresSpool("Host=127.0.0.1;Port=5433;Username=blueteam;Database=blueteam"));
        Assert.NotEqual(a, PostgresSpool("Host=127.0.0.1;Port=5432;Username=blueteam;Database=other"));
        Assert.DoesNotContain("one", Path.GetFileName(a), StringComparison.Ordinal);
        Assert.EndsWith(".spool.jsonl", a, StringComparison.Ordinal);
    }

    [Fact]
    public void SpoolPath_Sqlite_IsBesideTheDatabaseFile()
    {
        var path = SpoolPath.For(new BlueTeamConfig { Database = new DatabaseOptions { Path = "/srv/bt/alerts.db" } });
        Assert.Equal("/srv/bt/alerts.spool.jsonl", path);
    }
}
