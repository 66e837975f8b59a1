using System.Security.Cryptography;
using System.Text;
using BlueTeam.Storage.Sealing;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Storage;

/// <summary>
/// The forward-secure seals against forgers: one who recomputes the unkeyed chain, one who holds the
/// current epoch's key (took the host today), one who tries an earlier epoch's key after it was erased.
/// The chain here is a model (sequence → SHA-256 link over the previous hash and the entry's content),
/// the seals and keys are the real ones.
/// </summary>
public sealed class SealingTests : IDisposable
{
    private const string Host = "seal-host";
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Epoch = TimeSpan.FromMinutes(15);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>30 entries, sealed after entries 10, 20 and 30 (epochs 0, 1, 2); the state ends at epoch 3.</summary>
    private static (Dictionary<long, string> Chain, List<SealRecord> Seals, SealingState State, VerificationKey Key, List<string> Contents) SealedHistory()
    {
        var (state, key) = SealingState.Create(Host, Epoch, T0);
        var contents = Enumerable.Range(1, 30).Select(i => $"alert {i}").ToList();
        var chain = Link(contents);
        var seals = new List<SealRecord>();
        for (var epoch = 0; epoch < 3; epoch++)
        {
            var seq = (epoch + 1) * 10L;
            seals.Add(state.Seal(seq, chain[seq], T0 + Epoch * (epoch + 1)));
            state.Advance();
        }
        return (chain, seals, state, key, contents);
    }

