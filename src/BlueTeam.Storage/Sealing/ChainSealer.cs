namespace BlueTeam.Storage.Sealing;

/// <summary>What one sealing did: the last epoch sealed, the chain position it covers, and how many seals were made.</summary>
public sealed record SealOutcome(long Epoch, long Seq, int Seals);

/// <summary>
/// The host's side of sealing: seals <see cref="Host"/>'s chain head with the current epoch's key, moves
/// the key on (erasing the old one), saves the state, then stores the seal. The state file is read again
/// at every sealing rather than kept in memory, so a <c>keys init --force</c> while the daemon runs is
/// picked up at once, and the key spends minutes in memory, not the daemon's lifetime.
/// </summary>
/// <remarks>
/// The state is saved before the seal is stored: a crash in between leaves the seal in the state
/// (<see cref="SealingState.LastSeal"/>), and the next start stores it again; the other order would
/// leave the state on the old key, which the next start would use to seal the same epoch twice.
/// </remarks>
public sealed class ChainSealer(string statePath, string host, ISealStore seals, IAuditChain chain, TimeProvider time) : IDisposable
{
    public string StatePath { get; } = statePath;
    public string Host { get; } = host;

    /// <summary>True when there is a state file to seal with.</summary>
    public bool HasState => File.Exists(StatePath);

    /// <summary>
    /// At the daemon's start: stores the last seal again (lost if the daemon died between saving the state and
    /// storing it), seals each epoch that passed while it was stopped, then seals once more and moves the key
    /// on, so whatever key a process held before this start cannot seal anything from now on.
    /// </summary>
    public async Task<SealOutcome?> SealAtStartAsync(CancellationToken ct)
    {
        await _one.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var state = Load();
            if (state is null) return null;
            if (state.LastSeal is { } pending) await seals.AddSealAsync(pending, ct).ConfigureAwait(false);
            var missed = Math.Max(0, state.EpochAt(time.GetUtcNow()) - state.Epoch);
            return await SealAsync(state, (int)Math.Min(missed, MaxCatchUp) + 1, ct).ConfigureAwait(false);
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>At an epoch's end (and at a stop): one seal, and the key moves on.</summary>
    public async Task<SealOutcome?> SealNowAsync(CancellationToken ct)
    {
        await _one.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var state = Load();
            return state is null ? null : await SealAsync(state, 1, ct).ConfigureAwait(false);
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>When the epoch of the state's clock ends next (null without a state).</summary>
    public DateTimeOffset? NextEpochEnd()
    {
        var state = Load();
        if (state is null) return null;
        return state.Start + state.EpochLength * (state.EpochAt(time.GetUtcNow()) + 1);
    }

    // A daemon stopped for a year with 15-minute epochs would otherwise write 35,000 seals at start; beyond
    // this many, the verifier names the gap as unsealed epochs, which is what it was.
    private const int MaxCatchUp = 10_000;

    // The seal worker (epoch ends) and the store watcher (after tampering) both seal; one at a time, so two never
    // load the same state and seal the same epoch over different heads.
    private readonly SemaphoreSlim _one = new(1, 1);

    private async Task<SealOutcome> SealAsync(SealingState state, int count, CancellationToken ct)
    {
        var head = await chain.GetChainHeadAsync(Host, ct).ConfigureAwait(false);
        var seq = head?.Seq ?? 0;
        var hash = head?.Hash ?? AlertChain.Genesis;
        var made = new List<SealRecord>(count);
        for (var i = 0; i < count; i++)
        {
            made.Add(state.Seal(seq, hash, time.GetUtcNow()));
            state.Advance();
        }
        state.Save(StatePath);
        foreach (var seal in made) await seals.AddSealAsync(seal, ct).ConfigureAwait(false);
        return new SealOutcome(made[^1].Epoch, seq, made.Count);
    }

    public void Dispose() => _one.Dispose();

    private SealingState? Load()
    {
        if (!File.Exists(StatePath)) return null;
        var state = SealingState.Load(StatePath);
        if (state.Host != Host)
            throw new InvalidDataException($"{StatePath} seals host {state.Host}, not {Host} (the config's host): run blueteam keys init --force for this host");
        return state;
    }
}
