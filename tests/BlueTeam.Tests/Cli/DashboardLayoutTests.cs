using BlueTeam.Cli.Monitoring;
using BlueTeam.Core.Events;
using BlueTeam.Engine.Daemon;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Cli;

public class DashboardLayoutTests
{
    [Theory]
    [InlineData(14, 3, 10, 50)]   // 80×24
    [InlineData(30, 40, 10, 50)]  // 40 sources on a 40-line terminal
    [InlineData(2, 5, 5, 5)]      // a terminal smaller than the minimum: still one row each
    [InlineData(60, 1, 0, 0)]     // nothing yet
    public void Share_NeverMoreRowsThanTheBudgetAllowsAndAtLeastOneEach(int budget, int sources, int incidents, int log)
    {
        var (s, i, l) = DashboardView.Share(budget, sources, Math.Max(1, incidents), log);
        Assert.InRange(s, 1, Math.Max(1, sources));
        Assert.InRange(i, 1, Math.Max(1, incidents));
        Assert.InRange(l, 0, log);
        Assert.True(s + i + l <= Math.Max(3, budget), $"{s}+{i}+{l} > {budget}");
    }

    [Fact]
    public void Share_ShortLog_GivesItsRowsToTheIncidents()
    {
        var (_, incidents, log) = DashboardView.Share(14, 1, 10, 1);
        Assert.Equal(1, log);
        Assert.Equal(10, incidents);
    }

    [Fact]
    public void RecentIncidents_UpdateOfAListedIncident_MovesItUpWithItsNewLastSeenAndSeverity_CountedOnce()
    {
        var stats = new DaemonStats { StartedAt = DateTimeOffset.UnixEpoch };
        var burst = AlertIncidents.Incident(Severity.High, fingerprint: "fp-burst");
        stats.Recent(burst, isNew: true);
        stats.Recent(AlertIncidents.Incident(Severity.Low, title: "other", ip: "198.51.100.1", fingerprint: "fp-other"), isNew: true);
        stats.Recent(burst with { Severity = Severity.Critical, LastSeen = burst.LastSeen.AddMinutes(30) }, isNew: false);
        stats.Recent(AlertIncidents.Incident(fingerprint: "fp-never-listed"), isNew: false); // an update of one not shown: not news

        var recent = stats.RecentIncidents();
        Assert.Equal(["fp-burst", "fp-other"], recent.Select(r => r.Fingerprint));
        Assert.Equal(burst.LastSeen.AddMinutes(30), recent[0].LastSeen);
        Assert.Equal(Severity.Critical, recent[0].Severity);
        Assert.Equal(1, stats.IncidentsOf(Severity.High));
        Assert.Equal(0, stats.IncidentsOf(Severity.Critical));
    }
}
