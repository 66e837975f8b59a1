using Microsoft.Extensions.Hosting.Systemd;

namespace BlueTeam.Engine.Daemon;

/// <summary>
/// Writes this host's heartbeat row every poll interval (read by `blueteam status`, here or on
/// another host of the fleet), replays the spool once the store is back, and pets the systemd
/// watchdog when the unit asks for one.
/// </summary>
internal sealed class HeartbeatWorker : BackgroundService
{
    private readonly DaemonRuntime _runtime;
    private readonly IBlueTeamStore _store;
    private readonly SpoolingAlertStore _spool;
    private readonly PersistentFirstSeenStore _firstSeen;
    private readonly DaemonStats _stats;
    private readonly TimeProvider _time;
    private readonly ISystemdNotifier? _systemd;
    private readonly ILogger<HeartbeatWorker> _logger;
    private readonly StateChangeLog _storeErrors = new();
    private readonly ChainHeadAnnouncer _chainHead = new();

    public HeartbeatWorker(DaemonRuntime runtime, IBlueTeamStore store, SpoolingAlertStore spool, PersistentFirstSeenStore firstSeen, DaemonStats stats, TimeProvider time, ILogger<HeartbeatWorker> logger, ISystemdNotifier? systemd = null)
    {
        _firstSeen = firstSeen;
        _runtime = runtime;
        _store = store;
        _spool = spool;
        _stats = stats;
        _time = time;
        _logger = logger;
        _systemd = systemd;
    }

    public static string Version => typeof(HeartbeatWorker).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var watchdog = WatchdogInterval();
        while (!stoppingToken.IsCancellationRequested)
        {
            await BeatAsync().ConfigureAwait(false);
            var wait = _runtime.Current.Config.Monitoring.PollInterval;
            if (watchdog is { } w && w < wait) wait = w;
            if (!await StopAwareDelay.WaitAsync(wait, _time, stoppingToken).ConfigureAwait(false)) break;
        }
        await BeatAsync().ConfigureAwait(false); // the final state, so `status` shows the stop
    }

    private async Task BeatAsync()
    {
        if (_systemd is { IsEnabled: true }) _systemd.Notify(new ServiceState("WATCHDOG=1"));
        var now = _time.GetUtcNow();
        try
        {
            if (await _spool.GetSpooledCountAsync(CancellationToken.None).ConfigureAwait(false) > 0)
            {
                var replay = await _spool.ReplaySpoolAsync(CancellationToken.None).ConfigureAwait(false);
                _logger.LogInformation("Store is back: replayed {Count} spooled incidents ({Created} new)", replay.Replayed, replay.Created);
            }
            var backlog = await _store.GetOutboxBacklogAsync(CancellationToken.None).ConfigureAwait(false);
            _stats.Pending = backlog.ToDictionary(b => b.Channel, b => b.Pending, StringComparer.Ordinal);
            await _store.UpsertHeartbeatAsync(new Heartbeat
            {
                Host = _runtime.Current.Config.Host,
                Version = Version,
                StartedAt = _stats.StartedAt,
                LastBeat = now,
                Uptime = now - _stats.StartedAt,
                Counters = Counters(),
                Sources = SourceStates(),
                OutboxBacklog = (int)Math.Min(int.MaxValue, backlog.Sum(b => b.Pending)),
            }, CancellationToken.None).ConfigureAwait(false);
            await _firstSeen.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            // NIST 3.3.8: the audit chain's head leaves the host, so rewriting history would show.
            await _chainHead.AnnounceAsync(_runtime.Current.Config, _store, now, _logger, CancellationToken.None).ConfigureAwait(false);
            await RaiseSilentHostsAsync(now).ConfigureAwait(false);
            if (_storeErrors.Succeeded()) _logger.LogInformation("Store reachable again");
        }
        catch (StoreException e)
        {
            _stats.StoreError();
            if (_storeErrors.Failed(e.Message)) _logger.LogWarning("Heartbeat not written: {Message}", e.Message); // logged when the error changes
        }
    }

    /// <summary>The daemon's counters, with the lines parsers failed on and the rule evaluations that threw.</summary>
    private Dictionary<string, long> Counters()
    {
        var counters = new Dictionary<string, long>(_stats.Counters(), StringComparer.Ordinal);
        var pipeline = _runtime.Current.Pipeline;
        counters["parse_errors"] = pipeline.Errors.ParseErrors;
        counters["rule_errors"] = pipeline.Errors.RuleErrors;
        counters["lines_truncated"] = pipeline.Errors.LinesTruncated;
        return counters;
    }

    /// <summary>
    /// Each source's state, and each channel's as "channel:NAME" (a failing channel is reported by
    /// `blueteam status` like a failing source: NIST 3.3.4 wants delivery failures visible).
    /// </summary>
    private Dictionary<string, string> SourceStates()
    {
        var parts = _runtime.Current;
        var errors = parts.Pipeline.Errors.BySource;
        var states = _stats.Sources.ToDictionary(s => s.Key, s => s.Value.Described(errors.GetValueOrDefault(s.Key)), StringComparer.Ordinal);
        foreach (var channel in parts.Channels.Keys)
            states["channel:" + channel] = parts.Health.IsHealthy(channel) ? "ok" : "failing: deliveries to this channel keep failing (see alert_delivery_failure)";
        states["sealing"] = _stats.Sealing;
        return states;
    }

    /// <summary>
    /// Fleet: another host's daemon stopped writing its heartbeat. Every daemon looks; the store
    /// hands each silent host to exactly one of them, which raises host_silent.
    /// </summary>
    private async Task RaiseSilentHostsAsync(DateTimeOffset now)
    {
        var parts = _runtime.Current;
        var after = parts.Config.Monitoring.HostSilentSec;
        if (after <= 0) return;
        var silent = await _store.ClaimSilentHostsAsync(now - TimeSpan.FromSeconds(after), parts.Config.Host, parts.Config.Host, CancellationToken.None).ConfigureAwait(false);
        foreach (var host in silent)
        {
            var incident = HostSilentIncident.Create(host.Host, host.LastBeat, now, parts.Config.Host, after);
            var raised = await parts.Engine.RaiseAsync(incident, CancellationToken.None).ConfigureAwait(false);
            _stats.IncidentStored(raised.IsNew);
            if (raised.IsNew) _stats.Recent(incident);
            _logger.LogWarning("Host {Host} has sent no heartbeat since {LastBeat:u}: raised host_silent", host.Host, host.LastBeat);
        }
    }

    private static TimeSpan? WatchdogInterval()
    {
        // systemd sets WATCHDOG_USEC when the unit has WatchdogSec=; ping at half of it.
        var usec = Environment.GetEnvironmentVariable("WATCHDOG_USEC");
        return long.TryParse(usec, out var u) && u > 0 ? TimeSpan.FromMicroseconds(u / 2) : null;
    }
}
