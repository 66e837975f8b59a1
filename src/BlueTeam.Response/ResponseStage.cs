using System.Text;
using BlueTeam.Core.Config;
using BlueTeam.Core.Diagnostics;
using Microsoft.Extensions.Logging;

namespace BlueTeam.Response;

/// <summary>
/// The response stage, after correlation and raising: decides for each incident of a configured
/// rule whether its source is banned, records every decision in the store, and applies it to the
/// firewall (enforce) or not (dry-run).
/// </summary>
/// <remarks>
/// Safety first, in this order: only incidents of <see cref="ResponseOptions.Rules"/>; only a
/// source whose attribution is trusted (<see cref="AttributionTrusted"/>); never an ignored or own
/// address; never an address with a recent successful login (reported instead). A firewall failure
/// never stops detection: it raises a critical <see cref="ResponseFailureIncident"/> and the ban is
/// tried again on the incident's next update.
/// </remarks>
public sealed class ResponseStage
{
    private static readonly TimeSpan FleetSyncEvery = TimeSpan.FromSeconds(30);

    private readonly ResponseOptions _options;
    private readonly string _host;
    private readonly IBanStore _store;
    private readonly IFirewall _firewall;
    private readonly IgnoreList _ignore;
    private readonly LoginMemory _logins;
    private readonly Func<IReadOnlyList<SecurityIncident>, CancellationToken, Task> _raiseSelfIncidents;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HashSet<string> _rules;
    // Targets with a decision in force (banned, or recorded in dry-run) → until: spares the store a
    // query on every update of an incident, and counts bans against max_bans.
    private readonly Dictionary<string, DateTimeOffset> _active = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    private DateTimeOffset _lastFleetSync = DateTimeOffset.MinValue;
    private readonly StateChangeLog _failures = new();

    public ResponseStage(ResponseOptions options, string host, IBanStore store, IFirewall firewall, IgnoreList ignore, LoginMemory logins,
        Func<IReadOnlyList<SecurityIncident>, CancellationToken, Task> raiseSelfIncidents, TimeProvider time, ILogger logger)
    {
        _options = options;
        _host = host;
        _store = store;
        _firewall = firewall;
        _ignore = ignore;
        _logins = logins;
        _raiseSelfIncidents = raiseSelfIncidents;
        _time = time;
        _logger = logger;
        _rules = new HashSet<string>(options.Rules, StringComparer.Ordinal);
    }

    /// <summary>The stage as the daemon runs it: nftables, the configured ignore list plus this host's addresses, a fresh login memory.</summary>
    public static ResponseStage Create(ResponseOptions options, string host, IBanStore store,
        Func<IReadOnlyList<SecurityIncident>, CancellationToken, Task> raiseSelfIncidents, TimeProvider time, ILogger logger) =>
        new(options, host, store, new NftablesFirewall(), new IgnoreList(options.Ignore, IgnoreList.HostAddresses()), new LoginMemory(), raiseSelfIncidents, time, logger);

    public ResponseCounters Counters { get; } = new();

    public bool Enabled => _options.Enabled;

    /// <summary>Feeds the successful-login memory (the parsed events of every line, replayed ones included).</summary>
    public void Observe(IReadOnlyList<SecurityEvent> events)
    {
        if (_options.Enabled) _logins.Observe(events);
    }

