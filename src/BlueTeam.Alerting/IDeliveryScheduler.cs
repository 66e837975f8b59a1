namespace BlueTeam.Alerting;

/// <summary>One send a channel made, as the outbox remembers it: the instant its rows were marked delivered.</summary>
public readonly record struct ChannelSend(string Channel, DateTimeOffset At);

/// <summary>
/// Per-channel access to the outbox for the <see cref="DeliveryDispatcher"/>'s digests and budgets:
/// read one channel's due rows at a time, put held rows off without counting an attempt, and recall
/// recent sends after a restart. Implemented by the store next to <see cref="IAlertStore"/>; a
/// store without it gets the older behaviour (one mixed batch per round).
/// </summary>
public interface IDeliveryScheduler
{
    /// <summary>Channels with at least one pending delivery due at <paramref name="now"/>, ordered by name.</summary>
    Task<IReadOnlyList<string>> GetDueChannelsAsync(DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Pending deliveries of <paramref name="channel"/> due at <paramref name="now"/>, at most
    /// <paramref name="max"/>: those whose alert is critical first, then oldest due first (next
    /// attempt, then id), so a backlog of other rows can never keep a critical alert out of a round.
    /// </summary>
    Task<IReadOnlyList<PendingDelivery>> GetDueDeliveriesForChannelAsync(string channel, DateTimeOffset now, int max, CancellationToken cancellationToken);

    /// <summary>
    /// Moves the next attempt of the given deliveries to <paramref name="until"/> without counting an
    /// attempt: status, attempts and last error stay as they are. Rows that are no longer pending
    /// (or do not exist) are left alone. Returns how many rows were moved.
    /// </summary>
    Task<int> DeferAsync(IReadOnlyCollection<long> deliveryIds, DateTimeOffset until, CancellationToken cancellationToken);

    /// <summary>
    /// Sends made since <paramref name="since"/> (inclusive): one entry per distinct (channel,
    /// delivered-at) of delivered rows, oldest first. A digest marks all its rows delivered at one
    /// instant, so it counts once.
    /// </summary>
    Task<IReadOnlyList<ChannelSend>> GetSendsSinceAsync(DateTimeOffset since, CancellationToken cancellationToken);
}
