using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using BlueTeam.Core.Diagnostics;

namespace BlueTeam.Alerting;

/// <summary>One attempt the dispatcher made (or decided) for one delivery row.</summary>
/// <param name="Attempt">The attempt number recorded (1 for the first).</param>
/// <param name="Status">The row's status after this attempt.</param>
/// <param name="Outcome">How the channel classified the attempt.</param>
/// <param name="NextAttemptAt">When it is tried again; set only while <paramref name="Status"/> is pending.</param>
public sealed record DeliveryAttempt(
    long DeliveryId,
    long AlertId,
    string Channel,
    Severity Severity,
    int Attempt,
    DeliveryStatus Status,
    DeliveryOutcome Outcome,
    string? Error,
    DateTimeOffset AttemptedAt,
    DateTimeOffset? NextAttemptAt);

/// <summary>
/// The outbox worker: sends due deliveries through their channels and records every attempt.
/// </summary>
/// <remarks>
/// <para>Delivered → delivered. Permanent → failed. Transient → pending again after an exponential
/// backoff with jitter (<see cref="DeliveryRetryOptions"/>), until the attempt limit → failed.
/// A delivery for a channel no longer configured is failed at once: it can never be sent.</para>
/// <para>Once a channel fails transiently in a round, its remaining deliveries of that round are
/// left untouched (still due, no attempt counted): a dead SMTP server then costs one timeout per
/// round instead of one per queued e-mail, and syslog and console deliveries behind it go out.</para>
/// <para>Delivery is at least once: if the store fails after a send, the row stays pending and
/// is sent again. Store failures are not caught here; they are the daemon's to report.</para>
/// <para>Digests and budgets (<see cref="DeliveryGrouping"/>): with an <see cref="IDeliveryScheduler"/>,
/// a digest covers every due row of its (channel, rule) group up to
/// <see cref="DeliveryGrouping.MaxRowsPerRound"/>, rows held over budget are deferred until the
/// budget frees, and the budget's send history is rebuilt from the outbox after a restart.</para>
/// <para>Concurrency: <see cref="DispatchChannelAsync"/> may run for different channels at the same
/// time (one <see cref="ChannelDeliveryWorker"/> per channel), so a channel stuck in a send delays no
/// other; the per-channel state below is keyed by channel and each key is touched by its own worker
/// only. Two rounds for the same channel must not overlap, and <see cref="DispatchDueAsync"/> must
/// not overlap with per-channel rounds.</para>
/// </remarks>
public sealed class DeliveryDispatcher
{
    private readonly IAlertStore _store;
    private readonly IReadOnlyDictionary<string, IAlertChannel> _channels;
    private readonly TimeProvider _time;
    private readonly DeliveryRetryOptions _retry;
    private readonly DeliveryGrouping? _grouping;
    private readonly IDeliveryScheduler? _scheduler;
    private readonly ILogger _logger;

    // Send times per channel within the last hour, for max_per_hour; each key touched only by its
    // channel's worker. Rebuilt from the outbox's delivered rows on the first round when there is a scheduler.
    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _sends = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _overBudget = new(StringComparer.Ordinal);
    private readonly Lock _restoreLock = new();
    private Task? _restore;

    // Last error logged per channel, so a channel that stays down is logged when its error
    // changes, not on every attempt; each key touched only by its channel's worker.
    private readonly StateChangeLog<string> _channelErrors = new(StringComparer.Ordinal);

    private long _delivered;
    private long _failed;
    private long _retried;

    /// <param name="store">The outbox.</param>
    /// <param name="channels">The enabled channels by name (from <c>ChannelFactory.Create</c>).</param>
    /// <param name="time">Clock for due times and backoff.</param>
    /// <param name="retry">Retry policy; defaults when null.</param>
    /// <param name="logger">Optional.</param>
    /// <param name="grouping">Digests and per-channel budgets; null sends every delivery on its own.</param>
    /// <param name="scheduler">
    /// Per-channel reads, deferral of held rows and budgets that survive a restart; by default
    /// <paramref name="store"/> when it implements <see cref="IDeliveryScheduler"/>. Pass the
    /// underlying store when <paramref name="store"/> is a wrapper that does not.
    /// </param>
    public DeliveryDispatcher(IAlertStore store, IReadOnlyDictionary<string, IAlertChannel> channels, TimeProvider time,
        DeliveryRetryOptions? retry = null, ILogger<DeliveryDispatcher>? logger = null, DeliveryGrouping? grouping = null,
        IDeliveryScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(channels);
        ArgumentNullException.ThrowIfNull(time);
        _store = store;
        _channels = channels;
        _time = time;
        _retry = retry ?? new DeliveryRetryOptions();
        _retry.Validate();
        _grouping = grouping is { IsActive: true } ? grouping : null;
        _scheduler = scheduler ?? store as IDeliveryScheduler;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Deliveries that reached their channel.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);
    /// <summary>Deliveries given up: permanent errors, attempt limit, channel gone.</summary>
    public long Failed => Interlocked.Read(ref _failed);
    /// <summary>Transient failures scheduled for another attempt.</summary>
    public long Retried => Interlocked.Read(ref _retried);

