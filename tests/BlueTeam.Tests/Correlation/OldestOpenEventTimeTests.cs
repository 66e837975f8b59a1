using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Correlation;

namespace BlueTeam.Tests.Correlation;

/// <summary>
/// Correlator.OldestOpenEventTime: how far back the daemon must re-read after a crash so that open
/// windows are rebuilt and the incidents they continue keep their fingerprints.
/// </summary>
public class OldestOpenEventTimeTests
{
    private static readonly DateTimeOffset At = SecurityLogs.Day + new TimeSpan(8, 30, 0);
    private static DateTimeOffset Sec(int s) => At + TimeSpan.FromSeconds(s);

    private static Correlator Catalogue() =>
        new(RuleCatalog.Build(new CorrelationOptions { Rules = new() { ["off_hours_login"] = new RuleOptions { TimeZone = "UTC" } } }, Rules.Host));

    private static void Feed(Correlator c, IEnumerable<SecurityEvent> events)
    {
        foreach (var e in events) c.Process(e);
    }

    [Fact]
    public void OldestOpenEventTime_NothingSeen_IsNull()
    {
        Assert.Null(Catalogue().OldestOpenEventTime);
    }

    [Fact]
    public void OldestOpenEventTime_EventsNoRuleKeepsState_IsNull()
    {
        var c = Catalogue();
        // A cron session and an ordinary page view: no rule holds anything for them.
        Feed(c, SecurityLogs.Auth([SecurityLogs.CronSession(At)]));
        Feed(c, SecurityLogs.AccessLog([SecurityLogs.Access(Sec(1), "198.51.100.20", "/", 200)]));
        Assert.Null(c.OldestOpenEventTime);
    }

    [Fact]
    public void OldestOpenEventTime_PendingFailuresBelowThreshold_IsTheFirstPendingFailure()
    {
        var c = Catalogue();
        Feed(c, SecurityLogs.Auth([SecurityLogs.FailedPassword(Sec(10), "203.0.113.7"), SecurityLogs.FailedPassword(Sec(20), "203.0.113.7")]));
        Assert.Equal(Sec(10), c.OldestOpenEventTime);
    }

    [Fact]
    public void OldestOpenEventTime_OpenBurst_IsItsWindowStart()
    {
        var c = Catalogue();
        Feed(c, SecurityLogs.Auth(Enumerable.Range(0, 8).Select(i => SecurityLogs.FailedPassword(Sec(i * 60), "203.0.113.7"))));
        // The brute force opened at Sec(0) and is still going at Sec(420): its start fixes the fingerprint.
        Assert.Equal(At, c.OldestOpenEventTime);
    }

    [Fact]
    public void OldestOpenEventTime_StateWhoseWindowPassed_IsNoLongerOpen()
    {
        var c = Catalogue();
        Feed(c, SecurityLogs.Auth([SecurityLogs.FailedPassword(Sec(0), "203.0.113.7")]));
        // Another source fails 2 h later: the first failure is past every window that could count it.
        Feed(c, SecurityLogs.Auth([SecurityLogs.FailedPassword(Sec(7200), "198.51.100.50")]));
        Assert.Equal(Sec(7200), c.OldestOpenEventTime);
    }

    [Fact]
    public void OldestOpenEventTime_ThresholdOneIncident_StaysOpenForItsWindow()
    {
        var c = Catalogue();
        Feed(c, SecurityLogs.AuditLog([SecurityLogs.AuditDaemonEnd(At, 7100)]));
        Assert.Equal(At, c.OldestOpenEventTime);
        Assert.Equal(0, c.RuleErrors); // rules that saw nothing answer null, they do not throw
    }

