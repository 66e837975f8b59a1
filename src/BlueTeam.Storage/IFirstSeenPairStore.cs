namespace BlueTeam.Storage;

/// <summary>
/// The table behind <see cref="PersistentFirstSeenStore"/>: which values each key of each
/// first_seen rule has shown, and when first.
/// </summary>
public interface IFirstSeenPairStore
{
    /// <summary>Up to <paramref name="max"/> pairs, most recently first seen first.</summary>
    Task<IReadOnlyList<FirstSeenPair>> LoadFirstSeenAsync(int max, CancellationToken cancellationToken);

    /// <summary>The values stored for one (rule, key), in no particular order.</summary>
    Task<IReadOnlyList<FirstSeenPair>> GetFirstSeenAsync(string rule, string key, CancellationToken cancellationToken);

    /// <summary>
    /// Inserts the pairs in one transaction; a pair already stored keeps its first time (so does a
    /// pair given twice: the first of them wins). Idempotent, so a failed batch can simply be sent again.
    /// </summary>
    Task SaveFirstSeenAsync(IReadOnlyCollection<FirstSeenPair> pairs, CancellationToken cancellationToken);
}

/// <summary>One value of one key of a first_seen rule, and when it was first seen (event time).</summary>
public sealed record FirstSeenPair(string Rule, string Key, string Value, DateTimeOffset FirstSeenAt);
