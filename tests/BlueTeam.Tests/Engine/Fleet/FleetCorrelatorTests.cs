using BlueTeam.Alerting;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Correlation.Fleet;
using BlueTeam.Engine.Daemon;
using BlueTeam.Storage.Fleet;
using BlueTeam.Tests.Storage.Fleet;
using Microsoft.Extensions.Logging.Abstractions;

namespace BlueTeam.Tests.Engine.Fleet;

/// <summary>The elected correlator's loop on a real PostgreSQL, with the alert engine replaced by a list of raised incidents.</summary>
public class FleetCorrelatorTests : IAsyncLifetime
{
    private static readonly FleetOptions Options = new() { Enabled = true };
    private SignalsTestDatabase _db = null!;
    private SignalsStore _store = null!;
    private readonly List<SecurityIncident> _raised = [];
    private readonly DateTimeOffset _t0 = TruncateToMinute(DateTimeOffset.UtcNow);

    public async Task InitializeAsync()
    {
        _db = await SignalsTestDatabase.CreateAsync();
        _store = new SignalsStore(_db.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _db.DisposeAsync();
    }

    private static DateTimeOffset TruncateToMinute(DateTimeOffset t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerMinute, TimeSpan.Zero);

    private FleetCorrelator Correlator(SignalsLeaderSession session, string host)
    {
        var rules = FleetRuleCatalog.Build(Options);
        return new FleetCorrelator(session, rules, FleetRuleCatalog.Retention(rules, Options), host, (incidents, _) =>
        {
            _raised.AddRange(incidents);
            return Task.FromResult<IReadOnlyList<RaisedAlert>>(incidents.Select((_, i) => new RaisedAlert(i + 1, true, [])).ToList());
        }, TimeProvider.System, NullLogger.Instance);
    }

    private Task PublishAsync(IEnumerable<int> hosts, string source = "203.0.113.7") =>
        _store.PublishAsync(hosts.Select(i => new FleetSignal(0, $"web{i:00}", _t0, source, "root", 3)).ToList(), CancellationToken.None);

    [Fact]
    public async Task SprayOverTwentyHosts_OneFleetIncident_RaisedOnceThenUpdated()
    {
        await using var session = await _store.TryLeadAsync("leader1", CancellationToken.None);
        Assert.NotNull(session);
        var correlator = Correlator(session, "leader1");
        await correlator.StartAsync(CancellationToken.None);

        await PublishAsync(Enumerable.Range(1, 4));
        await correlator.RunOnceAsync(CancellationToken.None);
        Assert.Empty(_raised); // four hosts: below min_hosts

        await PublishAsync(Enumerable.Range(5, 16));
        await correlator.RunOnceAsync(CancellationToken.None);
        Assert.Equal(0, await correlator.RunOnceAsync(CancellationToken.None)); // nothing new: nothing raised again

        var incident = Assert.Single(_raised);
        Assert.Equal("fleet_ssh_spray", incident.Rule.Name);
        Assert.Equal("SSH spray from 203.0.113.7 across 20 hosts", incident.Title);
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM blueteam.fleet_incidents WHERE raised AND host = 'leader1'"));
    }

    [Fact]
    public async Task Failover_SprayCompletedWhileNoOneLeads_RaisedOnceByTheNewLeader_OldIncidentNotRaisedAgain()
    {
        await using (var first = await _store.TryLeadAsync("leader1", CancellationToken.None))
        {
            Assert.NotNull(first);
            var correlator = Correlator(first, "leader1");
            await correlator.StartAsync(CancellationToken.None);
            await PublishAsync(Enumerable.Range(1, 6)); // a spray the first leader raises
            await PublishAsync(Enumerable.Range(1, 2), source: "198.51.100.9"); // the start of another
            await correlator.RunOnceAsync(CancellationToken.None);
        } // the first leader dies
        Assert.Equal(["203.0.113.7"], _raised.Select(i => i.Source?.Ip));

        await PublishAsync(Enumerable.Range(3, 5), source: "198.51.100.9"); // completed while no one leads
        await PublishAsync([7]); // the first spray goes on

        await using var second = await _store.TryLeadAsync("leader2", CancellationToken.None);
        Assert.NotNull(second);
        var next = Correlator(second, "leader2");
        await next.StartAsync(CancellationToken.None);
        await next.RunOnceAsync(CancellationToken.None);

        Assert.Equal(["203.0.113.7", "198.51.100.9"], _raised.Select(i => i.Source?.Ip));
        Assert.Equal("SSH spray from 198.51.100.9 across 7 hosts", _raised[1].Title);
        // The first spray's incident is continued in the shared state (7 hosts now) but stays leader1's.
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM blueteam.fleet_incidents WHERE host = 'leader1' AND updated_by = 'leader2' AND hosts_json LIKE '%web07%'"));
    }

    [Fact]
    public async Task LeaderDiedBetweenRecordingAndRaising_SuccessorRaisesIt()
    {
        await PublishAsync(Enumerable.Range(1, 5));
        await using (var first = await _store.TryLeadAsync("leader1", CancellationToken.None))
        {
            Assert.NotNull(first);
            // What RunOnceAsync records before it raises: the incident and the cursor, then the process dies.
            var signals = await first.ReadAfterAsync(0, 100, CancellationToken.None);
            var window = new FleetWindow(TimeSpan.FromMinutes(11));
            window.Add(signals);
            var finding = Assert.Single(new FleetSshSprayRule(Options.Rules.FleetSshSpray, Options.Bucket).Evaluate(window, signals));
            var (_, episode) = FleetEpisodes.Decide(finding, null, TimeSpan.FromMinutes(10), "leader1");
            await first.CommitAsync(signals[^1].Id, [episode], CancellationToken.None);
        }

        await using var second = await _store.TryLeadAsync("leader2", CancellationToken.None);
        Assert.NotNull(second);
        await Correlator(second, "leader2").StartAsync(CancellationToken.None);

        var incident = Assert.Single(_raised);
        Assert.Equal("SSH spray from 203.0.113.7 across 5 hosts", incident.Title);
        Assert.Equal(1, await _db.ScalarAsync("SELECT count(*) FROM blueteam.fleet_incidents WHERE raised"));
    }
}
