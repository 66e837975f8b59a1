using System.Diagnostics;
using System.Text;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Parsing;
using BlueTeam.Parsing.Syslog;
using BlueTeam.Sources;
using BlueTeam.Tests.Parsing;
using FsCheck;
using FsCheck.Fluent;

namespace BlueTeam.Tests.Security;

/// <summary>
/// Property tests (FsCheck) over every parser and the syslog, JSON and audit decoders: arbitrary
/// bytes (invalid UTF-8 included) after real prefixes, huge lines and deep nesting never throw,
/// and each line is handled in bounded time; any event they produce serialises to valid JSON.
/// </summary>
public class HostileInputPropertyTests
{
    private static readonly TimeSpan PerLine = TimeSpan.FromSeconds(1);
    private static readonly string[] Types = ["auth", "audit", "access", "json"];

    // Real beginnings, so the random tail reaches past each parser's prefilter into its decoder.
    private static readonly string[] Prefixes =
    [
        "",
        "Mar 10 08:30:00 eqmon-web01 sshd[3021]: Failed password for ",
        "Mar 10 08:30:00 eqmon-web01 sshd[3021]: Accepted publickey for root from ",
        "Mar 10 08:30:00 eqmon-web01 sudo:   alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=",
        "<34>1 2026-03-10T08:30:00.000Z eqmon-web01 sshd 3021 - [x@1 a=\"",
        "2026-03-10T08:30:00.123456+01:00 eqmon-web01 useradd[9]: new user: name=",
        "type=USER_AUTH msg=audit(1773131400.123:4242): pid=1 uid=0 auid=4294967295 ses=1 msg='op=PAM:authentication acct=\"",
        "type=SYSCALL msg=audit(1773131400.123:4243): arch=c000003e syscall=59 success=yes exit=0 a0=",
        "203.0.113.7 - - [10/Mar/2026:08:30:00 +0000] \"GET /",
        "{\"@timestamp\":\"2026-03-10T08:30:00Z\",\"event\":{\"action\":\"",
        "{\"event\":",
    ];

    private static RawLine Line(string type, string text) => AuthLines.Line(text) with { Type = type };

    private static void ParseEverywhere(ParserRegistry registry, string text)
    {
        foreach (var type in Types)
        {
            var clock = Stopwatch.StartNew();
            foreach (var e in registry.ParseAll(Line(type, text), AuthLines.Context))
                System.Text.Json.JsonDocument.Parse(EcsJson.Serialize(e)).Dispose(); // whatever came out is well-formed
            if (clock.Elapsed > PerLine) throw new TimeoutException($"{type} took {clock.Elapsed} on a {text.Length}-char line");
        }
        SyslogHeaderParser.TryParse(text, AuthLines.Context, out _);
    }

    [Fact]
    public void ParseAll_RealPrefixThenArbitraryBytes_NeverThrowsBoundedTime()
    {
        var registry = ParserRegistry.CreateDefault();
        var lines =
            from prefix in Gen.Elements(Prefixes)
            from bytes in ArbMap.Default.GeneratorFor<byte[]>()
            from latin1 in ArbMap.Default.GeneratorFor<bool>()
            select prefix + (latin1 ? Encoding.Latin1 : Encoding.UTF8).GetString(bytes); // UTF-8 decoding of invalid bytes: U+FFFD, as the tailer does
        Prop.ForAll(lines.ToArbitrary(), text => ParseEverywhere(registry, text))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(3000));
        foreach (var e in registry.Flush()) System.Text.Json.JsonDocument.Parse(EcsJson.Serialize(e)).Dispose();
    }

    [Fact]
    public void ParseAll_ArbitraryStringsWithControlsAndSurrogates_NeverThrow()
    {
        var registry = ParserRegistry.CreateDefault();
        var hostileChar = Gen.OneOf(
            Gen.Elements('\0', '\r', '\n', '\u001b', '\u009b', '\u202e', '\u2066', '\ufeff', '"', '\'', '\\', '{', '}', '[', ']', '=', ';', ':', '%'),
            Gen.Choose(0xD800, 0xDFFF).Select(c => (char)c),
            Gen.Choose(0, 0x7f).Select(c => (char)c));
        var lines =
            from prefix in Gen.Elements(Prefixes)
            from chars in Gen.ArrayOf(hostileChar)
            select prefix + new string(chars);
        Prop.ForAll(lines.ToArbitrary(), text => ParseEverywhere(registry, text))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(3000));
    }

    [Theory]
    [InlineData(100_000)]
    [InlineData(1_000_000)]
    public void ParseAll_DeepNestingAndHugeLines_NeverThrowBoundedTime(int size)
    {
        var registry = ParserRegistry.CreateDefault();
        string[] hostile =
        [
            new string('[', size),
            string.Concat(Enumerable.Repeat("{\"a\":", size / 5)) + "1" + new string('}', size / 5),
            "{\"event\":{\"action\":\"" + new string('\\', size) + "\"}}",
            "type=USER_AUTH msg=audit(1773131400.123:1): " + string.Concat(Enumerable.Repeat("k=v ", size / 4)),
            "203.0.113.7 - - [10/Mar/2026:08:30:00 +0000] \"GET /" + new string('%', size) + " HTTP/1.1\" 200 1 \"-\" \"" + new string('"', size / 2),
            "Mar 10 08:30:00 eqmon-web01 sshd[1]: Failed password for " + new string(' ', size) + "x from 203.0.113.7 port 1 ssh2",
            "<" + new string('9', size) + ">1 ",
        ];
        foreach (var text in hostile) ParseEverywhere(registry, text);
    }
}
