namespace BlueTeam.Storage;

/// <summary>
/// The store could not do what was asked: the database is unreachable, locked too long, full,
/// corrupt, or refused the statement. The message names the operation and the store
/// (<see cref="IBlueTeamStore.Description"/>, never a password); the provider's exception is kept
/// as the inner exception.
/// </summary>
/// <remarks>
/// This is an infrastructure failure: callers let it escape their stage so the daemon stops with
/// a clear message (and systemd restarts it) instead of running on without its history.
/// </remarks>
public sealed class StoreException : Exception
{
    public StoreException(string operation, string location, Exception innerException)
        : base($"{operation} failed on {location}: {innerException.Message}", innerException)
    {
        Operation = operation;
        Location = location;
    }

    public StoreException(string operation, string location, string reason)
        : base($"{operation} failed on {location}: {reason}")
    {
        Operation = operation;
        Location = location;
    }

    /// <summary>What the store was doing, e.g. "save alert 3f9a…".</summary>
    public string Operation { get; }

    /// <summary>Which store, as in <see cref="IBlueTeamStore.Description"/>.</summary>
    public string Location { get; }
}