    /// <summary>Runs one round over the deliveries due now; returns what was attempted.</summary>
    /// <remarks>
    /// With an <see cref="IDeliveryScheduler"/> the round goes channel by channel, each reading its
    /// own due rows (critical first), so one channel's backlog never delays another's. Without one it
    /// reads a single batch of <see cref="DeliveryRetryOptions.BatchSize"/> rows across channels.
    /// </remarks>
    public async Task<IReadOnlyList<DeliveryAttempt>> DispatchDueAsync(CancellationToken cancellationToken)
    {
        if (_scheduler is not null)
        {
            var perChannel = new List<DeliveryAttempt>();
            foreach (var channelName in await _scheduler.GetDueChannelsAsync(_time.GetUtcNow(), cancellationToken).ConfigureAwait(false))
            {
                cancellationToken.ThrowIfCancellationRequested();
                perChannel.AddRange(await DispatchChannelAsync(channelName, cancellationToken).ConfigureAwait(false));
            }
            return perChannel;
        }

        var now = _time.GetUtcNow();
        var attempts = new List<DeliveryAttempt>();
        var batch = await _store.GetDueDeliveriesAsync(now, _retry.BatchSize, cancellationToken).ConfigureAwait(false);
        if (_grouping is not null) await DispatchGroupedAsync(batch, now, attempts, cancellationToken).ConfigureAwait(false);
        else await DispatchSinglyAsync(batch, attempts, cancellationToken).ConfigureAwait(false);
        return attempts;
    }

    /// <summary>
    /// One round for one channel: reads that channel's due rows (critical first) and sends them.
    /// Safe to run for different channels at once; needs an <see cref="IDeliveryScheduler"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The store does not schedule per channel.</exception>
    public async Task<IReadOnlyList<DeliveryAttempt>> DispatchChannelAsync(string channelName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(channelName);
        if (_scheduler is null) throw new InvalidOperationException("per-channel dispatch needs a store that implements IDeliveryScheduler");
        var now = _time.GetUtcNow();
        await RestoreBudgetsOnceAsync(now, cancellationToken).ConfigureAwait(false);
        // A digest covers every due row of its group (up to MaxRowsPerRound), not one batch.
        var max = _grouping is not null && _channels.ContainsKey(channelName) ? Math.Max(_grouping.MaxRowsPerRound, _retry.BatchSize) : _retry.BatchSize;
        var due = await _scheduler.GetDueDeliveriesForChannelAsync(channelName, now, max, cancellationToken).ConfigureAwait(false);
        var attempts = new List<DeliveryAttempt>();
        if (_grouping is not null) await DispatchGroupedAsync(due, now, attempts, cancellationToken).ConfigureAwait(false);
        else await DispatchSinglyAsync(due, attempts, cancellationToken).ConfigureAwait(false);
        return attempts;
    }

    /// <summary>The channels this dispatcher can send to, by name.</summary>
    public IReadOnlyCollection<string> ConfiguredChannels => _channels.Keys.ToList();

    private async Task DispatchSinglyAsync(IReadOnlyList<PendingDelivery> due, List<DeliveryAttempt> attempts, CancellationToken cancellationToken)
    {
        var downThisRound = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pending in due)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var channelName = pending.Delivery.Channel;
            if (downThisRound.Contains(channelName)) continue;

            DeliveryResult result;
            if (!_channels.TryGetValue(channelName, out var channel))
                result = DeliveryResult.Permanent("channel not configured");
            else
                result = await SendAsync(channel, pending.Alert, cancellationToken).ConfigureAwait(false);

