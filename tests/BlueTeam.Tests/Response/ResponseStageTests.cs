using System.Net;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Response;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace BlueTeam.Tests.Response;

public class ResponseStageTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly InMemoryBanStore _store = new();
    private readonly RecordingFirewall _firewall = new();
    private readonly List<SecurityIncident> _selfIncidents = [];
    private readonly LoginMemory _logins = new();

    private ResponseStage Stage(ResponseOptions? options = null, params string[] ignore)
    {
        options ??= new ResponseOptions { Enabled = true };
        return new ResponseStage(options, "h1", _store, _firewall, new IgnoreList(ignore, []), _logins,
            (list, _) => { _selfIncidents.AddRange(list); return Task.CompletedTask; }, _time, NullLogger.Instance);
    }

    private static SecurityIncident BruteForce(string ip, string rule = "ssh_brute_force", string? evidenceIp = null) => new()
    {
        Rule = new IncidentRule { Id = "BT-AUTH-001", Name = rule },
        Title = $"SSH brute force from {ip}",
        Severity = Severity.High,
        DetectedBy = rule,
        Source = new EcsSource { Ip = ip },
        FirstSeen = Start,
        LastSeen = Start,
        EventCount = 5,
        Fingerprint = "fp-" + ip,
        Evidence = [new SecurityEvent { Timestamp = Start, Source = new EcsSource { Ip = evidenceIp ?? ip }, Message = $"Failed password for root from {ip}" }],
    };

    [Fact]
    public async Task HandleAsync_ConfiguredRule_BansAndRecordsIncidentAndEvidence()
    {
        await Stage().HandleAsync([BruteForce("203.0.113.7")], default);

        var applied = Assert.Single(_firewall.Added);
        Assert.Equal("203.0.113.7", applied.Target.ToString());
        Assert.Equal(TimeSpan.FromSeconds(600), applied.Timeout);
        var ban = Assert.Single(_store.Bans);
        Assert.Equal(("ssh_brute_force", "fp-203.0.113.7", BanAction.Enforced), (ban.Rule, ban.IncidentFingerprint, ban.Action));
        Assert.Contains("Failed password for root from 203.0.113.7", ban.Evidence);
        Assert.Equal(Start + TimeSpan.FromSeconds(600), ban.Until);
    }

    [Fact]
    public async Task HandleAsync_UpdateOfSameIncident_BansOnce()
    {
        var stage = Stage();
        await stage.HandleAsync([BruteForce("203.0.113.7"), BruteForce("203.0.113.7")], default);
        Assert.Single(_firewall.Added);
        Assert.Single(_store.Bans);
    }

    [Fact]
    public async Task HandleAsync_RuleNotConfigured_OrDisabled_DoesNothing()
    {
        await Stage().HandleAsync([BruteForce("203.0.113.7", rule: "root_login")], default);
        await Stage(new ResponseOptions { Enabled = false }).HandleAsync([BruteForce("203.0.113.8")], default);
        Assert.Empty(_firewall.Added);
        Assert.Empty(_store.Bans);
    }

    [Fact]
    public async Task HandleAsync_IgnoredOrLoopback_NeverBanned()
    {
        var stage = Stage(null, "198.51.100.0/24");
        await stage.HandleAsync([BruteForce("198.51.100.9"), BruteForce("127.0.0.1"), BruteForce("::1")], default);
        Assert.Empty(_firewall.Added);
        Assert.Equal(3, stage.Counters.IgnoredSources);
    }

    [Fact]
    public async Task HandleAsync_Ipv6PrefixCoveringAnIgnoredAddress_NotBanned()
    {
        var stage = Stage(null, "2001:db8:1:2::53");
        await stage.HandleAsync([BruteForce("2001:db8:1:2::7")], default);
        Assert.Empty(_firewall.Added);
    }

    [Fact]
    public async Task HandleAsync_Ipv6_BansItsPrefix()
    {
        await Stage(new ResponseOptions { Enabled = true, Ipv6Prefix = 56 }).HandleAsync([BruteForce("2001:db8:1:2ff::7")], default);
        Assert.Equal("2001:db8:1:200::/56", Assert.Single(_firewall.Added).Target.ToString());
    }

    [Fact]
    public async Task HandleAsync_EvidenceFromAnotherAddress_NotTrusted_NotBanned()
    {
        var stage = Stage();
        await stage.HandleAsync([BruteForce("192.0.2.99", evidenceIp: "203.0.113.50")], default);
        Assert.Empty(_firewall.Added);
        Assert.Equal(1, stage.Counters.UntrustedSources);
    }

    [Fact]
    public async Task HandleAsync_RecentSuccessfulLogin_ReportedNotBanned_OnceOnly()
    {
        _logins.Observe([new SecurityEvent { Timestamp = Start.AddHours(-3), Event = new EcsEvent { Action = "ssh_login", Outcome = "success" }, Source = new EcsSource { Ip = "203.0.113.7" } }]);
        var stage = Stage();
        await stage.HandleAsync([BruteForce("203.0.113.7"), BruteForce("203.0.113.7")], default);
        Assert.Empty(_firewall.Added);
        var ban = Assert.Single(_store.Bans);
        Assert.Equal(BanAction.Reported, ban.Action);
        Assert.Contains("logged in successfully", ban.Reason);
    }

    [Fact]
    public async Task HandleAsync_LoginOlderThanGrace_Banned()
    {
        _logins.Observe([new SecurityEvent { Timestamp = Start.AddHours(-25), Event = new EcsEvent { Action = "ssh_login", Outcome = "success" }, Source = new EcsSource { Ip = "203.0.113.7" } }]);
        await Stage().HandleAsync([BruteForce("203.0.113.7")], default);
        Assert.Single(_firewall.Added);
    }

    [Fact]
    public async Task HandleAsync_RepeatOffender_BanTimeEscalatesToTheMaximum()
    {
        var stage = Stage(new ResponseOptions { Enabled = true, BanTimeSec = 600, BanTimeFactor = 4, BanTimeMaxSec = 20_000 });
        var timeouts = new List<TimeSpan>();
        for (var i = 0; i < 4; i++)
        {
            await stage.HandleAsync([BruteForce("203.0.113.7")], default);
            timeouts.Add(_firewall.Added[^1].Timeout);
            _time.Advance(TimeSpan.FromDays(1)); // the ban ran out
        }
        Assert.Equal([600, 2400, 9600, 20_000], timeouts.Select(t => t.TotalSeconds));
    }

    [Fact]
    public async Task HandleAsync_FirewallFails_RaisesCriticalSelfIncident_NothingRecorded_RetriedOnNextUpdate()
    {
        _firewall.Failure = "cannot run nft: No such file or directory (is nftables installed?)";
        var stage = Stage();
        await stage.HandleAsync([BruteForce("203.0.113.7")], default);
        var self = Assert.Single(_selfIncidents);
        Assert.Equal((ResponseFailureIncident.RuleName, Severity.Critical), (self.Rule.Name, self.Severity));
        Assert.Contains("is nftables installed", self.Description);
        Assert.Empty(_store.Bans);

        _firewall.Failure = null;
        await stage.HandleAsync([BruteForce("203.0.113.7")], default);
        Assert.Single(_firewall.Added);
        Assert.Single(_store.Bans);
    }

    [Fact]
    public async Task HandleAsync_MaxBansReached_RefusesAndAlerts()
    {
        var stage = Stage(new ResponseOptions { Enabled = true, MaxBans = 2 });
        await stage.HandleAsync([BruteForce("203.0.113.1"), BruteForce("203.0.113.2"), BruteForce("203.0.113.3")], default);
        Assert.Equal(2, _firewall.Added.Count);
        Assert.Contains("max_bans (2) reached", Assert.Single(_selfIncidents).Description);
    }

    [Fact]
    public async Task HandleAsync_DryRun_RecordsWithoutTouchingTheFirewall()
    {
        await Stage(new ResponseOptions { Enabled = true, Mode = ResponseMode.DryRun }).HandleAsync([BruteForce("203.0.113.7")], default);
        Assert.Empty(_firewall.Added);
        Assert.Equal(0, _firewall.Ensured);
        Assert.Equal(BanAction.DryRun, Assert.Single(_store.Bans).Action);
    }

    [Fact]
    public async Task StartAsync_ReappliesActiveEnforcedBansWithRemainingTime_SkipsLiftedExpiredAndNowIgnored()
    {
        await _store.AddBanAsync(Ban("203.0.113.7", Start.AddMinutes(-4), Start.AddMinutes(6)), default);
        await _store.AddBanAsync(Ban("203.0.113.8", Start.AddMinutes(-20), Start.AddMinutes(-10)), default);
        await _store.AddBanAsync(Ban("198.51.100.9", Start.AddMinutes(-1), Start.AddMinutes(9)), default);
        await _store.AddBanAsync(Ban("203.0.113.9", Start.AddMinutes(-1), Start.AddMinutes(9)), default);
        await _store.LiftBansAsync("203.0.113.9", "ops", Start, default);

        await Stage(null, "198.51.100.0/24").StartAsync(default);

        Assert.Equal(1, _firewall.Ensured);
        var restored = Assert.Single(_firewall.Added);
        Assert.Equal(("203.0.113.7", TimeSpan.FromMinutes(6)), (restored.Target.ToString(), restored.Timeout));
    }

    [Fact]
    public async Task SyncAsync_Fleet_AppliesOtherHostsBansOnce_HostShareDoesNot()
    {
        var stage = Stage(new ResponseOptions { Enabled = true, Share = ResponseShare.Fleet });
        await stage.StartAsync(default);
        await _store.AddBanAsync(Ban("203.0.113.7", Start, Start.AddMinutes(10)) with { Host = "h2" }, default);
        _time.Advance(TimeSpan.FromSeconds(31));
        await stage.SyncAsync(default);
        _time.Advance(TimeSpan.FromSeconds(31));
        await stage.SyncAsync(default);
        var applied = Assert.Single(_firewall.Added);
        Assert.Equal(("203.0.113.7", TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(31)), (applied.Target.ToString(), applied.Timeout));

        _firewall.Added.Clear();
        var hostOnly = Stage();
        await hostOnly.StartAsync(default);
        _time.Advance(TimeSpan.FromSeconds(31));
        await hostOnly.SyncAsync(default);
        Assert.Empty(_firewall.Added);
    }

    private static NewBan Ban(string target, DateTimeOffset from, DateTimeOffset until) => new()
    {
        Host = "h1", Target = target, Reason = "r", By = "ssh_brute_force", Rule = "ssh_brute_force", Action = BanAction.Enforced, From = from, Until = until,
    };

    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData(" 10.0.0.0/8 ", "10.0.0.0/8")]
    [InlineData("2001:db8::/64", "2001:db8::/64")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    public void BanTarget_TryParse_Canonical(string text, string expected)
    {
        Assert.True(BanTarget.TryParse(text, out var target));
        Assert.Equal(expected, target.Value.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("10.0.0.1/8")]
    [InlineData("203.0.113.7; flush ruleset")]
    [InlineData("example.org")]
    [InlineData("10.0.0.0/33")]
    public void BanTarget_TryParse_RejectsAnythingButAnAddressOrCleanPrefix(string text) => Assert.False(BanTarget.TryParse(text, out _));

    [Fact]
    public void Options_Defaults_OffWithBruteForceAndScannerRules()
    {
        var c = ConfigLoader.Parse("", "none");
        Assert.False(c.Response.Enabled);
        Assert.Equal(["ssh_brute_force", "password_spray", "web_scanner"], c.Response.Rules);
        Assert.Equal(64, c.Response.Ipv6Prefix);
        Assert.Equal(86400, c.Response.SuccessfulLoginGraceSec);
    }

    [Fact]
    public void Options_BadValues_RefusedNamingTheKey()
    {
        var mode = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("response:\n  mode: block\n", "t.yaml"));
        Assert.Equal("response.mode", Assert.Single(mode.Errors).Key);
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("response:\n  ignore: [10.0.0.300]\n  ipv6_prefix: 8\n  ban_time_factor: 0.5\n", "t.yaml"));
        var keys = e.Errors.Select(x => x.Key).ToList();
        Assert.True(keys.Count == 3, string.Join("; ", e.Errors));
        Assert.Contains("response.ignore[0]", keys);
        Assert.Contains("response.ipv6_prefix", keys);
        Assert.Contains("response.ban_time_factor", keys);
    }
}