    private static Dictionary<long, string> Link(List<string> contents)
    {
        var chain = new Dictionary<long, string>();
        var prev = new string('0', 64);
        for (var i = 0; i < contents.Count; i++)
        {
            prev = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(prev + "|" + contents[i])));
            chain[i + 1] = prev;
        }
        return chain;
    }

    [Fact]
    public void Intact_EverySealHolds()
    {
        var (chain, seals, _, key, _) = SealedHistory();
        var check = SealVerifier.Check(key, chain, seals, T0 + Epoch * 3.5);
        Assert.True(check.IsIntact, check.Problem);
        Assert.Equal(3, check.SealsChecked);
    }

    [Fact]
    public void Forger_RecomputesTheUnkeyedChainAfterAnEdit_FirstUnvouchedSequenceNamed()
    {
        var (_, seals, _, key, contents) = SealedHistory();
        contents[14] = "alert 15, edited"; // entry 15, sealed in epoch 1
        var forged = Link(contents);        // every hash recomputed: the plain chain walk would pass
        var check = SealVerifier.Check(key, forged, seals);
        Assert.False(check.IsIntact);
        Assert.Equal(11, check.FirstBadSeq); // epoch 1 covers entries 11..20
        Assert.Contains("rewritten", check.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Forger_WithTheCurrentEpochsKey_CannotResealEarlierEpochs()
    {
        var (_, seals, state, key, contents) = SealedHistory();
        var stateFile = _dir.File("sealing.state");
        state.Save(stateFile);
        var stolen = SealingState.Load(stateFile); // the intruder reads the host's state: epoch 3's key
        contents[4] = "alert 5, edited";
        var forged = Link(contents);
        // Re-seal every epoch over the rewritten chain with the only key the host still has.
        var reSealed = seals.Select(s => stolen.Seal(s.Seq, forged[s.Seq], s.SealedAt) with { Epoch = s.Epoch }).ToList();
        var check = SealVerifier.Check(key, forged, reSealed);
        Assert.False(check.IsIntact);
        Assert.Equal(1, check.FirstBadSeq);
        Assert.Contains("forged", check.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Forger_WithAnEarlierEpochsKeyAfterErasure_HasNothingToUse()
    {
        var (chain, seals, state, key, contents) = SealedHistory();
        var stateFile = _dir.File("sealing.state");
        state.Save(stateFile);
        var onDisk = File.ReadAllText(stateFile);
        // No earlier key is on the host: neither epoch 0's (the auditor's) nor epochs 1 and 2's.
        for (var epoch = 0; epoch < 3; epoch++)
            Assert.DoesNotContain(Convert.ToHexStringLower(SealingKeys.KeyAt(key.Seed, epoch)), onDisk, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexStringLower(SealingKeys.KeyAt(key.Seed, 3)), onDisk, StringComparison.Ordinal);

        // Guessing epoch 1's key from epoch 3's by running the schedule backwards is not possible; any other key is a guess.
        contents[14] = "alert 15, edited";
        var forged = Link(contents);
        var guess = SealingKeys.NewSeed();
        var reSealed = seals.Select(s => s.Epoch == 1 ? s with { EntryHash = forged[s.Seq], Tag = SealingKeys.Tag(guess, Host, 1, s.Seq, forged[s.Seq]) } : s).ToList();
        var check = SealVerifier.Check(key, forged, reSealed);
        Assert.False(check.IsIntact);
        Assert.Equal(11, check.FirstBadSeq);
        Assert.True(SealVerifier.Check(key, chain, seals).IsIntact);
    }

    [Fact]
    public void SealsCutOrRemoved_AreNamed()
    {
        var (chain, seals, _, key, _) = SealedHistory();
        var withoutMiddle = seals.Where(s => s.Epoch != 1).ToList();
        var gap = SealVerifier.Check(key, chain, withoutMiddle);
        Assert.Equal(11, gap.FirstBadSeq);
        Assert.Contains("no seal for epoch 1", gap.Problem, StringComparison.Ordinal);

        var lastCut = SealVerifier.Check(key, chain, seals.Take(2), T0 + Epoch * 4.5);
        Assert.Equal(21, lastCut.FirstBadSeq);
        Assert.Contains("no seal since epoch 2", lastCut.Problem, StringComparison.Ordinal);

        var all = SealVerifier.Check(key, chain, [], T0 + Epoch * 4.5);
        Assert.Equal(1, all.FirstBadSeq);
    }

    [Fact]
    public void RowsCutFromTheEnd_SealedEntryMissing()
    {
        var (chain, seals, _, key, _) = SealedHistory();
        chain.Remove(30);
        chain.Remove(29);
        chain.Remove(28);
        var check = SealVerifier.Check(key, chain, seals);
        Assert.Equal(30, check.FirstBadSeq);
        Assert.Contains("missing", check.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void State_SavedOwnerReadOnly_RoundTrips_AndRefusesGarbage()
    {
        var (_, _, state, _, _) = SealedHistory();
        var path = _dir.File("keys/sealing.state");
        state.Save(path);
        state.Save(path); // rewritten over a read-only file: by rename, not in place
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(path));
        var loaded = SealingState.Load(path);
        Assert.Equal((state.Host, state.Epoch, state.LastSealedSeq, state.LastSealedHash, state.Start, state.EpochLength),
            (loaded.Host, loaded.Epoch, loaded.LastSealedSeq, loaded.LastSealedHash, loaded.Start, loaded.EpochLength));
        var garbage = _dir.File("garbage");
        File.WriteAllText(garbage, "{\"version\": 1, \"host\": \"x\"}");
        Assert.Throws<InvalidDataException>(() => SealingState.Load(garbage));
        File.WriteAllText(garbage, "not json");
        Assert.Throws<InvalidDataException>(() => SealingState.Load(garbage));
    }

    [Fact]
    public void VerificationKey_EncodesAndParses_RefusesWhatIsNotOne()
    {
        var (_, _, _, key, _) = SealedHistory();
        Assert.True(VerificationKey.TryParse(key.Encode(), out var parsed, out _));
        Assert.Equal(key.Seed, parsed!.Seed);
        Assert.Equal((key.Host, key.Start, key.EpochLength), (parsed.Host, parsed.Start, parsed.EpochLength));
        foreach (var bad in new[] { "", "btseal1/h/1/900", "btseal2/h/1/900/00", "btseal1//1/900/" + new string('a', 64), "btseal1/h/x/900/" + new string('a', 64), "btseal1/h/1/0/" + new string('a', 64), "btseal1/h/1/900/zz" })
        {
            Assert.False(VerificationKey.TryParse(bad, out _, out var error), bad);
            Assert.False(string.IsNullOrEmpty(error));
        }
    }

    [Fact]
    public void KeySchedule_IsOneWayChainFromTheSeed()
    {
        var seed = SealingKeys.NewSeed();
        var k = seed;
        for (var i = 1; i <= 5; i++) k = SealingKeys.Evolve(k);
        Assert.Equal(k, SealingKeys.KeyAt(seed, 5));
        Assert.NotEqual(SealingKeys.KeyAt(seed, 4), SealingKeys.KeyAt(seed, 5));
    }
}