    [Fact]
    public void OldestOpenEventTime_SequenceFirstStepsAndDistinctValues_AreCounted()
    {
        var spray = Rules.Build("password_spray");
        var sequence = Rules.Build("login_after_failures");
        var events = SecurityLogs.Auth([SecurityLogs.FailedPassword(Sec(30), "203.0.113.9", "alice"), SecurityLogs.FailedPassword(Sec(40), "203.0.113.9", "bob")]);
        foreach (var e in events) { spray.Evaluate(e); sequence.Evaluate(e); }
        Assert.Equal(Sec(30), ((IStatefulRule)spray).OldestOpenEventTime);
        Assert.Equal(Sec(30), ((IStatefulRule)sequence).OldestOpenEventTime);
    }

    [Fact]
    public void OldestOpenEventTime_RuleWithoutEventTimeState_DefaultsToNull()
    {
        var absence = (IStatefulRule)Rules.Build("log_source_silent", context: new RuleContext { Host = Rules.Host, ExpectedSources = ["auth_log"] });
        Assert.Null(absence.OldestOpenEventTime);
        IStatefulRule bare = new NoState();
        Assert.Null(bare.OldestOpenEventTime);
    }

    private sealed class NoState : IStatefulRule
    {
        public int TrackedKeys => 0;
        public long EvictedKeys => 0;
    }

    /// <summary>
    /// The use it exists for: the daemon stops after some events, restarts with empty state, re-reads
    /// every event from OldestOpenEventTime on, and carries on. Every incident opened or updated after
    /// the crash has the fingerprint (and count) an uninterrupted run gives it.
    /// </summary>
    [Theory]
    [InlineData(3)]   // brute force still pending
    [InlineData(7)]   // brute force open, spray pending
    [InlineData(14)]  // several bursts open
    [InlineData(20)]
    public void Restart_ReReadFromOldestOpenEventTime_IncidentsKeepTheirFingerprints(int crashAfter)
    {
        var events = new List<SecurityEvent>();
        events.AddRange(SecurityLogs.Auth(
            Enumerable.Range(0, 9).Select(i => SecurityLogs.FailedPassword(Sec(i * 20), "203.0.113.7", "root", pid: 3000 + i)),
            Enumerable.Range(0, 6).Select(i => SecurityLogs.FailedPassword(Sec(100 + i * 15), "203.0.113.9", $"user{i}", pid: 3100 + i)),
            [SecurityLogs.Accepted(Sec(200), "203.0.113.7", "root"), SecurityLogs.SudoIncorrectPasswords(Sec(210), "alice", 2),
             SecurityLogs.SuFailed(Sec(260), "alice"), SecurityLogs.FailedPassword(Sec(400), "203.0.113.7", pid: 3200)]));
        events.AddRange(SecurityLogs.AuditLog([SecurityLogs.AuditConfigChange(Sec(150), 7200, "remove_rule"), SecurityLogs.AuditConfigChange(Sec(300), 7201, "remove_rule")]));
        events.Sort((a, b) => a.Timestamp.CompareTo(b.Timestamp)); // one stream in event time, as the daemon's tailers deliver it live

        var uninterrupted = Catalogue();
        var expected = events.Select(e => uninterrupted.Process(e)).ToList();

        var before = Catalogue();
        foreach (var e in events.Take(crashAfter)) before.Process(e);
        var resumeFrom = before.OldestOpenEventTime;

        var after = Catalogue();
        if (resumeFrom is { } t)
            foreach (var e in events.Take(crashAfter).Where(e => e.Timestamp >= t)) after.Process(e); // re-read, results already known
        for (var i = crashAfter; i < events.Count; i++)
        {
            var got = after.Process(events[i]).Select(x => (x.Rule.Name, x.Fingerprint, x.EventCount, x.FirstSeen)).ToList();
            var want = expected[i].Select(x => (x.Rule.Name, x.Fingerprint, x.EventCount, x.FirstSeen)).ToList();
            Assert.Equal(want, got);
        }
        Assert.Contains(expected.SelectMany(x => x), i => i.Rule.Name == "ssh_brute_force");
        Assert.Equal(0, before.RuleErrors + after.RuleErrors);
    }
}
