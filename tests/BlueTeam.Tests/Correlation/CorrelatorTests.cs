using BlueTeam.Core.Events;
using BlueTeam.Correlation;
using BlueTeam.Parsing.Auth;
using BlueTeam.Tests.Parsing;
using Microsoft.Extensions.Logging;

namespace BlueTeam.Tests.Correlation;

public class CorrelatorTests
{
    private static readonly AuthLogParser Parser = new();

    private static SecurityEvent Failure(int second) =>
        Parser.Parse(AuthLines.Line(AuthLines.FailedPassword(new TimeSpan(8, 30, second), "203.0.113.7")), AuthLines.Context)!;

    private static IRule BruteForce() => Rules.Build("ssh_brute_force");

    [Fact]
    public void Process_EventsBelowThreshold_ReturnsNoIncidents()
    {
        var correlator = new Correlator([BruteForce()]);
        Assert.Empty(correlator.Process(Failure(0)));
    }

    [Fact]
    public void Process_ThrowingRule_IsCountedLoggedAndOthersStillRun()
    {
        var logger = new ListLogger();
        var correlator = new Correlator([new ThrowingRule(), BruteForce()], logger);

        var incidents = Enumerable.Range(0, 5).SelectMany(i => correlator.Process(Failure(i))).ToList();

        Assert.Single(incidents);
        Assert.Equal(5, correlator.RuleErrors);
        Assert.Equal(5, correlator.RuleErrorsByRule["throwing"]);
        // Logged once: the error did not change and 5 is not a power of ten.
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Contains("throwing", entry.Message);
        Assert.IsType<InvalidOperationException>(entry.Exception);
    }

    [Fact]
    public void Process_SeveralRulesFiring_ReturnsIncidentsOfAll()
    {
        var correlator = new Correlator([BruteForce(), BruteForce()]);
        var incidents = Enumerable.Range(0, 5).SelectMany(i => correlator.Process(Failure(i))).ToList();
        Assert.Equal(2, incidents.Count);
    }

    private sealed class ThrowingRule : IRule
    {
        public RuleDescriptor Descriptor { get; } = new()
        {
            Id = "TEST-1", Name = "throwing", Title = "always throws", Severity = Severity.Low, NistControls = [], Description = "a bug",
        };

        public IReadOnlyList<SecurityIncident> Evaluate(SecurityEvent securityEvent) => throw new InvalidOperationException("rule bug");
    }

    private sealed class ListLogger : ILogger<Correlator>
    {
        public List<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception), exception));
    }
}
