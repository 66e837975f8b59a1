using Microsoft.Extensions.Logging.Abstractions;

namespace BlueTeam.Alerting;

/// <summary>What happened to one raised incident.</summary>
/// <param name="AlertId">The stored alert's id.</param>
/// <param name="IsNew">True when the fingerprint was new; false when an existing alert was updated.</param>
/// <param name="Route">The channels the incident routes to (before silences and dedup).</param>
public sealed record RaisedAlert(long AlertId, bool IsNew, IReadOnlyList<string> Route)
{
    /// <summary>Channels a delivery was queued for by this raise (all of <see cref="Route"/> when new, possibly none on an update).</summary>
    public IReadOnlyList<string> Queued { get; init; } = [];
    /// <summary>Why deliveries were queued on an update; null when new or nothing was queued.</summary>
    public NotifyReason? Reason { get; init; }
    /// <summary>The silence that held the incident back, if any.</summary>
    public long? SilencedBy { get; init; }
}

/// <summary>
/// Takes incidents from the correlator, picks their route and writes them, with their outbox rows,
/// to the store. Sending is the <see cref="DeliveryDispatcher"/>'s job, so a slow channel never
/// holds up detection and nothing is lost if the daemon stops between detection and delivery.
/// </summary>
/// <remarks>
/// <para>Stages, in order: route → silence → store → dedup (repeat interval, acks) → outbox.
/// Every incident is stored, whatever its route (info and silenced included), because the alert
/// history is the audit record (NIST 3.3.1).</para>
/// <para>A new fingerprint is always queued to its route. An update of a known fingerprint is queued
/// to a channel only when it got worse since that channel was last sent it (severity rose, or the
/// event count reached <see cref="AlertingOptions.CountStepFactor"/> times the count sent), or when
/// <see cref="AlertingOptions.RepeatInterval"/> has passed and the count grew at all. An acknowledged
/// alert is queued again only when its severity rises above the severity it was acknowledged at.
/// Without an <see cref="INotificationLog"/> updates are never re-sent (the behaviour before dedup).</para>
/// <para>A store failure is logged, counted and rethrown: losing an incident silently is the one
/// thing this class must never do; the daemon decides whether to stop.</para>
/// </remarks>
public sealed class AlertEngine
{
    private readonly AlertRouter _router;
    private readonly IAlertStore _store;
    private readonly string _host;
    private readonly AlertingOptions _options;
    private readonly TimeProvider _time;
    private readonly INotificationLog? _notifications;
    private readonly ISilenceSource? _silences;
    private readonly IAckSource? _acks;
    private readonly ILogger _logger;

    // Written by RaiseAsync, read by the dashboard and `status`; Interlocked keeps reads torn-free.
    private long _raised;
    private long _new;
    private long _updated;
    private long _renotified;
    private long _silenced;
    private long _storeFailures;

    /// <param name="router">Routes built from the config and the enabled channels.</param>
    /// <param name="store">The alert history and outbox.</param>
    /// <param name="host">The host name alerts carry (<c>BlueTeamConfig.Host</c>).</param>
    /// <param name="logger">Optional; store failures are logged here.</param>
    public AlertEngine(AlertRouter router, IAlertStore store, string host, ILogger<AlertEngine>? logger = null)
        : this(router, store, host, new AlertingOptions(), TimeProvider.System, null, null, null, logger)
    {
    }

