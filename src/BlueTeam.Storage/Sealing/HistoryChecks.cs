namespace BlueTeam.Storage.Sealing;

public enum CheckOutcome { Passed, Failed, NotDone }

/// <summary>One check of a host's history beyond its hash links: what it is, how it went, the first chain position it could not vouch for.</summary>
public sealed record HistoryCheck(string Host, string Name, CheckOutcome Outcome, long? FirstBadSeq, string Detail);

/// <summary>A chain head as announced to syslog (<c>BLUETEAM_CHAIN_HEAD host=… seq=… hash=…</c>); host as written on the line.</summary>
public sealed record AnnouncedHead(string Host, long Seq, string? Hash, int Line);

/// <summary>
/// The checks <c>blueteam verify</c> adds to the hash-link walk: the anchored end (the sealing state's last
/// sealed position), the seals (with the auditor's key), and a saved stream of announced heads.
/// Each says plainly when it could not be done, so a verify that skipped a check never reads as one that passed it.
/// </summary>
public static class HistoryChecks
{
    public const string AnchorCheck = "anchor (sealing state)";
    public const string SealsCheck = "seals (--key)";
    public const string AnnouncedCheck = "announced heads (--anchors)";

    /// <summary>
    /// The chain must still hold, with the same hash, the entry the last seal covered: rows cut from the end,
    /// or every row deleted, fail here. A sealing state gone while the store holds seals of its host fails too.
    /// </summary>
    public static async Task<HistoryCheck> AnchorAsync(string host, string statePath, ISealStore store, IAuditChain chain, CancellationToken ct, Retention.PruneRecord? pruned = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(chain);
        SealingState state;
        try
        {
            if (!File.Exists(statePath))
            {
                var seals = await store.GetSealsAsync(host, ct).ConfigureAwait(false);
                return seals.Count > 0
                    ? new(host, AnchorCheck, CheckOutcome.Failed, null, $"the store holds {seals.Count} seals of {host} but there is no sealing state at {statePath}: it was deleted")
                    : new(host, AnchorCheck, CheckOutcome.NotDone, null, $"no sealing state at {statePath} (blueteam keys init): the end of the chain is not anchored");
            }
            state = SealingState.Load(statePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return new(host, AnchorCheck, CheckOutcome.NotDone, null, $"cannot read the sealing state: {e.Message}");
        }
        if (state.Host != host)
            return new(host, AnchorCheck, CheckOutcome.NotDone, null, $"the sealing state at {statePath} is {state.Host}'s, not {host}'s");
        if (state.LastSealedSeq == 0)
            return new(host, AnchorCheck, CheckOutcome.Passed, null, "nothing sealed yet (the state's last seal covers an empty chain)");
        if (pruned is not null && state.LastSealedSeq <= pruned.PrunedThrough)
            return new(host, AnchorCheck, CheckOutcome.Passed, null,
                $"entry {state.LastSealedSeq}, sealed last, was pruned by retention (through {pruned.PrunedThrough}); the prune is entry {pruned.Seq}");

        var stored = await store.GetEntryHashesAsync(host, [state.LastSealedSeq], ct).ConfigureAwait(false);
        if (!stored.TryGetValue(state.LastSealedSeq, out var hash))
        {
            var head = await chain.GetChainHeadAsync(host, ct).ConfigureAwait(false);
            var first = (head?.Seq ?? 0) + 1;
            return new(host, AnchorCheck, CheckOutcome.Failed, first, head is null
                ? $"the chain is empty, but entry {state.LastSealedSeq} was sealed: the history was wiped"
                : $"entries {first}..{state.LastSealedSeq} are missing from the end (entry {state.LastSealedSeq} was sealed): rows were cut");
        }
        return hash == state.LastSealedHash
            ? new(host, AnchorCheck, CheckOutcome.Passed, null, $"entry {state.LastSealedSeq} is there with the hash sealed")
            : new(host, AnchorCheck, CheckOutcome.Failed, state.LastSealedSeq, $"entry {state.LastSealedSeq} no longer has the hash sealed: the chain was rewritten up to it");
    }

    /// <summary>
    /// The seals of <paramref name="key"/>'s host against its chain (<see cref="SealVerifier"/>). Missing recent seals count
    /// against the history unless a newer key of the same host sealed after this key's last seal (the key was replaced).
    /// </summary>
    /// <param name="local">
    /// This host's sealing state when readable: if it descends from <paramref name="key"/>, every epoch it sealed must have its
    /// seal in the store (seals cut from the end show at once, not only once their epochs are two old).
    /// </param>
    public static async Task<HistoryCheck> SealsAsync(VerificationKey key, ISealStore store, DateTimeOffset now, CancellationToken ct, SealingState? local = null, Retention.PruneRecord? pruned = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(store);
        var seals = await store.GetSealsAsync(key.Host, ct).ConfigureAwait(false);
        var keyId = key.KeyId;
        var own = seals.Where(s => s.KeyId == keyId).ToList();
        var lastOwn = own.Count == 0 ? DateTimeOffset.MinValue : own.Max(s => s.SealedAt);
        var replaced = seals.Any(s => s.KeyId != keyId && s.SealedAt > lastOwn);
        var prunedThrough = pruned?.PrunedThrough ?? 0;
        var hashes = await store.GetEntryHashesAsync(key.Host, own.Select(s => s.Seq).Where(s => s > prunedThrough).ToList(), ct).ConfigureAwait(false);
        var check = SealVerifier.Check(key, hashes, own, replaced ? null : now, prunedThrough);
        if (!check.IsIntact)
            return new(key.Host, SealsCheck, CheckOutcome.Failed, check.FirstBadSeq, check.Problem!);
        var last = own.Count == 0 ? 0 : own.Max(s => s.Seq);
        if (local is { LastSeal: { } lastLocal } && local.KeyId == keyId && local.Host == key.Host && !own.Any(s => s.Epoch == lastLocal.Epoch))
            return new(key.Host, SealsCheck, CheckOutcome.Failed, last + 1,
                $"the sealing state sealed epoch {lastLocal.Epoch} (entry {lastLocal.Seq}), but the store's seals end at {(own.Count == 0 ? "none" : "epoch " + own.Max(s => s.Epoch))}: seals were cut");
        return new(key.Host, SealsCheck, CheckOutcome.Passed, null,
            $"{check.SealsChecked} seals of key {keyId} hold; entries up to {last} are sealed" + (replaced ? " (the key was replaced since)" : ""));
    }

    /// <summary>Every head announced for <paramref name="host"/> must still be in the chain with the hash announced.</summary>
    /// <param name="pruned">The newest prune by retention: heads it removed are no longer in the chain, and are not counted against it.</param>
    public static async Task<HistoryCheck> AnnouncedAsync(string host, IReadOnlyList<AnnouncedHead> heads, ISealStore store, CancellationToken ct, Retention.PruneRecord? pruned = null)
    {
        ArgumentNullException.ThrowIfNull(heads);
        ArgumentNullException.ThrowIfNull(store);
        if (heads.Count == 0)
            return new(host, AnnouncedCheck, CheckOutcome.NotDone, null, $"the file holds no announced head of {host}");
        var prunedThrough = pruned?.PrunedThrough ?? 0;
        var stored = await store.GetEntryHashesAsync(host, heads.Where(h => h.Seq > prunedThrough).Select(h => h.Seq).ToList(), ct).ConfigureAwait(false);
        foreach (var head in heads.Where(h => h.Seq > prunedThrough).OrderBy(h => h.Seq))
        {
            if (!stored.TryGetValue(head.Seq, out var hash))
                return new(host, AnnouncedCheck, CheckOutcome.Failed, head.Seq, $"entry {head.Seq}, announced on line {head.Line}, is missing from the chain");
            if (!string.Equals(hash, head.Hash, StringComparison.Ordinal))
                return new(host, AnnouncedCheck, CheckOutcome.Failed, head.Seq, $"entry {head.Seq} has another hash than announced on line {head.Line}: the chain was rewritten");
        }
        var gone = heads.Count(h => h.Seq > 0 && h.Seq <= prunedThrough);
        return new(host, AnnouncedCheck, CheckOutcome.Passed, null, $"{heads.Count} announced heads (up to entry {heads.Max(h => h.Seq)}) match the chain"
            + (gone > 0 ? $" ({gone} of them pruned by retention)" : ""));
    }

    public const string RetentionCheck = "retention (--key)";

    /// <summary>
    /// A prune must only have removed what the retention period allows. The seals bound its age without trusting the
    /// store's clocks: the last entry pruned was written before the end of the first epoch whose seal covers it, and
    /// the prune's own entry after the last seal made before it existed (that epoch's key was erased at its end). So
    /// the entries pruned were at least (that epoch − the first) epochs old; this must reach the configured period,
    /// less two epochs for the bounds' own rounding. A prune of fresh entries — an intruder cutting evidence and
    /// calling it retention — fails here, whatever the prune record says of itself.
    /// </summary>
    /// <param name="retentionDays">The period this configuration allows (storage.retention.days); 0 keeps everything.</param>
    public static async Task<HistoryCheck> RetentionAsync(VerificationKey key, ISealStore store, Retention.PruneRecord? pruned, int retentionDays, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(store);
        if (pruned is null)
            return new(key.Host, RetentionCheck, CheckOutcome.Passed, null, "the chain was never pruned");
        if (retentionDays <= 0)
            return new(key.Host, RetentionCheck, CheckOutcome.Failed, 1,
                $"{pruned.Describe()}, but this configuration keeps everything (storage.retention.days is 0)");
        var keyId = key.KeyId;
        var own = (await store.GetSealsAsync(key.Host, ct).ConfigureAwait(false)).Where(s => s.KeyId == keyId).ToList();
        var coveringLast = own.Where(s => s.Seq >= pruned.PrunedThrough).Select(s => (long?)s.Epoch).Min();
        var beforePrune = own.Where(s => s.Seq < pruned.Seq).Select(s => (long?)s.Epoch).Max();
        if (coveringLast is null || beforePrune is null)
            return new(key.Host, RetentionCheck, CheckOutcome.Failed, 1,
                $"{pruned.Describe()}, but the seals of key {keyId} cannot bound its age (no seal covers entry {pruned.PrunedThrough}, or none came before the prune)");
        var atLeast = key.EpochLength * Math.Max(0, beforePrune.Value - coveringLast.Value);
        var required = TimeSpan.FromDays(retentionDays) - key.EpochLength * 2;
        var detail = $"{pruned.Describe()}; the seals prove the entries pruned were at least {FormatAge(atLeast)} old (sealed by epoch {coveringLast}, pruned after epoch {beforePrune}'s seal)";
        return atLeast >= required
            ? new(key.Host, RetentionCheck, CheckOutcome.Passed, null, detail)
            : new(key.Host, RetentionCheck, CheckOutcome.Failed, 1, $"{detail}: younger than the {retentionDays} days this configuration keeps");
    }

    private static string FormatAge(TimeSpan age) =>
        age.TotalDays >= 1 ? $"{age.TotalDays:0.#} days" : age.TotalHours >= 1 ? $"{age.TotalHours:0.#} hours" : $"{age.TotalMinutes:0} minutes";
}
