using BlueTeam.Cli.Monitoring;
using BlueTeam.Engine.Daemon;

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
}
