using BlueTeam.Core.Events;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

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
/// <para>Rounds are not meant to run concurrently: call from one loop.</para>
/// </remarks>
public sealed class DeliveryDispatcher
{
    private readonly IAlertStore _store;
    private readonly IReadOnlyDictionary<string, IAlertChannel> _channels;
    private readonly TimeProvider _time;
    private readonly DeliveryRetryOptions _retry;
    private readonly ILogger _logger;

    // Last error logged per channel, so a channel that stays down is logged when its error
    // changes, not on every attempt; touched only by the dispatch loop.
    private readonly Dictionary<string, string> _lastError = new(StringComparer.Ordinal);

    private long _delivered;
    private long _failed;
    private long _retried;

    /// <param name="store">The outbox.</param>
    /// <param name="channels">The enabled channels by name (from <c>ChannelFactory.Create</c>).</param>
    /// <param name="time">Clock for due times and backoff.</param>
    /// <param name="retry">Retry policy; defaults when null.</param>
    /// <param name="logger">Optional.</param>
    public DeliveryDispatcher(IAlertStore store, IReadOnlyDictionary<string, IAlertChannel> channels, TimeProvider time,
        DeliveryRetryOptions? retry = null, ILogger<DeliveryDispatcher>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(channels);
        ArgumentNullException.ThrowIfNull(time);
        _store = store;
        _channels = channels;
        _time = time;
        _retry = retry ?? new DeliveryRetryOptions();
        _retry.Validate();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Deliveries that reached their channel.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);
    /// <summary>Deliveries given up: permanent errors, attempt limit, channel gone.</summary>
    public long Failed => Interlocked.Read(ref _failed);
    /// <summary>Transient failures scheduled for another attempt.</summary>
    public long Retried => Interlocked.Read(ref _retried);

    /// <summary>Runs one round over the deliveries due now; returns what was attempted.</summary>
    public async Task<IReadOnlyList<DeliveryAttempt>> DispatchDueAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var due = await _store.GetDueDeliveriesAsync(now, _retry.BatchSize, cancellationToken).ConfigureAwait(false);
        var attempts = new List<DeliveryAttempt>(due.Count);
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
        return attempts;
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
                if (_lastError.Remove(delivery.Channel)) Log.ChannelRecovered(_logger, delivery.Channel);
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
        if (_lastError.TryGetValue(channel, out var last) && last == error) return;
        _lastError[channel] = error;
        Log.ChannelFailing(_logger, channel, error);
    }
}
