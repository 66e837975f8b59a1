namespace BlueTeam.Storage.Sealing;

/// <summary>What checking one host's seals found: null <see cref="FirstBadSeq"/> when every seal holds.</summary>
/// <param name="SealsChecked">Seals whose tag was recomputed and matched before the first problem.</param>
/// <param name="FirstBadSeq">The first chain position that no valid seal vouches for, when there is a problem.</param>
public sealed record SealCheck(long SealsChecked, long? FirstBadSeq, string? Problem)
{
    public bool IsIntact => Problem is null;
}

/// <summary>
/// The auditor's check of a host's seals with the verification key: every epoch from 0 to the last
/// sealed one has exactly one seal, each seal's tag is the one that epoch's key makes, each seal names
/// an entry the chain still has with the same hash, and seals never go backwards. Hash links inside the
/// chain are checked by the store's own chain walk; a seal over an entry vouches, through those links,
/// for every entry before it.
/// </summary>
public static class SealVerifier
{
    /// <param name="chain">The host's chain entries (sequence → entry hash), as stored.</param>
    /// <param name="seals">The host's seals, as stored, in any order.</param>
    /// <param name="now">
    /// When given, every epoch that ended more than one epoch before it must be sealed: a running daemon
    /// seals each epoch as it ends (and the epochs it missed while stopped, at its next start), so missing
    /// recent seals mean the seals were cut, or the daemon has not run since.
    /// </param>
    /// <param name="prunedThrough">
    /// Entries up to this position were removed by retention (a prune the chain walk checked): their seals still prove
    /// the seal's tag, but there is no entry left to compare the hash with.
    /// </param>
    public static SealCheck Check(VerificationKey key, IReadOnlyDictionary<long, string> chain, IEnumerable<SealRecord> seals, DateTimeOffset? now = null, long prunedThrough = 0)
    {
        ArgumentNullException.ThrowIfNull(key);
        var keyId = key.KeyId;
        var ordered = seals.Where(s => s.Host == key.Host && s.KeyId == keyId).OrderBy(s => s.Epoch).ThenBy(s => s.Seq).ToList();
        var epochKey = (byte[])key.Seed.Clone();
        long epochOfKey = 0, expectedEpoch = 0, lastSeq = 0, checkedSeals = 0;
        foreach (var seal in ordered)
        {
            if (seal.Epoch != expectedEpoch)
                return Bad(checkedSeals, lastSeq + 1, seal.Epoch < expectedEpoch
                    ? $"epoch {seal.Epoch} is sealed twice"
                    : $"no seal for epoch {expectedEpoch} (the next is epoch {seal.Epoch}): seals were removed");
            while (epochOfKey < seal.Epoch)
            {
                var next = SealingKeys.Evolve(epochKey);
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(epochKey);
                epochKey = next;
                epochOfKey++;
            }
            if (seal.Seq < lastSeq) return Bad(checkedSeals, seal.Seq, $"epoch {seal.Epoch}'s seal covers entry {seal.Seq}, before the previous seal's {lastSeq}");
            if (!SealingKeys.Verify(epochKey, key.Host, seal.Epoch, seal.Seq, seal.EntryHash, seal.Tag))
                return Bad(checkedSeals, Math.Max(1, lastSeq + 1), $"epoch {seal.Epoch}'s seal is not the one its key makes: the seal or what it covers was forged");
            if (seal.Seq > prunedThrough)
            {
                if (!chain.TryGetValue(seal.Seq, out var stored))
                    return Bad(checkedSeals, seal.Seq, $"entry {seal.Seq}, sealed in epoch {seal.Epoch}, is missing from the chain");
                if (!string.Equals(stored, seal.EntryHash, StringComparison.Ordinal))
                    return Bad(checkedSeals, Math.Max(1, lastSeq + 1), $"entry {seal.Seq} no longer has the hash sealed in epoch {seal.Epoch}: entries up to it were rewritten");
            }
            lastSeq = seal.Seq;
            checkedSeals++;
            expectedEpoch++;
        }
        if (now is { } at && key.EpochAt(at) - 1 > expectedEpoch)
            return Bad(checkedSeals, lastSeq + 1, $"no seal since epoch {expectedEpoch} (from {key.Start + key.EpochLength * expectedEpoch:u}): seals were cut, or the daemon has not run since");
        return new SealCheck(checkedSeals, null, null);
    }

    private static SealCheck Bad(long checkedSeals, long seq, string problem) => new(checkedSeals, seq, problem);
}
