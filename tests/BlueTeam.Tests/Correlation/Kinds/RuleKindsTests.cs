using BlueTeam.Core.Config;
using BlueTeam.Correlation;
using BlueTeam.Correlation.Declarative;
using BlueTeam.Correlation.Kinds;

namespace BlueTeam.Tests.Correlation.Kinds;

/// <summary>The registry is what the rule file parser and the catalogue accept: no kind is known anywhere else.</summary>
public class RuleKindsTests
{
    private const string Head = Rules.FileHeader + """
        group_by: [source.address]
        incident_title: "x from {source.address}"

        """;

    private static readonly string[] RegisteredNames = ["threshold", "distinct_count", "sequence", "first_seen", "schedule", "absence", "steady", "large_value"];

    // The keys a detection of each built-in kind needs besides the common ones.
    private static string BodyOf(string kind) => kind switch
    {
        "sequence" => "first: {match: {event.outcome: failure}}\nthen: {match: {event.outcome: success}}\n",
        "distinct_count" => "match: {}\ndistinct: user.name\n",
        "large_value" => "match: {}\nmeasure: http.response.body.bytes\nat_least: 100000000\n",
        "first_seen" => "match: {}\nvalue: user.name\n",
        "schedule" => "match: {}\nhours: [\"08:00-18:00\"]\ndays: [mon, tue, wed, thu, fri]\ntime_zone: UTC\n",
        _ => "match: {}\n",
    };

    private static ConfigException Refused(string yaml) => Assert.Throws<ConfigException>(() => RuleFileParser.Parse(yaml, "site.yaml"));

    [Fact]
    public void All_NamesAreTheKindsRuleFilesWrite_InMessageOrder()
    {
        Assert.Equal(RegisteredNames, RuleKinds.All.Select(k => k.Name));
        Assert.Equal(string.Join(", ", RegisteredNames), RuleKinds.Names);
    }

    [Fact]
    public void Parse_EveryRegisteredKind_IsAcceptedAndBuilt()
    {
        foreach (var kind in RuleKinds.All)
        {
            var definition = RuleFileParser.Parse(Head + $"kind: {kind.Name}\n" + BodyOf(kind.Name), "site.yaml");
            Assert.Equal(kind.Name, definition.Kind);
            Assert.Equal(kind.Options.ToHashSet(), definition.Options);
            var rule = RuleCatalog.Create(definition, definition.Defaults, new RuleContext { Host = "h" });
            Assert.Equal(kind.Name, rule.Descriptor.Kind);
        }
    }

    [Fact]
    public void Parse_UnknownKind_ListsExactlyTheRegisteredKinds()
    {
        var error = Assert.Single(Refused(Head + "kind: thresold\nmatch: {}\n").Errors);

        Assert.Equal("kind", error.Key);
        Assert.Equal("site.yaml:9:7", error.Location);
        Assert.Equal($"unknown kind 'thresold'; kinds: {string.Join(", ", RegisteredNames)}", error.Message);
    }

    [Fact]
    public void Parse_MissingKind_ListsExactlyTheRegisteredKinds()
    {
        var error = Assert.Single(Refused(Head + "match: {}\n").Errors);

        Assert.Equal("kind", error.Key);
        Assert.Equal($"is required: one of {string.Join(", ", RegisteredNames)}", error.Message);
    }

    [Fact]
    public void Parse_UnknownKindInADetection_NamesTheDetectionsKey()
    {
        var yaml = Head.Replace("group_by: [source.address]\nincident_title: \"x from {source.address}\"\n", "", StringComparison.Ordinal) + """
            detections:
              - label: a
                kind: treshold
                match: {}
                group_by: [source.address]
                incident_title: x
            """;

        var error = Assert.Single(Refused(yaml).Errors);

        Assert.Equal("detections[0].kind", error.Key);
        Assert.Equal($"unknown kind 'treshold'; kinds: {RuleKinds.Names}", error.Message);
    }

