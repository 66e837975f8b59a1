namespace BlueTeam.Storage.Sealing;

/// <summary>
/// Where the seals of each host's audit chain are kept, beside the chain itself. The seals are only as
/// trustworthy as their tags: whoever can write the store can delete or add rows here, and only
/// <see cref="SealVerifier"/> with the auditor's key tells a true seal from a made-up one.
/// </summary>
public interface ISealStore
{
    /// <summary>Stores a seal; a seal already stored (same host, key and epoch) is left as it is, so a replay after a crash is harmless.</summary>
    Task AddSealAsync(SealRecord seal, CancellationToken cancellationToken);

    /// <summary>Every seal of <paramref name="host"/>, of every key, by key and epoch.</summary>
    Task<IReadOnlyList<SealRecord>> GetSealsAsync(string host, CancellationToken cancellationToken);

    /// <summary>The stored entry hash of each of <paramref name="seqs"/> in <paramref name="host"/>'s chain that exists.</summary>
    Task<IReadOnlyDictionary<long, string>> GetEntryHashesAsync(string host, IReadOnlyCollection<long> seqs, CancellationToken cancellationToken);
}
