using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Parsing;
using BlueTeam.Sources;

namespace BlueTeam.Tests.Parsing;

public class AccessAndAppParserTests
{
    private readonly ParserRegistry _registry = ParserRegistry.CreateDefault();

    private static RawLine Line(string text, string type) => new() { Collector = "c", Type = type, Path = "/var/log/x", Text = text };

    [Fact]
    public void Parse_CombinedLogLine_FillsHttpUrlAndUserAgent()
    {
        var e = _registry.Parse(Line("203.0.113.7 - bob [10/Mar/2026:08:30:00 +0100] \"POST /login?next=%2F HTTP/1.1\" 401 12 \"https://eqmon/\" \"curl/8.0\"", "access"), AuthLines.Context);
        Assert.NotNull(e);
        Assert.Equal(EventActions.HttpRequest, e.Event.Action);
        Assert.Equal(EcsValues.Failure, e.Event.Outcome);
        Assert.Equal("203.0.113.7", e.Source?.Ip);
        Assert.Equal("bob", e.User?.Name);
        Assert.Equal("POST", e.Http?.Request?.Method);
        Assert.Equal("1.1", e.Http?.Version);
        Assert.Equal(401, e.Http?.Response?.StatusCode);
        Assert.Equal(12, e.Http?.Response?.Body?.Bytes);
        Assert.Equal("https://eqmon/", e.Http?.Request?.Referrer);
        Assert.Equal("/login", e.Url?.Path);
        Assert.Equal("next=%2F", e.Url?.Query);
        Assert.Equal("curl/8.0", e.UserAgent?.Original);
        Assert.Equal(new DateTimeOffset(2026, 3, 10, 7, 30, 0, TimeSpan.Zero), e.Timestamp);
    }

    [Fact]
    public void Parse_ProxyChainClient_PicksFirstPublicAndKeepsPeer()
    {
        var e = _registry.Parse(Line("10.0.0.2, 198.51.100.9, 10.0.0.1 - - [10/Mar/2026:08:30:00 +0000] \"GET / HTTP/1.1\" 200 5", "access"), AuthLines.Context);
        Assert.Equal("198.51.100.9", e?.Source?.Ip);
        Assert.Equal("10.0.0.1", e?.Labels?["http_peer"]);
    }

    [Theory]
    [InlineData("{\"timestamp\":\"2026-03-10T08:30:00Z\",\"event\":\"login_failed\",\"user\":\"bob\",\"ip\":\"203.0.113.7\"}", EventActions.AppLogin, EcsValues.Failure)]
    [InlineData("{\"timestamp\":\"2026-03-10T08:30:00Z\",\"event\":\"login\",\"outcome\":\"success\",\"user\":\"bob\",\"ip\":\"203.0.113.7\"}", EventActions.AppLogin, EcsValues.Success)]
    [InlineData("{\"timestamp\":\"2026-03-10T08:30:00Z\",\"event\":\"permission_denied\",\"user\":\"bob\",\"ip\":\"203.0.113.7\"}", EventActions.AppPermissionDenied, EcsValues.Failure)]
    [InlineData("{\"timestamp\":\"2026-03-10T08:30:00Z\",\"event\":\"cui_export\",\"user\":\"bob\",\"ip\":\"203.0.113.7\",\"record_count\":250}", EventActions.AppCuiExport, EcsValues.Success)]
    public void Parse_AppJsonLine_ClassifiesEvent(string json, string action, string outcome)
    {
        var e = _registry.Parse(Line(json, "json"), AuthLines.Context);
        Assert.Equal(action, e?.Event.Action);
        Assert.Equal(outcome, e?.Event.Outcome);
        Assert.Equal("bob", e?.User?.Name);
        Assert.Equal("203.0.113.7", e?.Source?.Ip);
    }

    [Fact]
    public void Parse_CuiExport_LabelsCuiAndRecordCount()
    {
        var e = _registry.Parse(Line("{\"timestamp\":\"2026-03-10T08:30:00Z\",\"event\":\"export\",\"cui\":true,\"user\":\"bob\",\"record_count\":250}", "json"), AuthLines.Context);
        Assert.Equal(EventActions.AppCuiExport, e?.Event.Action);
        Assert.Equal("true", e?.Labels?["cui"]);
        Assert.Equal("250", e?.Labels?["record_count"]);
    }

