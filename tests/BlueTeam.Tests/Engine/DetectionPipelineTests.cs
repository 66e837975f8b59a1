using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Correlation;
using BlueTeam.Correlation.State;
using BlueTeam.Engine;
using BlueTeam.Parsing;
using BlueTeam.Parsing.Auth;
using BlueTeam.Sources;
using BlueTeam.Tests.Correlation;
using BlueTeam.Tests.Parsing;

namespace BlueTeam.Tests.Engine;

public class DetectionPipelineTests
{
    private static string Failure(int second, string user = "root") => AuthLines.FailedPassword(new TimeSpan(8, 30, second), "203.0.113.7", user);

    [Fact]
    public void Process_ParserThrows_ThatLineAloneIsAParseErrorOfItsSource_AndTheNextLinesAreRead()
    {
        var pipeline = new DetectionPipeline(new ParserRegistry([new AuthLogParser(), new ThrowingParser()]), new Correlator([Rules.Build("ssh_brute_force")]));
        var events = new List<SecurityEvent>();
        var updates = new List<IncidentUpdate>();

        var poison = new RawLine { Collector = "eqmon", Type = "json", Path = "/var/log/eqmon.json", Text = "{\"user\":\"\\ud800\"}", Offset = 4096, EndOffset = 4114 };
        Assert.Equal(0, pipeline.Process(poison, AuthLines.Context, events, updates));
        for (var i = 0; i < 5; i++) pipeline.Process(AuthLines.Line(Failure(i), offset: i * 100), AuthLines.Context, events, updates);

        Assert.Equal(5, events.Count);
        Assert.Equal("ssh_brute_force", Assert.Single(updates.Select(u => u.ToIncident().Rule.Name).Distinct()));
        Assert.Equal(1, pipeline.Errors.ParseErrors);
        Assert.Equal(1, pipeline.Errors.For("eqmon").ParseErrors);
        Assert.Equal(0, pipeline.Errors.For("auth_log").Total);
        var error = Assert.Single(pipeline.Errors.Recent());
        Assert.Equal(new LineError(LineError.ParseError, "eqmon", "/var/log/eqmon.json", 4096, "FormatException: parser bug"), error);
    }

    [Fact]
    public void Process_RuleThrowsOnOneEvent_OtherRulesStillSeeIt_RuleErrorRecordedAtThatLine()
    {
        var pipeline = new DetectionPipeline(ParserRegistry.CreateDefault(), new Correlator([new ThrowingOnUserRule("mallory"), Rules.Build("ssh_brute_force")]));
        var events = new List<SecurityEvent>();
        var updates = new List<IncidentUpdate>();

        for (var i = 0; i < 5; i++)
            pipeline.Process(AuthLines.Line(Failure(i, i == 2 ? "mallory" : "root"), offset: i * 100), AuthLines.Context, events, updates);

        Assert.Equal(5, events.Count);
        var brute = updates.Select(u => u.ToIncident()).Last();
        Assert.Equal("ssh_brute_force", brute.Rule.Name);
        Assert.Equal(5, brute.EventCount); // the event the other rule threw on counted here
        Assert.Equal(1, pipeline.Errors.RuleErrors);
        var error = Assert.Single(pipeline.Errors.Recent());
        Assert.Equal(LineError.RuleError, error.Kind);
        Assert.Equal("auth_log", error.Collector);
        Assert.Equal("/var/log/auth.log", error.Path);
        Assert.Equal(200, error.Offset);
        Assert.Equal("throws_on_user: InvalidOperationException: rule bug on mallory", error.Reason);
    }

    [Fact]
    public void Errors_SameSourceAndReasonAgain_CountedEveryTime_ReportedOnce()
    {
        var log = new LineErrorLog();
        var error = new LineError(LineError.ParseError, "eqmon", "/a", 0, "FormatException: bad");

        Assert.True(log.Record(error));
        Assert.False(log.Record(error with { Offset = 10 }));
        Assert.True(log.Record(error with { Collector = "other" }));
        Assert.True(log.Record(error with { Kind = LineError.RuleError }));

        Assert.Equal(3, log.ParseErrors);
        Assert.Equal(1, log.RuleErrors);
        Assert.Equal(2, log.For("eqmon").ParseErrors);
        Assert.Equal(LineError.RuleError, log.For("eqmon").Last!.Kind); // the newest of either kind
    }

    [Fact]
    public void Process_TruncatedLine_ReadAsUsual_CountedPerSource_NotAnError()
    {
        var pipeline = new DetectionPipeline(ParserRegistry.CreateDefault(), new Correlator([Rules.Build("ssh_brute_force")]));
        var events = new List<SecurityEvent>();
        var cut = AuthLines.Line(Failure(0), offset: 0) with { Truncated = true };
        pipeline.Process(cut, AuthLines.Context, events, []);
        pipeline.Process(AuthLines.Line(Failure(1), offset: 100), AuthLines.Context, events, []);

        Assert.Equal(2, events.Count);
        Assert.Equal(1, pipeline.Errors.LinesTruncated);
        Assert.Equal(1, pipeline.Errors.For("auth_log").Truncated);
        Assert.Equal(0, pipeline.Errors.For("auth_log").Total);
    }

    [Fact]
    public void Process_ReplayedLine_RebuildsState_ButItsFailuresAndCutAreNotCountedAgain()
    {
        var pipeline = new DetectionPipeline(new ParserRegistry([new AuthLogParser(), new ThrowingParser()]), new Correlator([Rules.Build("ssh_brute_force")]));
        var events = new List<SecurityEvent>();
        var poison = new RawLine { Collector = "eqmon", Type = "json", Path = "/var/log/eqmon.json", Text = "{}", Offset = 0, EndOffset = 3, Replay = true, Truncated = true };
        pipeline.Process(poison, AuthLines.Context, events, []);
        pipeline.Process(AuthLines.Line(Failure(0)) with { Replay = true }, AuthLines.Context, events, []);

        Assert.Single(events); // the replayed failure still feeds the windows
        Assert.Equal((0, 0, 0L), (pipeline.Errors.ParseErrors, pipeline.Errors.RuleErrors, pipeline.Errors.LinesTruncated));
    }

    /// <summary>A parser with a bug: throws on every line of its format.</summary>
    private sealed class ThrowingParser : ILogParser
    {
        public string Format => "json";
        public SecurityEvent? Parse(RawLine line, ParseContext context) => throw new FormatException("parser bug");
    }
}

/// <summary>A rule with a bug that only some events reach: it throws when the event's user is the given one.</summary>
internal sealed class ThrowingOnUserRule(string user) : IRule
{
    public RuleDescriptor Descriptor { get; } = new()
    {
        Id = "TEST-THROW", Name = "throws_on_user", Title = "throws on one user", Severity = Severity.Low, NistControls = [], Description = "a rule with a bug",
    };

    public IReadOnlyList<SecurityIncident> Evaluate(SecurityEvent securityEvent) =>
        securityEvent.User?.Name == user ? throw new InvalidOperationException($"rule bug on {user}") : [];
}