    /// <param name="router">Routes built from the config and the enabled channels.</param>
    /// <param name="store">The alert history and outbox.</param>
    /// <param name="host">The host name alerts carry (<c>BlueTeamConfig.Host</c>).</param>
    /// <param name="options">repeat_interval_sec, count_step_factor and delivery_failure.fallback are read.</param>
    /// <param name="time">Clock for repeat intervals and silences.</param>
    /// <param name="notifications">Per-channel send history; null: updates are never re-sent.</param>
    /// <param name="silences">Silences; null: nothing is silenced.</param>
    /// <param name="acks">Acknowledgements; null: nothing is acknowledged.</param>
    /// <param name="logger">Optional.</param>
    public AlertEngine(AlertRouter router, IAlertStore store, string host, AlertingOptions options, TimeProvider time,
        INotificationLog? notifications, ISilenceSource? silences, IAckSource? acks, ILogger<AlertEngine>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(router);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _router = router;
        _store = store;
        _host = host;
        _options = options;
        _time = time;
        _notifications = notifications;
        _silences = silences;
        _acks = acks;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Incidents successfully stored (new + updated).</summary>
    public long IncidentsRaised => Interlocked.Read(ref _raised);
    /// <summary>Incidents stored under a fingerprint not seen before (deliveries queued).</summary>
    public long NewAlerts => Interlocked.Read(ref _new);
    /// <summary>Incidents that updated an alert already stored.</summary>
    public long UpdatedAlerts => Interlocked.Read(ref _updated);
    /// <summary>Updates that were queued again to at least one channel.</summary>
    public long Renotified => Interlocked.Read(ref _renotified);
    /// <summary>Incidents stored but held back by a silence.</summary>
    public long Silenced => Interlocked.Read(ref _silenced);
    /// <summary>Incidents the store refused or failed to write.</summary>
    public long StoreFailures => Interlocked.Read(ref _storeFailures);

    /// <summary>
    /// At the daemon's first start: incidents that ended before it are stored but held back for one digest per
    /// channel (<see cref="FirstStartDigest"/>); null (the default, and every later start): none is held.
    /// </summary>
    public FirstStartDigest? History { get; set; }

    /// <summary>
    /// Stores and queues the digest of the history held back so far when it is due (the queue is
    /// <paramref name="idle"/>, or the hold is long). Returns the digest's alert, or null when none was due.
    /// </summary>
    /// <remarks>A store failure leaves the history held (the digest is retried at the next call) and is rethrown.</remarks>
    public async Task<RaisedAlert?> SendHistoryDigestAsync(bool idle, CancellationToken cancellationToken)
    {
        if (History is not { } history) return null;
        if (!history.IsDue(_time.GetUtcNow(), idle))
        {
            // The first idle moment ends the backlog: what comes later is news, whatever its timestamps.
            if (idle) history.Close();
            return null;
        }
        var snapshot = history.Digest(_host)!.Value;
        if (snapshot.Channels.Count == 0)
        {
            // Nothing held would have been sent anywhere (info only, or no channel on): no one to tell.
            history.Sent();
            if (idle) history.Close();
            return null;
        }
        try
        {
            var saved = await _store.SaveAlertAsync(snapshot.Digest, _host, snapshot.Channels, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _raised);
            Interlocked.Increment(ref saved.IsNew ? ref _new : ref _updated);
            history.Sent();
            if (idle) history.Close();
            Log.HistoryDigestQueued(_logger, snapshot.Digest.EventCount, saved.AlertId, snapshot.Channels.Count == 0 ? "(none)" : string.Join(",", snapshot.Channels));
            return new RaisedAlert(saved.AlertId, saved.IsNew, snapshot.Channels) { Queued = snapshot.Channels };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Interlocked.Increment(ref _storeFailures);
            Log.AlertStoreFailed(_logger, e, snapshot.Digest.Fingerprint, snapshot.Digest.Rule.Name);
            throw;
        }
    }

    /// <summary>The router this engine uses (for <c>blueteam routes test</c>).</summary>
    public AlertRouter Router => _router;

    /// <summary>Stores the incident and queues deliveries as the class remarks describe.</summary>
    /// <exception cref="OperationCanceledException">Shutdown; nothing is counted.</exception>
    /// <remarks>Any store exception is logged, counted in <see cref="StoreFailures"/> and rethrown.</remarks>
    public Task<RaisedAlert> RaiseAsync(SecurityIncident incident, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(incident);
        return RaiseRoutedAsync(incident, _router.Route(incident, _host).Channels, cancellationToken);
    }

    /// <summary>
    /// Raises the incidents in order, each decided exactly as <see cref="RaiseAsync"/> decides it
    /// (route, silence, dedup), but stored with one <see cref="IAlertStore.SaveAlertsAsync"/>: one
    /// transaction for all of them. The results are in the order of <paramref name="incidents"/>.
    /// </summary>
    /// <exception cref="OperationCanceledException">Shutdown; nothing is counted.</exception>
    /// <remarks>
    /// Any store exception is logged, counted in <see cref="StoreFailures"/> once per incident, and
    /// rethrown. Raising the same batch again is safe: the store saves idempotently by fingerprint,
    /// so a retry after a failure stores nothing twice.
    /// </remarks>
    public async Task<IReadOnlyList<RaisedAlert>> RaiseAllAsync(IReadOnlyList<SecurityIncident> incidents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(incidents);
        foreach (var incident in incidents) ArgumentNullException.ThrowIfNull(incident, nameof(incidents));
        if (incidents.Count == 0) return [];
        try
        {
            return await RaiseAllCoreAsync(incidents, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            Interlocked.Add(ref _storeFailures, incidents.Count);
            foreach (var incident in incidents) Log.AlertStoreFailed(_logger, e, incident.Fingerprint, incident.Rule.Name);
            throw;
        }
    }

    /// <summary>
    /// Raises an <c>alert_delivery_failure</c> incident on the channels that still work: its normal
    /// route without the failing channel and without channels <paramref name="isHealthy"/> rejects;
    /// when that leaves nothing, the first healthy enabled channel of
    /// <see cref="DeliveryFailureOptions.Fallback"/>. Never the failing channel itself.
    /// </summary>
    public Task<RaisedAlert> RaiseDeliveryFailureAsync(DeliveryFailureIncident failure, Func<string, bool> isHealthy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(failure);
        ArgumentNullException.ThrowIfNull(isHealthy);
        var channels = FailureRoute(failure, isHealthy);
        return RaiseRoutedAsync(failure.Incident, channels, cancellationToken);
    }

    internal IReadOnlyList<string> FailureRoute(DeliveryFailureIncident failure, Func<string, bool> isHealthy)
    {
        bool Usable(string c) => c != failure.FailingChannel && _router.IsEnabled(c) && isHealthy(c);
        var routed = _router.Route(failure.Incident, _host).Channels.Where(Usable).ToList();
        if (routed.Count > 0) return routed;
        var fallback = _options.DeliveryFailure.Fallback
            .Select(raw => ChannelNames.Known.FirstOrDefault(k => string.Equals(k, raw.Trim(), StringComparison.OrdinalIgnoreCase)))
            .FirstOrDefault(c => c is not null && Usable(c));
        return fallback is null ? [] : [fallback];
    }

    private async Task<RaisedAlert> RaiseRoutedAsync(SecurityIncident incident, IReadOnlyList<string> route, CancellationToken cancellationToken)
    {
        try
        {
            return await RaiseCoreAsync(incident, route, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _storeFailures);
            Log.AlertStoreFailed(_logger, e, incident.Fingerprint, incident.Rule.Name);
            throw;
        }
    }

    private async Task<RaisedAlert> RaiseCoreAsync(SecurityIncident incident, IReadOnlyList<string> route, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var silence = FindSilence(await ActiveSilencesAsync(now, cancellationToken).ConfigureAwait(false), incident, now);
        route = HoldHistory(incident, route, now);
        var saved = await _store.SaveAlertAsync(incident, _host, silence is null ? route : [], cancellationToken).ConfigureAwait(false);
        return await AfterSaveAsync(incident, route, silence, saved, now, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<RaisedAlert>> RaiseAllCoreAsync(IReadOnlyList<SecurityIncident> incidents, CancellationToken cancellationToken)
    {
        // One clock reading and one silence lookup for the batch: the decisions are those of
        // single raises at the same instant.
        var now = _time.GetUtcNow();
        var active = await ActiveSilencesAsync(now, cancellationToken).ConfigureAwait(false);

        // Of the updates of one incident in one batch (a burst that goes on: every line updates it), only the newest
        // is stored and decided on. The states before it would be written and overwritten in the same transaction,
        // never seen by anyone, and notifications decided on counts already out of date; each would cost a save and
        // two reads. Every incident of the batch still gets its result, in order: the first of a fingerprint is the
        // new one when it is new; the others are updates of the same alert.
        var newest = new Dictionary<string, int>(incidents.Count, StringComparer.Ordinal);
        for (var i = 0; i < incidents.Count; i++) newest[incidents[i].Fingerprint] = i;
        var planned = new List<(SecurityIncident Incident, IReadOnlyList<string> Route, Silence? Silence)>(newest.Count);
        for (var i = 0; i < incidents.Count; i++)
            if (newest[incidents[i].Fingerprint] == i)
                planned.Add((incidents[i], HoldHistory(incidents[i], _router.Route(incidents[i], _host).Channels, now), FindSilence(active, incidents[i], now)));
        var saves = planned.Select(p => new AlertSaveRequest(p.Incident, _host, p.Silence is null ? p.Route : [])).ToList();
        var saved = await _store.SaveAlertsAsync(saves, cancellationToken).ConfigureAwait(false);

        // In order, after the one save: an update's dedup then sees the delivery rows its batch
        // queued for the fingerprint's first incident, as it would after that incident's own raise.
        var byFingerprint = new Dictionary<string, RaisedAlert>(planned.Count, StringComparer.Ordinal);
        for (var p = 0; p < planned.Count; p++)
        {
            var (incident, route, silence) = planned[p];
            byFingerprint[incident.Fingerprint] = await AfterSaveAsync(incident, route, silence, saved[p], now, cancellationToken).ConfigureAwait(false);
        }

        var raised = new RaisedAlert[incidents.Count];
        for (var i = 0; i < incidents.Count; i++)
        {
            var fingerprint = incidents[i].Fingerprint;
            raised[i] = byFingerprint[fingerprint];
            // A later state of the same incident in this batch is an update of that alert, whose deliveries (if any)
            // the newest state's decision queued.
            byFingerprint[fingerprint] = raised[i] with { IsNew = false, Queued = [], Reason = null };
        }
        var laterStates = incidents.Count - planned.Count;
        Interlocked.Add(ref _raised, laterStates);
        Interlocked.Add(ref _updated, laterStates);
        return raised;
    }

    /// <summary>What follows the save of one incident: counters, the silence mark, and the dedup of an update.</summary>
    private async Task<RaisedAlert> AfterSaveAsync(SecurityIncident incident, IReadOnlyList<string> route, Silence? silence, AlertSaveResult saved,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _raised);
        Interlocked.Increment(ref saved.IsNew ? ref _new : ref _updated);

        if (silence is not null)
        {
            await _silences!.MarkSilencedAsync(saved.AlertId, silence.Id, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _silenced);
            Log.AlertSilenced(_logger, incident.Fingerprint, saved.AlertId, silence.Id);
            return new RaisedAlert(saved.AlertId, saved.IsNew, route) { SilencedBy = silence.Id };
        }
        if (saved.IsNew)
        {
            Log.AlertStored(_logger, incident.Fingerprint, saved.AlertId, true, route.Count == 0 ? "(none)" : string.Join(",", route));
            return new RaisedAlert(saved.AlertId, true, route) { Queued = route };
        }
        if (_notifications is null || route.Count == 0)
        {
            Log.AlertStored(_logger, incident.Fingerprint, saved.AlertId, false, "(update, not re-sent)");
            return new RaisedAlert(saved.AlertId, false, route);
        }

        var ack = _acks is null ? null : await _acks.GetAckAsync(saved.AlertId, cancellationToken).ConfigureAwait(false);
        var last = (await _notifications.GetLastNotificationsAsync(saved.AlertId, cancellationToken).ConfigureAwait(false))
            .ToDictionary(n => n.Channel, StringComparer.Ordinal);
        var byReason = new Dictionary<NotifyReason, List<string>>();
        foreach (var channel in route)
        {
            var reason = Decide(incident, last.GetValueOrDefault(channel), ack, now);
            if (reason is null) continue;
            if (!byReason.TryGetValue(reason.Value, out var list)) byReason[reason.Value] = list = [];
            list.Add(channel);
        }
        foreach (var (reason, channels) in byReason)
            await _notifications.EnqueueDeliveriesAsync(saved.AlertId, channels, reason, incident.Severity, incident.EventCount, now, cancellationToken).ConfigureAwait(false);

        var queued = byReason.Values.SelectMany(c => c).ToList();
        // The strongest reason names the raise: severity over count over repeat.
        NotifyReason? first = byReason.Count == 0 ? null : byReason.Keys.Min();
        if (queued.Count > 0) Interlocked.Increment(ref _renotified);
        Log.AlertStored(_logger, incident.Fingerprint, saved.AlertId, false, queued.Count == 0 ? "(update, deduplicated)" : $"{first}: {string.Join(",", queued)}");
        return new RaisedAlert(saved.AlertId, false, route) { Queued = queued, Reason = first };
    }

    private NotifyReason? Decide(SecurityIncident incident, ChannelNotification? last, AlertAck? ack, DateTimeOffset now)
    {
        if (ack is not null)
        {
            // Someone owns it: only worse news than what they acknowledged gets through.
            if (incident.Severity <= ack.SeverityAtAck) return null;
            if (last is not null && incident.Severity <= last.Severity) return null;
            return NotifyReason.SeverityRose;
        }
        // Never sent to this channel (it joined the route because the severity rose, or rows were
        // purged): that is news for this channel.
        if (last is null) return NotifyReason.SeverityRose;
        if (incident.Severity > last.Severity) return NotifyReason.SeverityRose;
        if ((long)incident.EventCount >= (long)Math.Max(1, last.EventCount) * _options.CountStepFactor) return NotifyReason.CountGrew;
        if (now - last.QueuedAt >= _options.RepeatInterval && incident.EventCount > last.EventCount) return NotifyReason.Repeat;
        return null;
    }

    /// <summary>History at the first start goes nowhere now (it is recorded for the digest); anything else keeps its route.</summary>
    private IReadOnlyList<string> HoldHistory(SecurityIncident incident, IReadOnlyList<string> route, DateTimeOffset now)
    {
        if (History is not { } history || !history.IsHistory(incident)) return route;
        history.Record(incident, route, now);
        return [];
    }

    private async Task<IReadOnlyList<Silence>> ActiveSilencesAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        _silences is null ? [] : await _silences.GetActiveSilencesAsync(now, cancellationToken).ConfigureAwait(false);

    private Silence? FindSilence(IReadOnlyList<Silence> active, SecurityIncident incident, DateTimeOffset now)
    {
        foreach (var silence in active)
        {
            switch (silence.Test(incident, _host, now))
            {
                case MatchResult.Holds:
                    return silence;
                case MatchResult.TimedOut:
                    // Fail towards telling someone: a silence that cannot decide does not hold the incident back.
                    Log.SilenceRegexTimedOut(_logger, silence.Id, incident.Fingerprint);
                    break;
            }
        }
        return null;
    }
}
