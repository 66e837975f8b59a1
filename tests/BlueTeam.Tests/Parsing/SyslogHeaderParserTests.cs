using BlueTeam.Parsing;
using BlueTeam.Parsing.Syslog;

namespace BlueTeam.Tests.Parsing;

public class SyslogHeaderParserTests
{
    private static readonly ParseContext Utc2026 = AuthLines.Context;

    [Fact]
    public void TryParse_Rfc3164WithPid_SplitsAllParts()
    {
        Assert.True(SyslogHeaderParser.TryParse("Mar 10 08:30:00 eqmon-web01 sshd[3021]: Failed password for root", Utc2026, out var r));
        Assert.Equal(new DateTimeOffset(2026, 3, 10, 8, 30, 0, TimeSpan.Zero), r.Timestamp);
        Assert.Equal("eqmon-web01", r.Hostname.ToString());
        Assert.Equal("sshd", r.Program.ToString());
        Assert.Equal(3021, r.Pid);
        Assert.Equal("Failed password for root", r.Message.ToString());
    }

    [Fact]
    public void TryParse_SpacePaddedDayAndProgramWithoutPid_ParsesBoth()
    {
        Assert.True(SyslogHeaderParser.TryParse("Jun  2 19:08:43 host.name sudo: vagrant : TTY=pts/0 ; USER=root", Utc2026, out var r));
        Assert.Equal(new DateTimeOffset(2025, 6, 2, 19, 8, 43, TimeSpan.Zero), r.Timestamp);
        Assert.Equal("sudo", r.Program.ToString());
        Assert.Null(r.Pid);
        Assert.Equal("vagrant : TTY=pts/0 ; USER=root", r.Message.ToString());
    }

    [Fact]
    public void TryParse_OldPamStyleTag_SeparatesProgramQualifierAndPid()
    {
        Assert.True(SyslogHeaderParser.TryParse("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown", Utc2026, out var r));
        Assert.Equal("combo", r.Hostname.ToString());
        Assert.Equal("sshd", r.Program.ToString());
        Assert.Equal("pam_unix", r.ProgramQualifier.ToString());
        Assert.Equal(19939, r.Pid);
        Assert.Equal("check pass; user unknown", r.Message.ToString());
    }

    [Fact]
    public void TryParse_Rfc3339WithOffset_KeepsPrecisionAndOffset()
    {
        Assert.True(SyslogHeaderParser.TryParse("2026-03-10T08:30:00.123456+01:00 eqmon-web01 sshd[7]: hello", Utc2026, out var r));
        Assert.Equal(new DateTimeOffset(2026, 3, 10, 8, 30, 0, TimeSpan.FromHours(1)).AddTicks(1_234_560), r.Timestamp);
        Assert.Equal(TimeSpan.FromHours(1), r.Timestamp.Offset);
        Assert.Equal("eqmon-web01", r.Hostname.ToString());
        Assert.Equal(7, r.Pid);
        Assert.Equal("hello", r.Message.ToString());
    }

    [Fact]
    public void TryParse_Rfc3339WithoutOffset_UsesContextZone()
    {
        // Filebeat's timestamp.log expects these two lines at 10:40:20.912-02:00 and 09:31:15.412-02:00 in a -02:00 zone.
        var minus2 = new ParseContext { TimeZone = TimeZoneInfo.CreateCustomTimeZone("minus2", TimeSpan.FromHours(-2), "minus2", "minus2") };
        Assert.True(SyslogHeaderParser.TryParse("2019-06-14T10:40:20.912134 localhost sudo: pam_unix(sudo-i:session): session opened", minus2, out var a));
        Assert.Equal(new DateTimeOffset(2019, 6, 14, 12, 40, 20, 912, TimeSpan.Zero).AddTicks(1340), a.Timestamp.ToUniversalTime());
        Assert.Equal("sudo", a.Program.ToString());
        Assert.True(SyslogHeaderParser.TryParse("2019-06-14T13:01:15.412+01:30 localhost pam: user nobody logged out.", minus2, out var b));
        Assert.Equal(new DateTimeOffset(2019, 6, 14, 9, 31, 15, 412, TimeSpan.FromHours(-2)), b.Timestamp);
        Assert.Equal("user nobody logged out.", b.Message.ToString());
    }

