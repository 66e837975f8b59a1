using System.Threading.Channels;

namespace BlueTeam.Alerting;

/// <summary>
/// Sends one channel's deliveries, independently of every other channel: a channel stuck in a
/// send (an SMTP server that accepts and never answers) holds only its own worker, while syslog
/// and the file channel go on sending from theirs.
/// </summary>
/// <remarks>
/// <para>The outbox rows stay the source of truth: the worker keeps no delivery in memory, it
/// reads its channel's due rows (critical first, at most a batch per round) and records each
/// attempt before reading again, so a crash loses nothing and a delivered row is not sent again.
/// Retry and backoff are the <see cref="DeliveryDispatcher"/>'s, per row, so each channel backs off
/// on its own.</para>
/// <para>Its queue is a bounded queue of wake-ups (capacity 1, extra wake-ups dropped because one
/// round covers them all): a burst of new alerts costs one round, not one per alert, and memory
/// does not grow however many alerts are raised while the channel is stuck.</para>
/// </remarks>
public sealed class ChannelDeliveryWorker
{
    private readonly Channel<bool> _wakeups = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly Func<DeliveryDispatcher> _dispatcher;
    private readonly Func<IReadOnlyList<DeliveryAttempt>, CancellationToken, Task> _observe;
    private readonly Action<string, Exception> _onError;
    private readonly TimeSpan _pauseAfterError;

    /// <param name="channel">The channel's name in delivery rows.</param>
    /// <param name="dispatcher">The current dispatcher (it changes when the configuration is reloaded).</param>
    /// <param name="observe">Told every round's attempts: statistics and delivery health.</param>
    /// <param name="onError">Told an error that ended a round (store down, …); the worker then pauses and goes on.</param>
    /// <param name="pauseAfterError">How long to wait after such an error before the next round.</param>
    public ChannelDeliveryWorker(string channel, Func<DeliveryDispatcher> dispatcher,
        Func<IReadOnlyList<DeliveryAttempt>, CancellationToken, Task> observe, Action<string, Exception> onError, TimeSpan pauseAfterError)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        ArgumentNullException.ThrowIfNull(dispatcher);
        ArgumentNullException.ThrowIfNull(observe);
        ArgumentNullException.ThrowIfNull(onError);
        ChannelName = channel;
        _dispatcher = dispatcher;
        _observe = observe;
        _onError = onError;
        _pauseAfterError = pauseAfterError;
    }

    public string ChannelName { get; }

    /// <summary>Asks for a round soon; never blocks, and wake-ups already waiting absorb it.</summary>
    public void Wake() => _wakeups.Writer.TryWrite(true);

    /// <summary>Runs rounds on every wake-up until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <remarks>
    /// A round that delivered something is followed by another at once (more may be due, e.g. more
    /// than a batch); an empty round, or one with a transient failure, waits for the next wake-up. A send in progress is cancelled with
    /// the token: its row stays pending and is sent again later (at least once).
    /// </remarks>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            IReadOnlyList<DeliveryAttempt> attempts;
            try
            {
                attempts = await RoundAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The worker is a stage boundary: one channel's error (its store reads, a bug) must
                // neither stop it for good nor reach the other channels' workers.
                _onError(ChannelName, e);
                try
                {
                    await Task.Delay(_pauseAfterError, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                continue;
            }
            // More may be due (over a batch); but a channel that just failed transiently waits for
            // the next wake-up, so a refused connection is not hammered once per queued row.
            if (attempts.Count > 0 && attempts.All(a => a.Outcome != DeliveryOutcome.Transient)) continue;
            try
            {
                await _wakeups.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>One round for this channel; returns what was attempted (already observed).</summary>
    public async Task<IReadOnlyList<DeliveryAttempt>> RoundAsync(CancellationToken cancellationToken)
    {
        var attempts = await _dispatcher().DispatchChannelAsync(ChannelName, cancellationToken).ConfigureAwait(false);
        if (attempts.Count > 0) await _observe(attempts, cancellationToken).ConfigureAwait(false);
        return attempts;
    }
}