    [Theory]
    [InlineData("threshold", "distinct: user.name", "distinct", "only distinct_count rules count distinct values")]
    [InlineData("threshold", "value: user.name", "value", "only first_seen rules have a value field")]
    [InlineData("distinct_count", "alert_on_new_key: true", "alert_on_new_key", "only first_seen rules read alert_on_new_key")]
    [InlineData("first_seen", "then: {match: {}}", "then", "only sequence rules have first and then steps")]
    public void Parse_AnotherKindsKey_IsRefusedWithItsOwnersMessage(string kind, string foreign, string key, string message)
    {
        var error = Assert.Single(Refused(Head + $"kind: {kind}\n" + BodyOf(kind) + foreign + "\n").Errors);

        Assert.Equal(key, error.Key);
        Assert.Equal(message, error.Message);
    }

    // The checks each kind makes of its own keys, with the key path, line and message the parser gave before the registry.
    [Theory]
    [InlineData("sequence", "match: {}\nfirst: {match: {}}\nthen: {match: {}}", "match", "site.yaml:9:8", "a sequence has first and then steps instead of match")]
    [InlineData("sequence", "first: {match: {}}", "then", "site.yaml:1:1", "is required for a sequence")]
    [InlineData("distinct_count", "match: {}", "distinct", "site.yaml:1:1", "is required (a field name)")]
    [InlineData("distinct_count", "match: {}\ndistinct: usr.name", "distinct", "site.yaml:10:11", "unknown field 'usr.name'")]
    [InlineData("absence", "match: {}\ngroup_by: [labels.collector, host.hostname]", "group_by", "site.yaml:10:11", "an absence rule groups by exactly one field (the source, e.g. labels.collector)")]
    public void Parse_KindsOwnKeys_CheckedWithPathAndLine(string kind, string body, string key, string location, string message)
    {
        var yaml = Head.Replace("group_by: [source.address]\n", "", StringComparison.Ordinal) + $"kind: {kind}\n" + body + "\n";
        if (!body.Contains("group_by", StringComparison.Ordinal)) yaml += "group_by: [source.address]\n";

        var error = Assert.Single(Refused(yaml).Errors);

        Assert.Equal(key, error.Key);
        Assert.Equal(location, error.Location);
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_FirstSeenWithoutValueAndABadFlag_ReportsBoth()
    {
        var errors = Refused(Head + "kind: first_seen\nmatch: {}\nalert_on_new_key: maybe\n").Errors;

        Assert.Equal(["value", "alert_on_new_key"], errors.Select(e => e.Key));
        Assert.Equal(["is required (a field name)", "expected true or false"], errors.Select(e => e.Message));
    }

    [Fact]
    public void Parse_KeyOfAKind_IsNotAnUnknownKey()
    {
        var kindKeys = RuleKinds.All.SelectMany(k => k.Keys).Select(k => k.Key).ToHashSet();
        var error = Assert.Single(Refused(Head + "kind: threshold\nmatch: {}\nnot_a_key: 1\n").Errors);

        Assert.All(kindKeys, k => Assert.Contains(k, error.Message.Split(": ", 2)[1].Split(", "), StringComparer.Ordinal));
    }

    [Fact]
    public void All_KindsReadOnlyKnownOptions_AndOwnDistinctKeys()
    {
        string[] options = [RuleOptionNames.Threshold, RuleOptionNames.WindowSec, RuleOptionNames.MaxKeys, RuleOptionNames.Hours, RuleOptionNames.Days,
            RuleOptionNames.TimeZone, RuleOptionNames.SilentSec, RuleOptionNames.Collectors];
        Assert.All(RuleKinds.All, k => Assert.Subset(options.ToHashSet(), k.Options.ToHashSet()));
        Assert.Equal(RuleKinds.All.Count, RuleKinds.All.Select(k => k.Name).Distinct().Count());
        var owned = RuleKinds.All.SelectMany(k => k.Keys.Select(key => key.Key).Distinct()).ToList();
        Assert.Equal(owned.Count, owned.Distinct().Count());
    }
}
