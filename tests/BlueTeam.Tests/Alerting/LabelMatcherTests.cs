using System.Diagnostics;
using BlueTeam.Alerting;
using BlueTeam.Core.Events;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Alerting;

public class LabelMatcherTests
{
    private const string Host = "eqmon-web01";

    private static MatchResult Test(string text, SecurityIncident? incident = null)
    {
        Assert.True(LabelMatcher.TrySplit(text, out var label, out var op, out var value, out var error), error);
        return LabelMatcher.Create(label, op, value).Test(incident ?? AlertIncidents.Incident(), Host);
    }

    [Theory]
    [InlineData("rule=ssh_brute_force", MatchResult.Holds)]
    [InlineData("rule=BT-R001", MatchResult.Holds)] // rule is the name and the id
    [InlineData("rule!=ssh_brute_force", MatchResult.DoesNotHold)]
    [InlineData("rule!=sudo_abuse", MatchResult.Holds)]
    [InlineData("rule.name=BT-R001", MatchResult.DoesNotHold)]
    [InlineData("rule.id=BT-R001", MatchResult.Holds)]
    [InlineData("severity=critical", MatchResult.Holds)]
    [InlineData("severity!=critical", MatchResult.DoesNotHold)]
    [InlineData("severity=~high|critical", MatchResult.Holds)]
    [InlineData("severity!~high|critical", MatchResult.DoesNotHold)]
    [InlineData("host=eqmon-web01", MatchResult.Holds)]
    [InlineData("host=~eqmon-.*", MatchResult.Holds)]
    [InlineData("host!~eqmon-.*", MatchResult.DoesNotHold)]
    [InlineData("user.name=root", MatchResult.Holds)]
    [InlineData("user.name=Root", MatchResult.DoesNotHold)]
    [InlineData("user.name!=root", MatchResult.DoesNotHold)]
    [InlineData("nist_control=3.14.7", MatchResult.Holds)] // any of the values
    [InlineData("nist_control!=3.14.7", MatchResult.DoesNotHold)] // none of them
    [InlineData("nist_control!=3.1.1", MatchResult.Holds)]
    [InlineData("cui_involved=false", MatchResult.Holds)]
    [InlineData("user.name=\"root\"", MatchResult.Holds)] // amtool's quoting
    public void Test_EachOperatorOnEachKindOfLabel(string matcher, MatchResult expected) => Assert.Equal(expected, Test(matcher));

    [Theory]
    [InlineData("ssh_.*", MatchResult.Holds)]
    [InlineData("ssh", MatchResult.DoesNotHold)] // anchored: a part of the value is not enough
    [InlineData("brute", MatchResult.DoesNotHold)]
    [InlineData(".*brute.*", MatchResult.Holds)]
    [InlineData("x|ssh_brute_force", MatchResult.Holds)] // the alternation is inside the anchors
    public void Test_RegexIsAnchoredAtBothEnds(string pattern, MatchResult expected) =>
        Assert.Equal(expected, LabelMatcher.Create("rule.name", MatchOperator.Regex, pattern).Test(AlertIncidents.Incident(), Host));

    [Theory]
    [InlineData("203.0.113.7", "source.ip=203.0.113.0/24", MatchResult.Holds)]
    [InlineData("203.0.114.7", "source.ip=203.0.113.0/24", MatchResult.DoesNotHold)]
    [InlineData("203.0.114.7", "source.ip!=203.0.113.0/24", MatchResult.Holds)]
    [InlineData("203.0.113.7", "source.ip!=203.0.113.0/24", MatchResult.DoesNotHold)]
    [InlineData("2001:db8:0:1::7", "source.ip=2001:db8::/32", MatchResult.Holds)]
    [InlineData("2001:db9::7", "source.ip=2001:db8::/32", MatchResult.DoesNotHold)]
    [InlineData("2001:db8::7", "source.ip=2001:0db8:0000::7", MatchResult.Holds)] // compared as addresses, not text
    [InlineData("::ffff:203.0.113.7", "source.ip=203.0.113.0/24", MatchResult.Holds)] // v4-mapped is the v4 address
    [InlineData("::ffff:203.0.113.7", "source.ip=203.0.113.7", MatchResult.Holds)]
    [InlineData("203.0.113.7", "source.ip=0.0.0.0/0", MatchResult.Holds)]
    [InlineData("2001:db8::7", "source.ip=0.0.0.0/0", MatchResult.DoesNotHold)] // families do not mix
    [InlineData("203.0.113.7", "source.ip=~203\\.0\\.113\\..*", MatchResult.Holds)]
    public void Test_AddressesByCidrAndAsAddresses(string ip, string matcher, MatchResult expected) =>
        Assert.Equal(expected, Test(matcher, AlertIncidents.Incident(ip: ip)));

