using System.Diagnostics;
using System.Text;
using BlueTeam.Parsing;
using BlueTeam.Parsing.Syslog;

namespace BlueTeam.Tests.Parsing;

/// <summary>Hostile and broken input: the parsers must return (an event or null) and never throw or stall.</summary>
public class ParserFuzzTests
{
    private readonly ParserRegistry _registry = ParserRegistry.CreateDefault();

    private static readonly string[] Seeds =
    [
        "Mar 10 08:30:00 eqmon-web01 sshd[3021]: Failed password for root from 203.0.113.7 port 41000 ssh2",
        "Mar 10 08:30:00 eqmon-web01 sshd[3021]: Failed password for invalid user admin from 2001:db8::1 port 22 ssh2",
        "Feb 21 21:54:44 localhost sshd[3402]: Accepted publickey for vagrant from 10.0.2.2 port 63673 ssh2: RSA 39:33:99",
        "Feb 21 21:56:12 localhost sshd[3430]: Invalid user test from 10.0.2.2",
        "2026-03-10T08:30:00.123456+01:00 host sshd(pam_unix)[7]: Invalid user x from 10.0.0.1 port 1",
    ];

    [Fact]
    public void Parse_RandomMutationsOfRealLines_NeverThrow()
    {
        var random = new Random(20260310);
        var parsed = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var chars = Seeds[i % Seeds.Length].ToCharArray();
            var edits = random.Next(1, 6);
            for (var k = 0; k < edits; k++)
                chars[random.Next(chars.Length)] = random.Next(4) switch
                {
                    0 => '\0',
                    1 => (char)random.Next(0xD800, 0xE000), // lone surrogate
                    2 => " :[]()."[random.Next(7)],
                    _ => (char)random.Next(0, 0x80),
                };
            if (_registry.Parse(AuthLines.Line(new string(chars)), AuthLines.Context) is not null) parsed++;
        }
        // Many mutations hit the user name or message tail and still parse; the point is that none threw.
        Assert.InRange(parsed, 1, 20_000);
    }

    [Fact]
    public void Parse_RandomBytes_NeverThrow()
    {
        var random = new Random(42);
        var buffer = new byte[512];
        for (var i = 0; i < 5_000; i++)
        {
            random.NextBytes(buffer.AsSpan(0, random.Next(buffer.Length)));
            var text = (i % 2 == 0 ? Encoding.UTF8 : Encoding.Latin1).GetString(buffer, 0, random.Next(buffer.Length));
            _registry.Parse(AuthLines.Line(text), AuthLines.Context);
            _registry.Parse(AuthLines.Line("Mar 10 08:30:00 h sshd[1]: Failed " + text), AuthLines.Context);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("Mar 10 08:30:00 h sshd[1]: Failed password for ")]
    [InlineData("Mar 10 08:30:00 h sshd[1]: Invalid user ")]
    [InlineData("Mar 10 08:30:00 h ")]
    [InlineData("2026-03-10T08:30:00.")]
    public void Parse_OneMegabyteLine_ReturnsQuicklyWithoutEvent(string prefix)
    {
        var line = prefix + new string('a', 1 << 20) + " from 203.0.113.7 port 22 ssh2";
        var clock = Stopwatch.StartNew();
        Assert.Null(_registry.Parse(AuthLines.Line(line), AuthLines.Context));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
    }

    [Fact]
    public void Parse_LongestAcceptedMessageOfRepeatedFroms_StaysFast()
    {
        var user = string.Concat(Enumerable.Repeat(" from 1.2.3.4 port", 100));
        var line = $"Mar 10 08:30:00 h sshd[1]: Failed password for {user} from 203.0.113.7 port 22 ssh2";
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 100; i++) Assert.Equal("203.0.113.7", _registry.Parse(AuthLines.Line(line), AuthLines.Context)?.Source?.Ip);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("Mar 10 08:30:00 h sshd[1]: Failed password for ro\0ot from 203.0.113.7 port 22 ssh2")]
    [InlineData("Mar 10 08:30:00 h sshd[1]: Failed password for \uD800 from 203.0.113.7 port 22 ssh2")]
    [InlineData("Mar 10 08:30:00 h sshd[99999999999]: Failed password for root from 203.0.113.7 port 22 ssh2")]
    [InlineData("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0")]
    [InlineData("\uDC00\uD800 10 08:30:00 h sshd[1]: x")]
    public void Parse_NulSurrogatesAndOverflow_NeverThrow(string line)
    {
        _registry.Parse(AuthLines.Line(line), AuthLines.Context);
        SyslogHeaderParser.TryParse(line, AuthLines.Context, out _);
    }
}
