namespace BlueTeam.Storage.Ado;

/// <summary>
/// Appends entries to the hosts' chains within one write transaction. Each host's head is read
/// once, under its chain lock (held to the commit), and then followed in memory, so a batch of
/// n entries reads it once, not n times; the entries themselves (and the creation entry's link
/// in the alert row, so a row swapped for another is caught) are written at the transaction's flush.
/// </summary>
/// <remarks>Made by <see cref="AdoAuditChain.Appender"/>, which gives <paramref name="statements"/> the batch writer that flush needs.</remarks>
internal sealed class ChainAppender(SqlDialect dialect, AdoAuditChain chain, TransactionStatements statements)
{
    private readonly Dictionary<string, ChainHead?> _heads = new(StringComparer.Ordinal);

    /// <summary>Takes the chain locks of <paramref name="hosts"/> now, in ordinal order, and reads their heads.</summary>
    public async Task LockAsync(IEnumerable<string> hosts, CancellationToken ct)
    {
        foreach (var host in hosts.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            await HeadAsync(host, ct).ConfigureAwait(false);
    }

    /// <param name="state">The alert's state as stored in this transaction.</param>
    public async Task AppendAsync(long alertId, string kind, string host, AlertSnapshot state, CancellationToken ct)
    {
        await HeadAsync(host, ct).ConfigureAwait(false);
        Append(Next(alertId, kind, host, state));
    }

    /// <summary>The entry that would follow the head of <paramref name="host"/>'s chain, locked before (<see cref="LockAsync"/>); nothing is recorded.</summary>
    public ChainEntry Next(long alertId, string kind, string host, AlertSnapshot state)
    {
        if (!_heads.TryGetValue(host, out var head))
            throw new InvalidOperationException($"the chain of {host} was not locked in this transaction");
        var seq = (head?.Seq ?? 0) + 1;
        var prev = head?.Hash ?? AlertChain.Genesis;
        return new ChainEntry(host, seq, alertId, kind, state, prev, AlertChain.Hash(prev, host, seq, alertId, kind, state));
    }

    /// <summary>Records <paramref name="entry"/> (made by <see cref="Next"/> from the current head) as the new head, to be written at the flush.</summary>
    public void Append(ChainEntry entry)
    {
        _heads[entry.Host] = new ChainHead(entry.Host, entry.Seq, entry.EntryHash);
        statements.Add(entry);
    }

    private async Task<ChainHead?> HeadAsync(string host, CancellationToken ct)
    {
        if (_heads.TryGetValue(host, out var known)) return known;
        if (dialect.ChainLockSql is { } lockSql)
            await statements.ExecuteAsync(new Statement(lockSql).Int64("@lock_key", AlertChain.LockKey(host)), ct).ConfigureAwait(false);
        var head = await chain.ReadHeadAsync(statements.Connection, statements.Transaction, host, ct).ConfigureAwait(false);
        _heads[host] = head;
        return head;
    }
}