    [Fact]
    public void Parse_ConfiguredFieldNames_ReadsNestedAppFields()
    {
        var context = new ParseContext
        {
            TimeZone = TimeZoneInfo.Utc,
            Fields = new Dictionary<string, string> { ["user.name"] = "actor.login", ["event.action"] = "type", ["source.ip"] = "client", ["@timestamp"] = "ts" },
        };
        var e = _registry.Parse(Line("{\"ts\":1773131400,\"type\":\"auth.failure\",\"actor\":{\"login\":\"carol\"},\"client\":\"::ffff:203.0.113.7\"}", "json"), context);
        Assert.Equal(EventActions.AppLogin, e?.Event.Action);
        Assert.Equal(EcsValues.Failure, e?.Event.Outcome);
        Assert.Equal("carol", e?.User?.Name);
        Assert.Equal("203.0.113.7", e?.Source?.Ip);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1773131400), e?.Timestamp);
    }

    [Theory]
    [InlineData("Mar 10 08:30:00 h sshd[1]: x\nMar 10 08:30:01 h sudo: y", "auth")]
    [InlineData("type=SYSCALL msg=audit(1.1:1): a=1\nnode=n type=PATH msg=audit(1.1:1): b=2", "audit")]
    [InlineData("1.2.3.4 - - [10/Mar/2026:08:30:00 +0000] \"GET / HTTP/1.1\" 200 5\n\"10.0.0.1, 1.2.3.4\" 10.0.0.2 - - [10/Mar/2026:08:30:00 +0000] \"-\" 408 -", "access")]
    [InlineData("{\"event\":\"login\"}\n{\"event\":\"logout\"}", "json")]
    public void DetectFormat_FirstLines_RecognisesFormat(string lines, string type)
    {
        Assert.Equal(type, LogFormats.Default.Detect(lines));
    }

    [Theory]
    [InlineData("access")]
    [InlineData("json")]
    [InlineData("audit")]
    [InlineData("auth")]
    public void Parse_HostileInput_NeverThrowsAndNextLineStillParses(string type)
    {
        var registry = ParserRegistry.CreateDefault();
        var random = new Random(7);
        var bytes = new byte[4096];
        random.NextBytes(bytes);
        string[] hostile =
        [
            new string('{', 1 << 20),
            "1.2.3.4 - - [" + new string('x', 1 << 20),
            "type=SYSCALL msg=audit(1.1:1): " + new string('a', 1 << 20),
            System.Text.Encoding.Latin1.GetString(bytes),
            System.Text.Encoding.UTF8.GetString([0xC3, 0x28, 0xA0, 0xA1, 0xE2, 0x28, 0xA1, 0xF0, 0x28, 0x8C, 0xBC]),
            "\0\0\0{\"event\":\"login\"\0}",
            "\u001b[31mMar 10 08:30:00 h sshd[1]: Failed password for root from 1.2.3.4 port 1 ssh2\u001b[0m",
            "{\"event\":\"login\",\"user\":\"\u001b[2J\",\"ip\":\"\\u0000\"}",
            "\"" + new string('\\', 5000),
        ];
        foreach (var text in hostile)
        {
            _ = registry.ParseAll(Line(text, type), AuthLines.Context).ToList();
        }
        var good = type switch
        {
            "access" => "1.2.3.4 - - [10/Mar/2026:08:30:00 +0000] \"GET / HTTP/1.1\" 200 5",
            "json" => "{\"event\":\"login\",\"user\":\"bob\"}",
            "audit" => "type=USER_LOGIN msg=audit(1700000000.1:77): pid=1 uid=0 msg='op=login acct=\"bob\" res=success'",
            _ => "Mar 10 08:30:00 h sshd[1]: Failed password for root from 1.2.3.4 port 1 ssh2",
        };
        var events = registry.ParseAll(Line(good, type), AuthLines.Context).Concat(registry.Flush()).ToList();
        Assert.Contains(events, e => e.User?.Name is "bob" or "root" || e.Source?.Ip == "1.2.3.4");
    }
}
