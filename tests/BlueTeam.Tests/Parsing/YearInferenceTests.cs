using BlueTeam.Core.Events;
using BlueTeam.Parsing;
using BlueTeam.Parsing.Auth;
using BlueTeam.Parsing.Syslog;
using BlueTeam.Sources;
using BlueTeam.Tests.Correlation;

namespace BlueTeam.Tests.Parsing;

/// <summary>RFC 3164 dates carry no year: New Year's Eve must not split a burst a year apart.</summary>
public class YearInferenceTests
{
    private static DateTimeOffset At(string line, ParseContext context)
    {
        Assert.True(SyslogHeaderParser.TryParse(line, context, out var record), line);
        return record.Timestamp;
    }

    private static ParseContext Utc(DateTimeOffset now, int? year = null) => new() { TimeZone = TimeZoneInfo.Utc, Now = now, Year = year };

    [Fact]
    public void Inferred_JanuaryLineReadOnNewYearsEve_IsNextYear()
    {
        // The sender's clock is a few seconds ahead of the log server's (or the file was last written on the 31st).
        var context = Utc(new DateTimeOffset(2026, 12, 31, 23, 59, 59, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 0, 5, TimeSpan.Zero), At("Jan  1 00:00:05 web01 sshd[1]: x", context));
        Assert.Equal(new DateTimeOffset(2026, 12, 31, 23, 59, 50, TimeSpan.Zero), At("Dec 31 23:59:50 web01 sshd[1]: x", context));
    }

    [Fact]
    public void Inferred_DecemberLineReadInJanuary_IsLastYear()
    {
        var context = Utc(new DateTimeOffset(2027, 1, 1, 0, 10, 0, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2026, 12, 31, 23, 59, 50, TimeSpan.Zero), At("Dec 31 23:59:50 web01 sshd[1]: x", context));
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 0, 5, TimeSpan.Zero), At("Jan  1 00:00:05 web01 sshd[1]: x", context));
        // A date two days ahead is not next year's: it is last year's (a log of old lines, or a clock far off).
        Assert.Equal(2026, At("Jan  3 00:00:00 web01 sshd[1]: x", context).Year);
    }

    [Fact]
    public void FixedYear_FirstLineTakesIt_DecemberToJanuaryMovesOn_StragglersKeepTheOldYear()
    {
        var context = Utc(new DateTimeOffset(2030, 6, 1, 0, 0, 0, TimeSpan.Zero), year: 2026);
        Assert.Equal(2026, At("Dec 31 23:59:58 web01 sshd[1]: x", context).Year);
        Assert.Equal(2027, At("Jan  1 00:00:02 web01 sshd[1]: x", context).Year);
        Assert.Equal(2026, At("Dec 31 23:59:59 web01 sshd[1]: x", context).Year); // written late
        Assert.Equal(2027, At("Jan  1 00:00:03 web01 sshd[1]: x", context).Year);
        Assert.Equal(2027, At("Feb  1 00:00:00 web01 sshd[1]: x", context).Year);
    }

    [Fact]
    public void FixedYear_MonthsGoingForward_StayInTheYear()
    {
        var context = Utc(DateTimeOffset.UnixEpoch, year: 2026);
        foreach (var month in new[] { "Jan", "Mar", "Jun", "Sep", "Dec" })
            Assert.Equal(2026, At($"{month}  1 00:00:00 web01 sshd[1]: x", context).Year);
    }

    [Fact]
    public void BruteForceAcrossMidnightOnNewYearsEve_IsOneBurst()
    {
        var parser = new AuthLogParser();
        var context = Utc(new DateTimeOffset(2027, 1, 1, 0, 5, 0, TimeSpan.Zero), year: 2026);
        string[] lines =
        [
            "Dec 31 23:59:57 web01 sshd[7]: Failed password for root from 203.0.113.7 port 40001 ssh2",
            "Dec 31 23:59:59 web01 sshd[7]: Failed password for root from 203.0.113.7 port 40002 ssh2",
            "Jan  1 00:00:01 web01 sshd[7]: Failed password for root from 203.0.113.7 port 40003 ssh2",
            "Jan  1 00:00:03 web01 sshd[7]: Failed password for root from 203.0.113.7 port 40004 ssh2",
            "Jan  1 00:00:05 web01 sshd[7]: Failed password for root from 203.0.113.7 port 40005 ssh2",
        ];
        var events = lines.Select(l => parser.Parse(new RawLine { Collector = "scan", Type = "auth", Path = "auth.log", Text = l }, context)
            ?? throw new InvalidOperationException(l)).ToList();
        var incident = Assert.Single(Rules.Run(Rules.Build("ssh_brute_force"), events));
        Assert.Equal(new DateTimeOffset(2026, 12, 31, 23, 59, 57, TimeSpan.Zero), incident.FirstSeen);
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 0, 5, TimeSpan.Zero), incident.LastSeen);
    }
}
