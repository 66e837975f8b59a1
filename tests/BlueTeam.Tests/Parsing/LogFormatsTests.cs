using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Parsing;
using BlueTeam.Parsing.Auth;
using BlueTeam.Sources;

namespace BlueTeam.Tests.Parsing;

public class LogFormatsTests
{
    private const string Known = "known: access, audit, auth, journald, json";

    /// <summary>A format the registry was not built with, to show that the registry, not a list in Core, decides.</summary>
    private sealed class KeyValueFormat : ILogFormat
    {
        public string Name => "kv";

        public ILogParser CreateParser() => new KeyValueParser();

        public IEnumerable<ConfigProblem> Validate(CollectorOptions options)
        {
            if (options.Fields.Count > 0) yield return new("fields", "the kv format maps no fields");
        }

        public bool LooksLike(ReadOnlySpan<char> line) => line.Contains('=');
    }

    private sealed class KeyValueParser : ILogParser
    {
        public string Format => "kv";

        public SecurityEvent? Parse(RawLine line, ParseContext context) =>
            new() { Timestamp = context.Now, Event = new EcsEvent { Action = "kv", Outcome = EcsValues.Success }, Message = line.Text };
    }

    private static BlueTeamConfig Load(string yaml) => ConfigLoader.Parse(yaml, "test.yaml");

    private static IReadOnlyList<ConfigError> Located(LogFormats formats, BlueTeamConfig config) =>
        config.Locations.Locate(new ConfigException("test.yaml", formats.Problems(config.Collectors)), "test.yaml").Errors;

    [Fact]
    public void Default_Names_AreTodaysCollectorTypes() =>
        Assert.Equal(["access", "audit", "auth", "journald", "json"], LogFormats.Default.Names);

    [Theory]
    [InlineData("auth")]
    [InlineData("audit")]
    [InlineData("access")]
    [InlineData("json")]
    [InlineData("Auth")]
    public void Problems_RegisteredFormat_IsAccepted(string type)
    {
        var config = Load($"collectors:\n  c:\n    type: {type}\n    paths: [/var/log/x.log]\n");

        Assert.Empty(LogFormats.Default.Problems(config.Collectors));
        Assert.Equal(type.ToLowerInvariant(), config.Collectors["c"].Type);
    }

    [Fact]
    public void Problems_UnknownFormat_NamesKeyLineAndTheRegisteredFormats()
    {
        var config = Load("collectors:\n  web:\n    type: nginx\n    paths: [/var/log/nginx/access.log]\n");

        var error = Assert.Single(Located(LogFormats.Default, config));

        Assert.Equal("collectors.web.type", error.Key);
        Assert.StartsWith("test.yaml:3:", error.Location, StringComparison.Ordinal);
        Assert.Equal($"unknown format 'nginx' ({Known})", error.Message);
    }

    [Fact]
    public void Problems_DisabledCollector_IsNotChecked()
    {
        var config = Load("collectors:\n  web:\n    enabled: false\n    type: nginx\n");

        Assert.Empty(LogFormats.Default.Problems(config.Collectors));
    }

    [Theory]
    [InlineData("collectors:\n  app:\n    type: kv\n    paths: [/var/log/app.log]\n  auth_log:\n    type: auth\n    paths: [/var/log/auth.log]\n",
        "collectors.auth_log.type", 6, "unknown format 'auth' (known: kv)")]
    [InlineData("collectors:\n  app:\n    type: kv\n    paths: [/var/log/app.log]\n    fields: {user.name: login}\n",
        "collectors.app.fields", 5, "the kv format maps no fields")]
    public void Problems_AnotherRegistry_ItsNamesAndItsFormatsChecksDecide(string yaml, string key, int line, string message)
    {
        var error = Assert.Single(Located(new LogFormats([new KeyValueFormat()]), Load(yaml)));

        Assert.Equal(key, error.Key);
        Assert.StartsWith($"test.yaml:{line}:", error.Location, StringComparison.Ordinal);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Problems_JsonFieldsOutsideTheMapping_AreRefusedOneByOne()
    {
        var config = Load("collectors:\n  eqmon:\n    type: json\n    paths: [/var/log/eqmon/app.log]\n    fields:\n      user.name: login\n      user.nmae: x\n");

        var error = Assert.Single(LogFormats.Default.Problems(config.Collectors));

        Assert.Equal("collectors.eqmon.fields.user.nmae", error.Key);
        Assert.StartsWith("not an ECS field the json format maps (known: @timestamp, event.action,", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Problems_JournaldWithPaths_IsAProblemOnPaths()
    {
        var config = Load("collectors:\n  journal:\n    type: journald\n    paths: [/var/log/x.log]\n");

        var error = Assert.Single(LogFormats.Default.Problems(config.Collectors));

        Assert.Equal("collectors.journal.paths", error.Key);
    }

    [Fact]
    public void Constructor_TwoFormatsOfOneName_Throws() =>
        Assert.Throws<ArgumentException>(() => new LogFormats([new AuthLogFormat(), new AuthLogFormat()]));

    [Fact]
    public void CreateParsers_OneParserPerFormat_NamedAsTheFormat() =>
        Assert.Equal(LogFormats.Default.Names, LogFormats.Default.CreateParsers().Select(p => p.Format).Order(StringComparer.Ordinal));

    [Fact]
    public void Detect_RegisteredFormatsShape_IsAskedOfEachFormat() =>
        Assert.Equal("kv", new LogFormats([new KeyValueFormat()]).Detect("a=1\nb=2\nprose\n"));

    [Theory]
    [InlineData("Mar 10 08:30:00 h sshd[1]: a\nMar 10 08:30:01 h sudo: b\n", "auth")]
    [InlineData("2026-03-10T08:30:00.1+01:00 h sshd[1]: a\n", "auth")]
    [InlineData("type=USER_LOGIN msg=audit(1364481363.243:24287): pid=1 uid=0\n", "audit")]
    [InlineData("10.0.0.1 - - [10/Mar/2026:08:30:00 +0000] \"GET / HTTP/1.1\" 200 12\n", "access")]
    [InlineData("{\"a\":1}\n{\"b\":2}\n", "json")]
    public void Detect_KnownShapes_AreRecognized(string text, string expected) =>
        Assert.Equal(expected, LogFormats.Default.Detect(text));

    [Theory]
    [InlineData("")]
    [InlineData("just some prose\nand more prose\n")]
    public void Detect_UnknownText_ReturnsNull(string text) =>
        Assert.Null(LogFormats.Default.Detect(text));
}