    [Fact]
    public void TryParse_Rfc3164InContextZone_AppliesZoneOffset()
    {
        var plus5 = new ParseContext { Year = 2026, TimeZone = TimeZoneInfo.CreateCustomTimeZone("plus5", TimeSpan.FromHours(5), "plus5", "plus5") };
        Assert.True(SyslogHeaderParser.TryParse("Mar 10 08:30:00 h sshd[1]: x", plus5, out var r));
        Assert.Equal(new DateTimeOffset(2026, 3, 10, 3, 30, 0, TimeSpan.Zero), r.Timestamp.ToUniversalTime());
    }

    [Fact]
    public void TryParse_DecemberLineReadInJanuary_InfersLastYear()
    {
        var january = new ParseContext { TimeZone = TimeZoneInfo.Utc, Now = new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero) };
        Assert.True(SyslogHeaderParser.TryParse("Dec 31 23:59:59 h sshd[1]: x", january, out var r));
        Assert.Equal(2025, r.Timestamp.Year);
        Assert.True(SyslogHeaderParser.TryParse("Jan  2 23:00:00 h sshd[1]: x", january, out var sameDay));
        Assert.Equal(2026, sameDay.Timestamp.Year);
    }

    [Fact]
    public void TryParse_ExplicitYear_WinsOverInference()
    {
        var fixedYear = new ParseContext { TimeZone = TimeZoneInfo.Utc, Year = 2019, Now = new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero) };
        Assert.True(SyslogHeaderParser.TryParse("Dec 31 23:59:59 h sshd[1]: x", fixedYear, out var r));
        Assert.Equal(2019, r.Timestamp.Year);
    }

    [Fact]
    public void TryParse_Feb29WithoutLeapYear_StepsBackToLastLeapYear()
    {
        var ctx = new ParseContext { TimeZone = TimeZoneInfo.Utc, Now = new DateTimeOffset(2026, 3, 15, 0, 0, 0, TimeSpan.Zero) };
        Assert.True(SyslogHeaderParser.TryParse("Feb 29 10:00:00 h sshd[1]: x", ctx, out var r));
        Assert.Equal(2024, r.Timestamp.Year);
    }

    [Fact]
    public void TryParse_CrlfLine_IgnoresTrailingCarriageReturn()
    {
        Assert.True(SyslogHeaderParser.TryParse("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186\r", Utc2026, out var r));
        Assert.Equal("Invalid user webmaster from 173.234.31.186", r.Message.ToString());
    }

    [Fact]
    public void TryParse_HostOmitted_ReadsTagAsFirstWord()
    {
        Assert.True(SyslogHeaderParser.TryParse("Mar 10 08:30:00 sshd[12]: Accepted password", Utc2026, out var r));
        Assert.True(r.Hostname.IsEmpty);
        Assert.Equal("sshd", r.Program.ToString());
        Assert.Equal(12, r.Pid);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello world")]
    [InlineData("Mar 10 08:30:00")]
    [InlineData("Mar 10 08:30:00 host")]
    [InlineData("Mar 10 08:30:00 host no tag here")]
    [InlineData("Foo 10 08:30:00 host sshd[1]: x")]
    [InlineData("Mar 32 08:30:00 host sshd[1]: x")]
    [InlineData("Mar 10 25:30:00 host sshd[1]: x")]
    [InlineData("Mar 10 08:30:00 host sshd[12a]: x")]
    [InlineData("Mar 10 08:30:00 host sshd[]: x")]
    [InlineData("Mar 10 08:30:00 host sshd(pam: x")]
    [InlineData("2026-02-30T08:30:00Z host sshd[1]: x")]
    [InlineData("2026-03-10T08:30:00+15:00 host sshd[1]: x")]
    [InlineData("0001-01-01T00:00:00+01:00 host sshd[1]: x")]
    [InlineData("2026-03-10T08:30:00. host sshd[1]: x")]
    [InlineData("2026-03-10 08:30:00 host sshd[1]: x")]
    public void TryParse_NotASyslogLine_ReturnsFalse(string line)
    {
        Assert.False(SyslogHeaderParser.TryParse(line, Utc2026, out _));
    }
}
