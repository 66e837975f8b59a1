using Microsoft.Extensions.Logging.Abstractions;

namespace BlueTeam.Alerting;

/// <summary>An <c>alert_delivery_failure</c> incident and the channel it is about (never routed to it).</summary>
public sealed record DeliveryFailureIncident(SecurityIncident Incident, string FailingChannel);

/// <summary>
/// Watches what the <see cref="DeliveryDispatcher"/> attempted and turns failing delivery into
/// incidents (NIST 3.3.4: alert in the event of an audit logging process failure).
/// </summary>
/// <remarks>
/// <para>Two triggers, per channel: a delivery that ends failed (permanent error, attempt limit,
/// channel gone), or transient failures with no success in between for longer than
/// <see cref="DeliveryFailureOptions.ChannelDownAfter"/>.</para>
/// <para>The incident's fingerprint is stable per (channel, host, window), so a channel that stays
/// down updates one stored incident instead of adding one per cycle, and this monitor raises it at
/// most once per channel per window. Feed it every round's attempts from one loop.</para>
/// </remarks>
public sealed class DeliveryHealthMonitor
{
    public const string RuleId = "BT-SELF-001";
    public const string RuleName = "alert_delivery_failure";

    private sealed class ChannelState
    {
        public DateTimeOffset? FailingSince;
        public int Failures;
        public string? LastError;
        public DateTimeOffset? RaisedForWindow;
    }

    private readonly DeliveryFailureOptions _options;
    private readonly string _host;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, ChannelState> _channels = new(StringComparer.Ordinal);

    public DeliveryHealthMonitor(DeliveryFailureOptions options, string host, TimeProvider time, ILogger<DeliveryHealthMonitor>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentNullException.ThrowIfNull(time);
        _options = options;
        _host = host;
        _time = time;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>False while the channel's last attempt failed; channels never attempted are healthy.</summary>
    public bool IsHealthy(string channel) => !_channels.TryGetValue(channel, out var s) || s.FailingSince is null;

    /// <summary>
    /// Remembers which channels already had <c>alert_delivery_failure</c> raised in the current
    /// window, from the alerts stored: call once at start, so a restart does not raise again what
    /// was raised before it. Cheap: one query for this rule's alerts seen in the window.
    /// </summary>
    /// <returns>The channels found already raised.</returns>
    public async Task<IReadOnlyList<string>> RestoreAsync(IAlertStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var now = _time.GetUtcNow();
        var window = WindowStart(now);
        var stored = await store.ListAlertsAsync(new AlertQuery { RuleName = RuleName, Since = window, Limit = 1000 }, cancellationToken).ConfigureAwait(false);
        var fingerprints = stored.Select(a => a.Fingerprint).ToHashSet(StringComparer.Ordinal);
        var restored = new List<string>();
        // The fingerprint is a function of (channel, window, host), so it tells which channels were raised.
        foreach (var channel in ChannelNames.Known)
        {
            if (!fingerprints.Contains(Fingerprint(channel, window))) continue;
            if (!_channels.TryGetValue(channel, out var state)) _channels[channel] = state = new ChannelState();
            state.RaisedForWindow = window;
            restored.Add(channel);
        }
        return restored;
    }

    /// <summary>Takes one round's attempts; returns the incidents to raise (possibly none).</summary>
    public IReadOnlyList<DeliveryFailureIncident> Observe(IReadOnlyList<DeliveryAttempt> attempts)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        var now = _time.GetUtcNow();
        var raise = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var a in attempts)
        {
            if (!_channels.TryGetValue(a.Channel, out var state)) _channels[a.Channel] = state = new ChannelState();
            if (a.Status == DeliveryStatus.Delivered)
            {
                state.FailingSince = null;
                state.Failures = 0;
                continue;
            }
            state.FailingSince ??= a.AttemptedAt;
            state.Failures++;
            state.LastError = a.Error;
            if (a.Status == DeliveryStatus.Failed)
                raise[a.Channel] = $"delivery {a.DeliveryId} of alert {a.AlertId} failed for good after {a.Attempt} attempt(s)";
        }
        foreach (var (channel, state) in _channels)
            if (state.FailingSince is { } since && now - since >= _options.ChannelDownAfter && !raise.ContainsKey(channel))
                raise[channel] = $"failing for {(int)(now - since).TotalMinutes} min without a success";

        if (!_options.Enabled) return [];
        var result = new List<DeliveryFailureIncident>();
        foreach (var (channel, why) in raise)
        {
            var state = _channels[channel];
            var window = WindowStart(now);
            if (state.RaisedForWindow == window) continue;
            state.RaisedForWindow = window;
            Log.DeliveryFailureRaised(_logger, channel, why);
            result.Add(new DeliveryFailureIncident(BuildIncident(channel, why, state, window, now), channel));
        }
        return result;
    }

    private DateTimeOffset WindowStart(DateTimeOffset now)
    {
        var ticks = _options.Window.Ticks;
        return new DateTimeOffset(now.UtcTicks - now.UtcTicks % ticks, TimeSpan.Zero);
    }

    private SecurityIncident BuildIncident(string channel, string why, ChannelState state, DateTimeOffset window, DateTimeOffset now) => new()
    {
        Rule = new IncidentRule { Id = RuleId, Name = RuleName },
        Title = $"Alert delivery to {channel} is failing",
        Severity = Severity.High,
        DetectedBy = RuleName,
        Description = $"blueteam could not deliver alerts through the {channel} channel: {why}. Last error: {state.LastError ?? "none recorded"}. "
            + "Alerts stay in the store and the outbox; check the channel's configuration and the service it talks to.",
        NistControls = ["3.3.4"],
        Host = new EcsHost { Hostname = _host },
        FirstSeen = state.FailingSince ?? now,
        LastSeen = now,
        EventCount = Math.Max(1, state.Failures),
        Fingerprint = Fingerprint(channel, window),
    };

    private string Fingerprint(string channel, DateTimeOffset window) => SecurityIncident.ComputeFingerprint(RuleId, window, channel, _host);
}