    /// <summary>At start: creates the table (enforce) and puts the active bans back with their remaining time.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled) return;
        var now = _time.GetUtcNow();
        var bans = await _store.ListBansAsync(activeOnly: true, HostFilter, now, cancellationToken).ConfigureAwait(false);
        foreach (var b in bans) if (b.Action != BanAction.Reported) _active[b.Target] = b.Until;
        _lastFleetSync = now;
        if (_options.Mode == ResponseMode.DryRun) return;
        var toApply = Enforceable(bans, now);
        try
        {
            await _firewall.EnsureAsync(cancellationToken).ConfigureAwait(false);
            await _firewall.AddAsync(toApply, cancellationToken).ConfigureAwait(false);
            Counters.Restored(toApply.Count);
            Log.Restored(_logger, toApply.Count);
        }
        catch (FirewallException e)
        {
            await FailedAsync(e.Message, toApply.Count, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>With share: fleet, applies the bans other hosts decided since the last sync (at most every 30 s).</summary>
    public async Task SyncAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled || _options.Share != ResponseShare.Fleet || _options.Mode == ResponseMode.DryRun) return;
        var now = _time.GetUtcNow();
        if (now - _lastFleetSync < FleetSyncEvery) return;
        _lastFleetSync = now;
        var bans = await _store.ListBansAsync(activeOnly: true, host: null, now, cancellationToken).ConfigureAwait(false);
        var fresh = bans.Where(b => b.Action == BanAction.Enforced && !_active.ContainsKey(b.Target)).ToList();
        if (fresh.Count == 0) return;
        var toApply = Enforceable(fresh, now);
        try
        {
            await _firewall.AddAsync(toApply, cancellationToken).ConfigureAwait(false);
            foreach (var b in fresh) _active[b.Target] = b.Until;
            Counters.Restored(toApply.Count);
        }
        catch (FirewallException e)
        {
            await FailedAsync(e.Message, toApply.Count, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Decides, records and applies a ban for each incident of a configured rule. Never throws for a firewall failure.</summary>
    public async Task HandleAsync(IReadOnlyList<SecurityIncident> incidents, CancellationToken cancellationToken)
    {
        if (!_options.Enabled) return;
        for (var i = 0; i < incidents.Count; i++)
        {
            var incident = incidents[i];
            if (!_rules.Contains(incident.Rule.Name)) continue;
            try
            {
                await DecideAsync(incident, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The stage boundary: a store outage or a bug in one decision must not stop
                // detection. The incident's next update decides again.
                Counters.Errored();
                Log.DecisionFailed(_logger, e, incident.Fingerprint);
            }
        }
    }

    private async Task DecideAsync(SecurityIncident incident, CancellationToken ct)
    {
        if (!AttributionTrusted(incident, out var address))
        {
            Counters.Untrusted();
            Log.Untrusted(_logger, incident.Fingerprint, incident.Rule.Name);
            return;
        }
        var target = BanTarget.ForAddress(address, _options.Ipv6Prefix);
        var key = target.ToString();
        if (_ignore.Covering(target) is { } ignored)
        {
            Counters.Ignored();
            Log.Ignored(_logger, incident.Fingerprint, key, ignored.ToString());
            return;
        }
        var now = _time.GetUtcNow();
        if (_active.TryGetValue(key, out var until) && until > now) return; // decided already; this is an update of the incident
        _active.Remove(key);

        if (_options.SuccessfulLoginGraceSec > 0
            && _logins.LoggedInSince(target, now - TimeSpan.FromSeconds(_options.SuccessfulLoginGraceSec)) is { } login)
        {
            if (_reported.Count >= 100_000) _reported.Clear(); // bounded: at worst an incident is reported twice
            if (!_reported.Add(incident.Fingerprint)) return;
            Counters.Reported();
            Log.ReportedNotBanned(_logger, incident.Fingerprint, key, login.Address.ToString(), login.At);
            await _store.AddBanAsync(Decision(incident, key, BanAction.Reported, now, now,
                $"not banned: {login.Address} logged in successfully at {login.At:u} (successful_login_grace_sec {_options.SuccessfulLoginGraceSec})"), ct).ConfigureAwait(false);
            return;
        }

        PruneExpired(now);
        if (_active.Count >= _options.MaxBans)
        {
            Counters.CapReached();
            await FailedAsync($"max_bans ({_options.MaxBans}) reached: {key} not banned", 1, ct, Severity.High).ConfigureAwait(false);
            return;
        }

        var prior = await _store.CountEnforcedBansAsync(key, ct).ConfigureAwait(false);
        var duration = BanTime(prior);
        var action = _options.Mode == ResponseMode.DryRun ? BanAction.DryRun : BanAction.Enforced;
        if (action == BanAction.Enforced)
        {
            try
            {
                await _firewall.AddAsync([new TimedBan(target, duration)], ct).ConfigureAwait(false);
            }
            catch (FirewallException e)
            {
                await FailedAsync(e.Message, 1, ct).ConfigureAwait(false);
                return; // not recorded as enforced: the next update of the incident tries again
            }
            if (_failures.Succeeded()) Log.Recovered(_logger);
        }
        var reason = prior == 0 ? incident.Title : $"{incident.Title} (ban {prior + 1} of this source: {(int)duration.TotalSeconds} s)";
        await _store.AddBanAsync(Decision(incident, key, action, now, now + duration, reason), ct).ConfigureAwait(false);
        _active[key] = now + duration;
        Counters.Decided(action);
        Log.Decided(_logger, action == BanAction.DryRun ? "Would ban (dry-run)" : "Banned", key, (long)duration.TotalSeconds, incident.Rule.Name, incident.Fingerprint);
    }

    /// <summary>
    /// Only an address the parser took from a trusted position of its line may be banned. Until the
    /// parsers mark positions (the attribution work), trust means: the incident is keyed by
    /// source.ip, that value is an address, and every evidence event carries that same source.ip, so
    /// no user name, key id or URL text can have supplied it.
    /// </summary>
    internal static bool AttributionTrusted(SecurityIncident incident, out IPAddress address)
    {
        address = IPAddress.None;
        if (incident.Source?.Ip is not { } ip || !IPAddress.TryParse(ip, out var parsed)) return false;
        if (incident.Evidence.Count == 0) return false;
        foreach (var e in incident.Evidence)
            if (!string.Equals(e.Source?.Ip, ip, StringComparison.Ordinal)) return false;
        address = parsed;
        return true;
    }

    /// <summary>fail2ban's bantime.increment: base × factor^(earlier bans), capped at the maximum.</summary>
    internal TimeSpan BanTime(int priorBans)
    {
        var seconds = _options.BanTimeSec * Math.Pow(_options.BanTimeFactor, Math.Min(priorBans, 64));
        return TimeSpan.FromSeconds(Math.Min(seconds, _options.BanTimeMaxSec));
    }

    private NewBan Decision(SecurityIncident incident, string target, BanAction action, DateTimeOffset from, DateTimeOffset until, string reason) => new()
    {
        Host = _host,
        Target = target,
        Rule = incident.Rule.Name,
        IncidentFingerprint = incident.Fingerprint,
        Reason = reason,
        Evidence = EvidenceText(incident),
        By = incident.Rule.Name,
        Action = action,
        From = from,
        Until = until,
    };

    private static string EvidenceText(SecurityIncident incident)
    {
        var sb = new StringBuilder();
        foreach (var e in incident.Evidence.Take(5))
        {
            if (sb.Length > 0) sb.Append('\n');
            sb.Append(e.Timestamp.ToString("u", System.Globalization.CultureInfo.InvariantCulture)).Append(' ').Append(e.Message ?? e.Event.Action);
        }
        return sb.Length > 4000 ? sb.ToString(0, 4000) : sb.ToString();
    }

    private List<TimedBan> Enforceable(IReadOnlyList<BanRecord> bans, DateTimeOffset now)
    {
        var result = new List<TimedBan>(bans.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var b in bans)
        {
            if (b.Action != BanAction.Enforced || b.Until <= now || !seen.Add(b.Target)) continue;
            if (!BanTarget.TryParse(b.Target, out var target)) continue; // written by this code; never expected
            if (_ignore.Covering(target.Value) is not null) continue; // the ignore list grew since: never re-apply
            result.Add(new TimedBan(target.Value, b.Until - now));
        }
        return result;
    }

    private void PruneExpired(DateTimeOffset now)
    {
        if (_active.Count < _options.MaxBans) return;
        foreach (var (k, v) in _active.ToList()) if (v <= now) _active.Remove(k);
    }

    private string? HostFilter => _options.Share == ResponseShare.Fleet ? null : _host;

    private async Task FailedAsync(string problem, int count, CancellationToken ct, Severity severity = Severity.Critical)
    {
        Counters.Failed(count);
        if (_failures.Failed(problem)) Log.Failed(_logger, count, problem);
        await _raiseSelfIncidents([ResponseFailureIncident.Create(_host, problem, count, _time.GetUtcNow(), severity)], ct).ConfigureAwait(false);
    }
}

/// <summary>What the response stage did, for the daemon's metrics.</summary>
public sealed class ResponseCounters
{
    private long _errors, _banned, _dryRun, _reported, _ignored, _untrusted, _failed, _restored, _capReached;
    public long Banned => Interlocked.Read(ref _banned);
    public long DryRun => Interlocked.Read(ref _dryRun);
    public long ReportedNotBanned => Interlocked.Read(ref _reported);
    public long IgnoredSources => Interlocked.Read(ref _ignored);
    public long UntrustedSources => Interlocked.Read(ref _untrusted);
    public long FailedBans => Interlocked.Read(ref _failed);
    public long RestoredBans => Interlocked.Read(ref _restored);
    public long CapRefusals => Interlocked.Read(ref _capReached);
    public long Errors => Interlocked.Read(ref _errors);
    internal void Errored() => Interlocked.Increment(ref _errors);

    internal void Decided(BanAction action)
    {
        if (action == BanAction.DryRun) Interlocked.Increment(ref _dryRun);
        else Interlocked.Increment(ref _banned);
    }
    internal void Reported() => Interlocked.Increment(ref _reported);
    internal void Ignored() => Interlocked.Increment(ref _ignored);
    internal void Untrusted() => Interlocked.Increment(ref _untrusted);
    internal void Failed(int count) => Interlocked.Add(ref _failed, count);
    internal void Restored(int count) => Interlocked.Add(ref _restored, count);
    internal void CapReached() => Interlocked.Increment(ref _capReached);
}
