using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Parsing;
using BlueTeam.Parsing.Auth;
using BlueTeam.Sources;

namespace BlueTeam.Tests.Parsing;

public class ParserRegistryTests
{
    private readonly ParserRegistry _registry = ParserRegistry.CreateDefault();

    [Fact]
    public void Parse_AuthLine_DispatchesToAuthParser()
    {
        var e = _registry.Parse(AuthLines.Line(AuthLines.FailedPassword(new TimeSpan(8, 30, 0), "203.0.113.7")), AuthLines.Context);
        Assert.Equal(EventActions.SshLogin, e?.Event.Action);
        Assert.Equal("203.0.113.7", e?.Source?.Ip);
    }

    [Theory]
    [InlineData("audit")]
    [InlineData("access")]
    [InlineData("json")]
    public void Parse_FormatWithoutParser_ReturnsNull(string type)
    {
        var line = AuthLines.Line(AuthLines.FailedPassword(new TimeSpan(8, 30, 0), "203.0.113.7")) with { Type = type };
        Assert.Null(_registry.Parse(line, AuthLines.Context));
    }

    [Fact]
    public void Parse_CollectorError_BecomesFailedCollectorErrorEvent()
    {
        var line = new RawLine
        {
            Collector = "auth_log", Type = "auth", Path = "/var/log/secure",
            Text = "permission denied: /var/log/secure", Kind = RawLineKind.CollectorError,
        };

        var e = _registry.Parse(line, AuthLines.Context);

        Assert.NotNull(e);
        Assert.Equal(EventActions.CollectorError, e.Event.Action);
        Assert.Equal(EcsValues.Failure, e.Event.Outcome);
        Assert.Equal("permission denied: /var/log/secure", e.Message);
        Assert.Equal(AuthLines.Context.Now, e.Timestamp);
        Assert.Equal("/var/log/secure", e.Log?.File?.Path);
        Assert.Equal("eqmon-web01", e.Host?.Hostname);
        Assert.Equal("auth_log", e.Labels?["collector"]);
    }

    [Fact]
    public void Parse_LogTruncated_BecomesLogTruncatedEvent()
    {
        var line = new RawLine
        {
            Collector = "auth_log", Type = "auth", Path = "/var/log/auth.log",
            Text = "file shrank from 18344 to 0 bytes", Kind = RawLineKind.LogTruncated, Offset = 18344,
        };

        var e = _registry.Parse(line, AuthLines.Context);

        Assert.Equal(EventActions.LogTruncated, e?.Event.Action);
        Assert.Equal("file shrank from 18344 to 0 bytes", e?.Message);
        Assert.Equal(18344, e?.Log?.Offset);
    }

    [Fact]
    public void Constructor_TwoParsersForOneFormat_Throws()
    {
        Assert.Throws<ArgumentException>(() => new ParserRegistry([new AuthLogParser(), new AuthLogParser()]));
    }
}
