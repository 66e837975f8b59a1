using BlueTeam.Alerting;
using BlueTeam.Storage;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Storage;

public class SilenceMatcherJsonTests
{
    [Fact]
    public void WriteThenRead_EveryOperator_RoundTrips()
    {
        IReadOnlyList<LabelMatcher> matchers =
        [
            LabelMatcher.Create("rule", MatchOperator.Equal, "ssh_brute_force"),
            LabelMatcher.Create("source.ip", MatchOperator.NotEqual, "2001:db8::/32"),
            LabelMatcher.Create("user.name", MatchOperator.Regex, "svc_\"quoted\".*"),
            LabelMatcher.Create("host", MatchOperator.NotRegex, "db-.*"),
        ];

        Assert.Equal(matchers, SilenceMatcherJson.Read(SilenceMatcherJson.Write(matchers)));
    }

    [Fact]
    public void Read_SilenceStoredBeforeOperators_KeepsItsMeaning()
    {
        // What the store wrote before: label → value, a trailing '*' for a prefix.
        var matchers = SilenceMatcherJson.Read("""{"source.ip":"203.0.113.*","user.name":"root"}""");

        Assert.Equal(["source.ip=~203\\.0\\.113\\..*", "user.name=root"], matchers.Select(m => m.ToString()));
        var silence = new BlueTeam.Alerting.Silence { Id = 1, StartsAt = DateTimeOffset.MinValue, EndsAt = DateTimeOffset.MaxValue, Matchers = matchers };
        Assert.True(silence.Matches(AlertIncidents.Incident(ip: "203.0.113.7"), "h", AlertIncidents.Start));
        Assert.False(silence.Matches(AlertIncidents.Incident(ip: "203.0.1130.7"), "h", AlertIncidents.Start));
        Assert.False(silence.Matches(AlertIncidents.Incident(ip: "203.0.113.7", user: "alice"), "h", AlertIncidents.Start));
    }
}
