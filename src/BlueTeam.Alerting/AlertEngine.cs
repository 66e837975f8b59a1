using BlueTeam.Core.Events;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BlueTeam.Alerting;

/// <summary>What happened to one raised incident.</summary>
/// <param name="AlertId">The stored alert's id.</param>
/// <param name="IsNew">True when the fingerprint was new; false when an existing alert was updated.</param>
/// <param name="Route">
/// The channels the severity routes to. Deliveries were queued for them only when <paramref name="IsNew"/>
/// is true: an update of a known incident is recorded in the history but not sent again.
/// </param>
public sealed record RaisedAlert(long AlertId, bool IsNew, IReadOnlyList<string> Route);

/// <summary>
/// Takes incidents from the correlator, picks their route and writes them, with their outbox rows,
/// to the store. Sending is the <see cref="DeliveryDispatcher"/>'s job, so a slow channel never
/// holds up detection and nothing is lost if the daemon stops between detection and delivery.
/// </summary>
/// <remarks>
/// Every incident is stored, whatever its route (info included), because the alert history is the
/// audit record (NIST 3.3.1). A store failure is logged, counted and rethrown: losing an incident
/// silently is the one thing this class must never do; the daemon decides whether to stop.
/// </remarks>
public sealed class AlertEngine
{
    private readonly AlertRouter _router;
    private readonly IAlertStore _store;
    private readonly string _host;
    private readonly ILogger _logger;

    // Written by RaiseAsync, read by the dashboard and `status`; Interlocked keeps reads torn-free.
    private long _raised;
    private long _new;
    private long _updated;
    private long _storeFailures;

    /// <param name="router">Routes built from the config and the enabled channels.</param>
    /// <param name="store">The alert history and outbox.</param>
    /// <param name="host">The host name alerts carry (<c>BlueTeamConfig.Host</c>).</param>
    /// <param name="logger">Optional; store failures are logged here.</param>
    public AlertEngine(AlertRouter router, IAlertStore store, string host, ILogger<AlertEngine>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(router);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        _router = router;
        _store = store;
        _host = host;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Incidents successfully stored (new + updated).</summary>
    public long IncidentsRaised => Interlocked.Read(ref _raised);
    /// <summary>Incidents stored under a fingerprint not seen before (deliveries queued).</summary>
    public long NewAlerts => Interlocked.Read(ref _new);
    /// <summary>Incidents that updated an alert already stored (no new deliveries).</summary>
    public long UpdatedAlerts => Interlocked.Read(ref _updated);
    /// <summary>Incidents the store refused or failed to write.</summary>
    public long StoreFailures => Interlocked.Read(ref _storeFailures);

    /// <summary>Stores the incident and queues one delivery per routed channel when it is new.</summary>
    /// <exception cref="OperationCanceledException">Shutdown; nothing is counted.</exception>
    /// <remarks>Any store exception is logged, counted in <see cref="StoreFailures"/> and rethrown.</remarks>
    public async Task<RaisedAlert> RaiseAsync(SecurityIncident incident, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(incident);
        var route = _router.Route(incident.Severity);
        AlertSaveResult saved;
        try
        {
            saved = await _store.SaveAlertAsync(incident, _host, route, cancellationToken).ConfigureAwait(false);
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

        Interlocked.Increment(ref _raised);
        Interlocked.Increment(ref saved.IsNew ? ref _new : ref _updated);
        Log.AlertStored(_logger, incident.Fingerprint, saved.AlertId, saved.IsNew, route.Count == 0 ? "(none)" : string.Join(",", route));
        return new RaisedAlert(saved.AlertId, saved.IsNew, route);
    }
}
