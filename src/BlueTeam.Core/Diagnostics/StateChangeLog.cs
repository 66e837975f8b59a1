namespace BlueTeam.Core.Diagnostics;

/// <summary>
/// Remembers the last error of one retried operation, so that a retry loop logs when the error
/// changes and once when it recovers, never on every attempt (a store that is down for an hour
/// must not write 3,600 identical warnings). Not thread-safe: one per loop, or see <see cref="StateChangeLog{TKey}"/>.
/// </summary>
public sealed class StateChangeLog
{
    private string? _lastError;

    /// <summary>The error reported last, or null while the operation succeeds.</summary>
    public string? LastError => _lastError;

    /// <summary>Records a failure; true when <paramref name="error"/> differs from the last one reported (log it now).</summary>
    public bool Failed(string error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (string.Equals(_lastError, error, StringComparison.Ordinal)) return false;
        _lastError = error;
        return true;
    }

    /// <summary>Records a success; true when the operation had been failing (log the recovery now).</summary>
    public bool Succeeded()
    {
        if (_lastError is null) return false;
        _lastError = null;
        return true;
    }
}

/// <summary>
/// <see cref="StateChangeLog"/> for many keys at once (one per channel, per source), safe to call
/// from several threads.
/// </summary>
public sealed class StateChangeLog<TKey> where TKey : notnull
{
    private readonly Dictionary<TKey, string> _lastError;

    public StateChangeLog(IEqualityComparer<TKey>? comparer = null) => _lastError = new Dictionary<TKey, string>(comparer);

    /// <summary>Records a failure of <paramref name="key"/>; true when the error changed (log it now).</summary>
    public bool Failed(TKey key, string error)
    {
        ArgumentNullException.ThrowIfNull(error);
        lock (_lastError)
        {
            if (_lastError.TryGetValue(key, out var last) && string.Equals(last, error, StringComparison.Ordinal)) return false;
            _lastError[key] = error;
            return true;
        }
    }

    /// <summary>Records a success of <paramref name="key"/>; true when it had been failing (log the recovery now).</summary>
    public bool Succeeded(TKey key)
    {
        lock (_lastError) return _lastError.Remove(key);
    }

    /// <summary>The last error of <paramref name="key"/>, or null while it succeeds.</summary>
    public string? LastError(TKey key)
    {
        lock (_lastError) return _lastError.GetValueOrDefault(key);
    }
}