internal sealed class RecordingFirewall : IFirewall
{
    public List<TimedBan> Added { get; } = [];
    public List<BanTarget> Removed { get; } = [];
    public int Ensured { get; private set; }
    public string? Failure { get; set; }

    public Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (Failure is not null) throw new FirewallException(Failure);
        Ensured++;
        return Task.CompletedTask;
    }

    public Task AddAsync(IReadOnlyList<TimedBan> bans, CancellationToken cancellationToken)
    {
        if (Failure is not null) throw new FirewallException(Failure);
        Added.AddRange(bans);
        return Task.CompletedTask;
    }

    public Task RemoveAsync(IReadOnlyList<BanTarget> targets, CancellationToken cancellationToken)
    {
        Removed.AddRange(targets);
        return Task.CompletedTask;
    }
}

internal sealed class InMemoryBanStore : IBanStore
{
    public List<BanRecord> Bans { get; } = [];

    public Task<BanRecord> AddBanAsync(NewBan ban, CancellationToken cancellationToken)
    {
        var record = new BanRecord
        {
            Id = Bans.Count + 1, Host = ban.Host, Target = ban.Target, Rule = ban.Rule, IncidentFingerprint = ban.IncidentFingerprint,
            Reason = ban.Reason, Evidence = ban.Evidence, By = ban.By, Action = ban.Action, From = ban.From, Until = ban.Until,
        };
        Bans.Add(record);
        return Task.FromResult(record);
    }

    public Task<IReadOnlyList<BanRecord>> ListBansAsync(bool activeOnly, string? host, DateTimeOffset now, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<BanRecord>>(Bans.Where(b => (!activeOnly || b.IsActiveAt(now)) && (host is null || b.Host == host)).ToList());

    public Task<int> CountEnforcedBansAsync(string target, CancellationToken cancellationToken) =>
        Task.FromResult(Bans.Count(b => b.Target == target && b.Action == BanAction.Enforced));

    public Task<IReadOnlyList<BanRecord>> LiftBansAsync(string target, string liftedBy, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lifted = new List<BanRecord>();
        for (var i = 0; i < Bans.Count; i++)
        {
            if (Bans[i].Target != target || !Bans[i].IsActiveAt(now)) continue;
            Bans[i] = Bans[i] with { LiftedAt = now, LiftedBy = liftedBy };
            lifted.Add(Bans[i]);
        }
        return Task.FromResult<IReadOnlyList<BanRecord>>(lifted);
    }
}