    [Theory]
    [InlineData("source.ip!=203.0.113.0/24", MatchResult.Holds)]
    [InlineData("source.ip=203.0.113.0/24", MatchResult.DoesNotHold)]
    [InlineData("source.ip=", MatchResult.Holds)]
    [InlineData("source.ip=~.*", MatchResult.Holds)]
    [InlineData("source.ip=~.+", MatchResult.DoesNotHold)]
    public void Test_MissingLabelIsTheEmptyString(string matcher, MatchResult expected) =>
        Assert.Equal(expected, Test(matcher, AlertIncidents.Incident(ip: null)));

    [Theory]
    [InlineData("source.ip=203.0.113.0/24", "source.ip", MatchOperator.Equal, "203.0.113.0/24")]
    [InlineData("user.name!=alice", "user.name", MatchOperator.NotEqual, "alice")]
    [InlineData("user.name=~a=b", "user.name", MatchOperator.Regex, "a=b")]
    [InlineData("user.name!~x!~y", "user.name", MatchOperator.NotRegex, "x!~y")]
    [InlineData("host==x", "host", MatchOperator.Equal, "=x")]
    public void TrySplit_LabelThenTheFirstOperator(string text, string label, MatchOperator op, string value)
    {
        Assert.True(LabelMatcher.TrySplit(text, out var l, out var o, out var v, out _));
        Assert.Equal((label, op, value), (l, o, v));
    }

    [Theory]
    [InlineData("source.ip")]
    [InlineData("=x")]
    [InlineData("user name=x")]
    [InlineData("")]
    public void TrySplit_NotAMatcher_FalseWithAReason(string text)
    {
        Assert.False(LabelMatcher.TrySplit(text, out _, out _, out _, out var error));
        Assert.Contains("label=value", error);
    }

    [Theory]
    [InlineData("(a")] // does not compile
    [InlineData("(a)\\1")] // backreference: not linear-time, refused as RE2 refuses it
    [InlineData("(?=a)a")] // lookahead: same
    public void Create_RegexTheSafeEngineCannotRun_ThrowsArgumentException(string pattern) =>
        Assert.Throws<ArgumentException>(() => LabelMatcher.Create("user.name", MatchOperator.Regex, pattern));

    [Fact]
    public void Create_HugeRegex_ThrowsArgumentException() =>
        Assert.Throws<ArgumentException>(() => LabelMatcher.Create("user.name", MatchOperator.Regex, new string('a', LabelMatcher.MaxPatternLength + 1)));

    [Fact]
    public void Test_CatastrophicBacktrackingPattern_AnswersWithoutTimingOut()
    {
        // (a+)+$ against "aaaa…!" takes exponential time in a backtracking engine; here it is linear.
        var incident = AlertIncidents.Incident(user: new string('a', 5000) + "!");
        var matcher = LabelMatcher.Create("user.name", MatchOperator.Regex, "(a+)+");
        var watch = Stopwatch.StartNew();

        var result = matcher.Test(incident, Host);

        Assert.Equal(MatchResult.DoesNotHold, result); // not TimedOut: the engine decided
        Assert.True(watch.Elapsed < LabelMatcher.RegexTimeout * 10, $"took {watch.Elapsed}");
    }

    [Fact]
    public void SilenceTest_EveryMatcherMustHold_AndTheWindowApplies()
    {
        var now = AlertIncidents.Start;
        var silence = new Silence
        {
            Id = 1,
            StartsAt = now.AddHours(1), // a maintenance window that has not begun
            EndsAt = now.AddHours(3),
            Matchers = [LabelMatcher.Create("rule", MatchOperator.Equal, "ssh_brute_force"), LabelMatcher.Create("source.ip", MatchOperator.Equal, "203.0.113.0/24")],
        };

        Assert.False(silence.Matches(AlertIncidents.Incident(), Host, now));
        Assert.True(silence.Matches(AlertIncidents.Incident(), Host, now.AddHours(2)));
        Assert.False(silence.Matches(AlertIncidents.Incident(ip: "198.51.100.7"), Host, now.AddHours(2)));
        Assert.False(silence.Matches(AlertIncidents.Incident(), Host, now.AddHours(3)));
    }
}
