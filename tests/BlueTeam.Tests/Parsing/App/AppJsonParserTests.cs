using System.Text;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Parsing;
using BlueTeam.Parsing.App;
using BlueTeam.Sources;

namespace BlueTeam.Tests.Parsing.App;

/// <summary>Hostile eqmon JSON lines: the parser drops them and never throws (issue #13).</summary>
public class AppJsonParserTests
{
    private readonly AppJsonParser _parser = new();

    private static RawLine Line(string text) => new() { Collector = "app", Type = "json", Path = "/var/log/eqmon/app.log", Text = text };

    private const string Good = "{\"timestamp\":\"2026-03-10T08:30:00Z\",\"event\":\"login_failed\",\"user\":\"bob\",\"ip\":\"203.0.113.7\",\"message\":\"m\",\"reason\":\"r\",\"path\":\"/p\",\"outcome\":\"failure\",\"record_count\":1,\"cui\":\"false\",\"classification\":\"x\"}";

    public static TheoryData<string> Fields() => ["timestamp", "event", "user", "ip", "message", "reason", "path", "outcome", "record_count", "cui", "classification"];

    [Fact]
    public void Parse_GoodLine_ReadsEvent()
    {
        var e = _parser.Parse(Line(Good), AuthLines.Context);
        Assert.Equal(EventActions.AppLogin, e?.Event.Action);
        Assert.Equal("203.0.113.7", e?.Source?.Ip);
    }

    [Theory]
    [MemberData(nameof(Fields))]
    public void Parse_LoneSurrogateInAnyField_DropsLineWithoutThrowing(string field)
    {
        var hostile = Good.Replace($"\"{field}\":", $"\"{field}\":\"\\ud800\",\"_{field}\":", StringComparison.Ordinal);

        var e = _parser.Parse(Line(hostile), AuthLines.Context);

        Assert.Null(e);
    }

    [Fact]
    public void Parse_LoneSurrogateInKey_DropsLineWithoutThrowing()
    {
        Assert.Null(_parser.Parse(Line("{\"\\udc00\":1," + Good[1..]), AuthLines.Context));
    }

    [Fact]
    public void Parse_DuplicatedIpKey_RejectsLineSoTheAttackerCannotChooseTheAddress()
    {
        var hostile = Good.Replace("\"message\":\"m\"", "\"message\":\"m\",\"ip\":\"198.51.100.1\"", StringComparison.Ordinal);

        Assert.Null(_parser.Parse(Line(hostile), AuthLines.Context));
    }

    [Fact]
    public void Parse_DuplicatedKeyInNestedMappedObject_RejectsLine()
    {
        var context = new ParseContext
        {
            Now = AuthLines.Context.Now,
            Fields = new Dictionary<string, string> { ["source.ip"] = "client.ip" },
        };
        var line = "{\"event\":\"login_failed\",\"client\":{\"ip\":\"203.0.113.7\",\"ip\":\"198.51.100.1\"}}";

        Assert.Null(_parser.Parse(Line(line), context));
    }

    [Fact]
    public void Parse_InvalidUtf8DecodedAsReplacementCharacters_ReadsTheRestWithoutThrowing()
    {
        // The tailer decodes bytes as UTF-8 with replacement, so invalid bytes arrive as U+FFFD.
        var text = Encoding.UTF8.GetString([.. Encoding.UTF8.GetBytes("{\"event\":\"login_failed\",\"user\":\""), 0xC3, 0x28, 0xFF, .. Encoding.UTF8.GetBytes("\",\"ip\":\"203.0.113.7\"}")]);

        var e = _parser.Parse(Line(text), AuthLines.Context);

        Assert.Equal("203.0.113.7", e?.Source?.Ip);
        Assert.Contains('\uFFFD', e?.User?.Name ?? "");
    }

    [Theory]
    [InlineData("{\"event\":\"login_failed\",\"user\":\"a\0b\",\"ip\":\"203.0.113.7\"}")]
    [InlineData("{\"event\":\"login_failed\",\0\"ip\":\"203.0.113.7\"}")]
    public void Parse_RawNulByte_DropsLineWithoutThrowing(string text)
    {
        Assert.Null(_parser.Parse(Line(text), AuthLines.Context));
    }

    [Fact]
    public void Parse_EscapedNul_KeepsItInTheValue()
    {
        var e = _parser.Parse(Line("{\"event\":\"login_failed\",\"user\":\"a\\u0000b\",\"ip\":\"203.0.113.7\"}"), AuthLines.Context);

        Assert.Equal("a\0b", e?.User?.Name);
    }

    [Fact]
    public void Parse_NestedTenThousandDeep_DropsLineWithoutThrowing()
    {
        var text = "{\"event\":\"login_failed\",\"x\":" + new string('[', 10_000) + new string(']', 10_000) + "}";

        Assert.Null(_parser.Parse(Line(text), AuthLines.Context));
    }

    [Fact]
    public void Parse_TenMegabyteLine_DropsLineWithoutThrowing()
    {
        var text = "{\"event\":\"login_failed\",\"ip\":\"203.0.113.7\",\"m\":\"" + new string('a', 10 * 1024 * 1024) + "\"}";

        Assert.Null(_parser.Parse(Line(text), AuthLines.Context));
    }
}
