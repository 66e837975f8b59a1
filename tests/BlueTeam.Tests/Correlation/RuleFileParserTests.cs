using BlueTeam.Core.Config;
using BlueTeam.Correlation.Declarative;

namespace BlueTeam.Tests.Correlation;

public class RuleFileParserTests
{
    private const string Valid = Rules.FileHeader + """
        kind: threshold
        match:
          event.action: ssh_login
        group_by: [source.address]
        incident_title: "x from {source.address}"
        """;

    private static ConfigError OneError(string yaml)
    {
        var e = Assert.Throws<ConfigException>(() => RuleFileParser.Parse(yaml, "site.yaml"));
        Assert.Equal("site.yaml", e.Origin);
        return Assert.Single(e.Errors);
    }

    [Fact]
    public void Parse_ValidFile_ReadsDefinition()
    {
        var d = RuleFileParser.Parse(Valid, "site.yaml");
        Assert.Equal("site_rule", d.Name);
        Assert.Equal("threshold", d.Kind);
        Assert.Contains("window_sec", d.Options);
    }

    [Fact]
    public void Parse_UnknownKey_NamesKeyAndLine()
    {
        var error = OneError(Valid + "\nthreshhold: 3\n");
        Assert.Equal("threshhold", error.Key);
        Assert.Equal("site.yaml:12:1", error.Location);
    }

    [Fact]
    public void Parse_BadRegex_NamesTheMatcherKey()
    {
        var error = OneError(Valid.Replace("event.action: ssh_login", "url.original: {regex: \"(unclosed\"}", StringComparison.Ordinal));
        Assert.Equal("match.url.original.regex", error.Key);
        Assert.Equal("site.yaml:9:25", error.Location);
        Assert.Contains("invalid regular expression", error.Message);
    }

    [Fact]
    public void Parse_BacktrackingOnlyConstruct_IsRefused()
    {
        var error = OneError(Valid.Replace("event.action: ssh_login", "message: {regex: \"(a)\\\\1\"}", StringComparison.Ordinal));
        Assert.Equal("match.message.regex", error.Key);
    }

    [Fact]
    public void Parse_BadCidr_NamesTheMatcherKey()
    {
        var error = OneError(Valid.Replace("event.action: ssh_login", "source.ip: {cidr: [10.0.0.0/33]}", StringComparison.Ordinal));
        Assert.Equal("match.source.ip.cidr", error.Key);
        Assert.Contains("10.0.0.0/33", error.Message);
    }

    [Fact]
    public void Parse_UnknownField_NamesIt()
    {
        var error = OneError(Valid.Replace("event.action: ssh_login", "usr.name: root", StringComparison.Ordinal));
        Assert.Equal("match.usr.name", error.Key);
        Assert.Contains("unknown field 'usr.name'", error.Message);
    }

    [Fact]
    public void Parse_UnknownKindAndOperator_EachReported()
    {
        var e = Assert.Throws<ConfigException>(() => RuleFileParser.Parse(
            Valid.Replace("kind: threshold", "kind: thresold", StringComparison.Ordinal), "site.yaml"));
        Assert.Equal("kind", Assert.Single(e.Errors).Key);
        var op = OneError(Valid.Replace("event.action: ssh_login", "event.action: {startswith: ssh}", StringComparison.Ordinal));
        Assert.Equal("match.event.action.startswith", op.Key);
    }

    [Fact]
    public void Parse_BadPlaceholder_NamesIncidentTitle()
    {
        var error = OneError(Valid.Replace("{source.address}", "{sorce.address}", StringComparison.Ordinal));
        Assert.Equal("incident_title", error.Key);
    }

    [Fact]
    public void BuiltInFiles_AllParse()
    {
        foreach (var file in Directory.EnumerateFiles(RuleCatalogTests.RepoRules(), "*.yaml"))
            RuleFileParser.Parse(File.ReadAllText(file), file);
    }

    [Fact]
    public void Parse_Weight_ReadsFieldsForCountingKinds()
    {
        var d = RuleFileParser.Parse(Valid + "\nweight: [labels.repeat_count, labels.attempts]", "site.yaml");
        Assert.Equal(["labels.repeat_count", "labels.attempts"], d.Detections[0].Weight.Select(f => f.Name));
    }

    [Fact]
    public void Parse_WeightOnDistinctCount_NamesKeyAndLine()
    {
        var yaml = Valid.Replace("kind: threshold", "kind: distinct_count\ndistinct: user.name", StringComparison.Ordinal) + "\nweight: [labels.repeat_count]";
        var error = OneError(yaml);
        Assert.Equal("weight", error.Key);
        Assert.Equal("site.yaml:13:9", error.Location);
        // The list comes from the registry (IRuleKind.Weighted): it once omitted steady, which reads weight too.
        Assert.Equal("only threshold, sequence, schedule and steady rules count events with a weight", error.Message);
    }

    [Fact]
    public void Parse_WeightUnknownField_IsAnError()
    {
        Assert.Equal("weight[0]", OneError(Valid + "\nweight: [repeat_count]").Key);
    }
}