            var attemptedAt = _time.GetUtcNow();
            var attempt = await RecordAsync(pending, result, attemptedAt, cancellationToken).ConfigureAwait(false);
            attempts.Add(attempt);
            if (result.Outcome == DeliveryOutcome.Transient) downThisRound.Add(channelName);
        }
    }

    // Budgets live in memory; after a restart they are rebuilt once from the delivered rows of the
    // last hour, so a restart neither grants a fresh budget nor forgets a spent one.
    private Task RestoreBudgetsOnceAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_grouping is null || _grouping.MaxPerHour.Count == 0) return Task.CompletedTask;
        // Channel workers start together; one of them rebuilds every channel's history, the others
        // await the same task. One that failed (store down) or was cancelled is tried again next round.
        lock (_restoreLock)
        {
            if (_restore is null || _restore.IsFaulted || _restore.IsCanceled) _restore = RestoreBudgetsAsync(now, cancellationToken);
            return _restore;
        }
    }

    private async Task RestoreBudgetsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var sends = await _scheduler!.GetSendsSinceAsync(now - TimeSpan.FromHours(1), cancellationToken).ConfigureAwait(false);
        foreach (var send in sends.OrderBy(s => s.At))
            NoteSend(send.Channel, send.At);
    }

    /// <summary>
    /// Runs rounds until nothing is due or <paramref name="maxRounds"/> is reached; for
    /// <c>test-alert</c> and shutdown. Deliveries waiting for their backoff are not due, so this
    /// does not wait for them.
    /// </summary>
    public async Task<IReadOnlyList<DeliveryAttempt>> DrainAsync(int maxRounds, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRounds, 1);
        var all = new List<DeliveryAttempt>();
        for (var round = 0; round < maxRounds; round++)
        {
            var attempts = await DispatchDueAsync(cancellationToken).ConfigureAwait(false);
            if (attempts.Count == 0) break;
            all.AddRange(attempts);
        }
        return all;
    }

    // One channel at a time: critical rows alone and at once; the others grouped by rule once the
    // group's oldest alert has waited group_wait, within the channel's hourly budget. When there are
    // more groups than budget left, the last send is one summary of everything still held; with no
    // budget left at all, the held rows are put off (no attempt counted) until a send leaves the
    // window, so they neither go out early nor sit in every round's read.
    private async Task DispatchGroupedAsync(IReadOnlyList<PendingDelivery> due, DateTimeOffset now, List<DeliveryAttempt> attempts, CancellationToken cancellationToken)
    {
        foreach (var byChannel in due.GroupBy(d => d.Delivery.Channel, StringComparer.Ordinal))
        {
            var channelName = byChannel.Key;
            if (!_channels.TryGetValue(channelName, out var channel))
            {
                foreach (var pending in byChannel.Take(_retry.BatchSize))
                    attempts.Add(await RecordAsync(pending, DeliveryResult.Permanent("channel not configured"), _time.GetUtcNow(), cancellationToken).ConfigureAwait(false));
                continue;
            }

            var units = new List<List<PendingDelivery>>();
            // Critical rows go one by one; at most a batch of them per round, the rest stay due (and first) for the next.
            units.AddRange(byChannel.Where(p => p.Alert.Incident.Severity == Severity.Critical).Take(_retry.BatchSize).Select(p => new List<PendingDelivery> { p }));
            var groups = byChannel.Where(p => p.Alert.Incident.Severity != Severity.Critical)
                .GroupBy(p => p.Alert.Incident.Rule.Name, StringComparer.Ordinal)
                .Where(g => g.Min(p => p.Alert.CreatedAt) + _grouping!.GroupWait <= now)
                .Select(g => g.ToList())
                .ToList();

            var budget = BudgetLeft(channelName, now);
            List<PendingDelivery>? summary = null;
            List<PendingDelivery> held = [];
            // Critical sends spend budget too, and are never held: what is left for groups is after them.
            var forGroups = budget == int.MaxValue ? budget : Math.Max(0, budget - units.Count);
            if (groups.Count > forGroups)
            {
                // Keep forGroups-1 groups as they are and fold the rest into one summary (none fit at 0).
                var keep = Math.Max(0, forGroups - 1);
                var rest = groups.Skip(keep).SelectMany(g => g).ToList();
                groups = groups.Take(keep).ToList();
                if (forGroups > 0) groups.Add(summary = rest);
                else held = rest;
            }
            if (held.Count > 0)
            {
                if (_overBudget.TryAdd(channelName, 0)) Log.ChannelOverBudget(_logger, channelName, _grouping!.MaxPerHour[channelName], held.Count);
                if (_scheduler is not null)
                    await _scheduler.DeferAsync(held.Select(p => p.Delivery.Id).ToList(), BudgetFreesAt(channelName, now), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                _overBudget.TryRemove(channelName, out _);
            }
            units.AddRange(groups);

            foreach (var unit in units)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var alert = unit.Count == 1 ? unit[0].Alert : Digest(unit.Select(p => p.Alert).ToList(), budgetSummary: ReferenceEquals(unit, summary));
                var result = await SendAsync(channel, alert, cancellationToken).ConfigureAwait(false);
                var attemptedAt = _time.GetUtcNow();
                NoteSend(channelName, attemptedAt);
                foreach (var pending in unit)
                    attempts.Add(await RecordAsync(pending, result, attemptedAt, cancellationToken).ConfigureAwait(false));
                if (result.Outcome == DeliveryOutcome.Transient) break;
            }
        }
    }

    // When the oldest send in the window leaves it (and one more send fits).
    private DateTimeOffset BudgetFreesAt(string channel, DateTimeOffset now) =>
        _sends.TryGetValue(channel, out var sends) && sends.Count > 0 ? sends.Peek() + TimeSpan.FromHours(1) : now;

    private int BudgetLeft(string channel, DateTimeOffset now)
    {
        if (!_grouping!.MaxPerHour.TryGetValue(channel, out var max)) return int.MaxValue;
        if (!_sends.TryGetValue(channel, out var sends)) return max;
        while (sends.Count > 0 && sends.Peek() <= now - TimeSpan.FromHours(1)) sends.Dequeue();
        return Math.Max(0, max - sends.Count);
    }

    private void NoteSend(string channel, DateTimeOffset at)
    {
        if (!_grouping!.MaxPerHour.ContainsKey(channel)) return;
        if (!_sends.TryGetValue(channel, out var sends)) _sends[channel] = sends = new Queue<DateTimeOffset>();
        sends.Enqueue(at);
    }

    /// <summary>One record standing for several alerts: "ssh_brute_force from 37 sources in 1 min".</summary>
    internal static AlertRecord Digest(IReadOnlyList<AlertRecord> alerts, bool budgetSummary)
    {
        const int listed = 50;
        var incidents = alerts.Select(a => a.Incident).ToList();
        var rules = incidents.Select(i => i.Rule.Name).Distinct(StringComparer.Ordinal).ToList();
        var first = incidents.Min(i => i.FirstSeen);
        var last = incidents.Max(i => i.LastSeen);
        var sources = incidents.Select(i => i.Source?.Ip).Where(ip => ip is not null).Distinct(StringComparer.Ordinal).Count();
        var span = Span(last - first);
        var title = budgetSummary || rules.Count > 1
            ? $"{alerts.Count} alerts held over the channel's budget: {string.Join(", ", rules.Select(r => $"{r} ×{incidents.Count(i => i.Rule.Name == r)}"))}"
            : sources > 1 ? $"{rules[0]} from {sources} sources in {span}" : $"{rules[0]}: {alerts.Count} incidents in {span}";
        var lines = alerts.Take(listed).Select(a =>
            $"alert {a.Id.ToString(CultureInfo.InvariantCulture)} [{a.Incident.Severity.ToName()}] {a.Incident.Title}");
        var description = string.Join("\n", lines) + (alerts.Count > listed ? $"\n… and {(alerts.Count - listed).ToString(CultureInfo.InvariantCulture)} more (blueteam alerts list)" : "");
        var incident = new SecurityIncident
        {
            Rule = rules.Count == 1 ? incidents[0].Rule : new IncidentRule { Id = "BT-DIGEST", Name = "digest" },
            Title = title,
            Severity = incidents.Max(i => i.Severity),
            Description = description,
            DetectedBy = rules.Count == 1 ? incidents[0].DetectedBy : "digest",
            NistControls = incidents.SelectMany(i => i.NistControls).Distinct(StringComparer.Ordinal).ToList(),
            CuiInvolved = incidents.Any(i => i.CuiInvolved),
            Host = incidents[0].Host,
            FirstSeen = first,
            LastSeen = last,
            EventCount = incidents.Sum(i => i.EventCount),
            Fingerprint = SecurityIncident.ComputeFingerprint("BT-DIGEST", first, alerts.Select(a => a.Id.ToString(CultureInfo.InvariantCulture)).ToArray()),
        };
        return new AlertRecord { Id = alerts[0].Id, Fingerprint = incident.Fingerprint, Host = alerts[0].Host, Incident = incident, CreatedAt = alerts[0].CreatedAt, UpdatedAt = alerts[^1].UpdatedAt };
    }

    private static string Span(TimeSpan t) =>
        t < TimeSpan.FromMinutes(1) ? $"{Math.Max(1, (int)Math.Ceiling(t.TotalSeconds))} s"
        : t < TimeSpan.FromHours(2) ? $"{(int)Math.Ceiling(t.TotalMinutes)} min"
        : $"{(int)Math.Ceiling(t.TotalHours)} h";

    private async Task<DeliveryResult> SendAsync(IAlertChannel channel, AlertRecord alert, CancellationToken cancellationToken)
    {
        try
        {
            return await channel.SendAsync(alert, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            // Channels classify their own errors; one that throws has a bug. Contain it so one
            // channel cannot stop the others, and keep the delivery for another try.
            Log.ChannelThrew(_logger, e, channel.Name);
            return DeliveryResult.Transient($"channel threw {e.GetType().Name}: {e.Message}");
        }
    }

    private async Task<DeliveryAttempt> RecordAsync(PendingDelivery pending, DeliveryResult result, DateTimeOffset attemptedAt, CancellationToken cancellationToken)
    {
        var delivery = pending.Delivery;
        var attempt = delivery.Attempts + 1;
        DeliveryStatus status;
        DateTimeOffset? next = null;
        var error = result.Error;

        switch (result.Outcome)
        {
            case DeliveryOutcome.Delivered:
                status = DeliveryStatus.Delivered;
                error = null;
                break;
            case DeliveryOutcome.Transient when attempt < _retry.MaxAttempts:
                status = DeliveryStatus.Pending;
                var wait = _retry.BackoffAfter(attempt);
                // A peer that says when to come back (429 Retry-After) is believed, within MaxDelay.
                if (result.RetryAfter is { } asked && asked > wait) wait = asked < _retry.MaxDelay ? asked : _retry.MaxDelay;
                next = attemptedAt + wait;
                break;
            case DeliveryOutcome.Transient:
                status = DeliveryStatus.Failed;
                error = $"gave up after {attempt} attempts: {error}";
                break;
            default:
                status = DeliveryStatus.Failed;
                break;
        }

        await _store.RecordDeliveryAttemptAsync(delivery.Id, status, error, attemptedAt, next, cancellationToken).ConfigureAwait(false);

        switch (status)
        {
            case DeliveryStatus.Delivered:
                Interlocked.Increment(ref _delivered);
                if (_channelErrors.Succeeded(delivery.Channel)) Log.ChannelRecovered(_logger, delivery.Channel);
                break;
            case DeliveryStatus.Pending:
                Interlocked.Increment(ref _retried);
                NoteChannelError(delivery.Channel, error ?? "unknown error");
                break;
            default:
                Interlocked.Increment(ref _failed);
                Log.DeliveryFailed(_logger, delivery.Id, delivery.AlertId, delivery.Channel, attempt, error ?? "unknown error");
                break;
        }

        return new DeliveryAttempt(delivery.Id, delivery.AlertId, delivery.Channel, pending.Alert.Incident.Severity,
            attempt, status, result.Outcome, error, attemptedAt, next);
    }

    private void NoteChannelError(string channel, string error)
    {
        if (_channelErrors.Failed(channel, error)) Log.ChannelFailing(_logger, channel, error);
    }
}

/// <summary>Digest and budget settings for the <see cref="DeliveryDispatcher"/>.</summary>
/// <param name="GroupWait">How long the oldest non-critical alert of a (channel, rule) group waits for company.</param>
/// <param name="MaxPerHour">Channel → most sends per rolling hour.</param>
public sealed record DeliveryGrouping(TimeSpan GroupWait, IReadOnlyDictionary<string, int> MaxPerHour)
{
    /// <summary>False when neither digests nor budgets are configured (the dispatcher then sends row by row).</summary>
    public bool IsActive => GroupWait > TimeSpan.Zero || MaxPerHour.Count > 0;

    /// <summary>
    /// Most rows of one channel read per round when grouping, so that a digest covers a whole burst
    /// rather than one batch. Default 10,000.
    /// </summary>
    public int MaxRowsPerRound { get; init; } = 10_000;

    public static DeliveryGrouping From(AlertingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(options.GroupWait, options.MaxPerHour is null ? new Dictionary<string, int>() : new Dictionary<string, int>(options.MaxPerHour, StringComparer.Ordinal));
    }
}
