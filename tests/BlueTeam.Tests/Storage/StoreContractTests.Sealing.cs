using BlueTeam.Storage;
using BlueTeam.Storage.Sealing;
using BlueTeam.Tests.Support;
using static BlueTeam.Tests.Storage.StoreTestData;

namespace BlueTeam.Tests.Storage;

// Forward-secure seals on a real store (SQLite and PostgreSQL, each host's chain its own), against three
// forgers: one who recomputes the chain with the public unkeyed algorithm, one holding the current epoch's
// key, one wanting an earlier epoch's key after it was erased. The forgers rewrite through the store's own
// code (delete the tail, save edited incidents again): that is recomputing the chain exactly as blueteam does.
public abstract partial class StoreContractTests
{
    private const string SealHost = "seal-web01";
    private static readonly TimeSpan SealEpoch = TimeSpan.FromMinutes(15);

    private sealed record SealedFixture(TempDir Dir, string StatePath, VerificationKey Key, ChainSealer Sealer) : IDisposable
    {
        public void Dispose()
        {
            Sealer.Dispose();
            Dir.Dispose();
        }
    }

    /// <summary>
    /// Sealed at start (epoch 0, empty chain), incidents 1..5, epoch 1 sealed over entry 5, incidents 6..10,
    /// epoch 2 sealed over entry 10, then incidents 11..12 unsealed: the state holds epoch 3's key.
    /// </summary>
    private async Task<SealedFixture> SealedFixtureAsync()
    {
        var store = await MigratedAsync();
        var dir = new TempDir();
        var statePath = dir.File("keys/sealing.state");
        var (state, key) = SealingState.Create(SealHost, SealEpoch, Time.GetUtcNow());
        state.Save(statePath);
        var sealer = new ChainSealer(statePath, SealHost, store, store, Time);
        Assert.Equal(0, (await sealer.SealAtStartAsync(CancellationToken.None))!.Epoch);
        for (var i = 1; i <= 12; i++)
        {
            await store.SaveAlertAsync(Incident($"fp-seal-{i}", host: SealHost, title: $"incident {i}"), SealHost, ["syslog"], CancellationToken.None);
            if (i is 5 or 10)
            {
                Time.Advance(SealEpoch);
                await sealer.SealNowAsync(CancellationToken.None);
            }
        }
        return new SealedFixture(dir, statePath, key, sealer);
    }

    /// <summary>The forger's rewrite: entries from <paramref name="fromSeq"/> on are deleted with their alerts and saved again, one title edited.</summary>
    private async Task RewriteFromAsync(int fromSeq, int lastSeq, int editedSeq)
    {
        var alertsFrom = $"SELECT alert_id FROM {Table("alert_chain")} WHERE host = '{SealHost}' AND seq >= {fromSeq}";
        await ExecuteSqlAsync($"DELETE FROM {Table("alert_deliveries")} WHERE alert_id IN ({alertsFrom})");
        await ExecuteSqlAsync($"DELETE FROM {Table("alert_history")} WHERE id IN ({alertsFrom})");
        await ExecuteSqlAsync($"DELETE FROM {Table("alert_chain")} WHERE host = '{SealHost}' AND seq >= {fromSeq}");
        for (var i = fromSeq; i <= lastSeq; i++)
        {
            var title = i == editedSeq ? "nothing happened" : $"incident {i}";
            await Store.SaveAlertAsync(Incident($"fp-seal-{i}", host: SealHost, title: title), SealHost, ["syslog"], CancellationToken.None);
        }
    }

    private async Task<HistoryCheck> CheckSealsAsync(VerificationKey key, string? statePath = null) =>
        await HistoryChecks.SealsAsync(key, Store, Time.GetUtcNow(), CancellationToken.None, statePath is null ? null : SealingState.Load(statePath));

    [Fact]
    public async Task Seals_IntactHistory_EverySealHolds_AndTheAnchorHolds()
    {
        using var f = await SealedFixtureAsync();

        var seals = await CheckSealsAsync(f.Key, f.StatePath);
        var anchor = await HistoryChecks.AnchorAsync(SealHost, f.StatePath, Store, Store, CancellationToken.None);

        Assert.Equal(CheckOutcome.Passed, seals.Outcome);
        Assert.Contains("3 seals", seals.Detail);
        Assert.Equal(CheckOutcome.Passed, anchor.Outcome);
        Assert.Equal([0L, 5L, 10L], (await Store.GetSealsAsync(SealHost, CancellationToken.None)).Select(s => s.Seq));
    }

    [Fact]
    public async Task Forger_RecomputesTheChainWithTheUnkeyedAlgorithm_LinksPass_SealsNameTheFirstUnvouchedEntry()
    {
        using var f = await SealedFixtureAsync();

        await RewriteFromAsync(7, 12, editedSeq: 7);

        var links = Assert.Single(await Store.VerifyChainAsync(SealHost, CancellationToken.None));
        Assert.True(links.IsIntact, links.FirstBreak?.Detail); // the unkeyed chain alone is fooled
        var seals = await CheckSealsAsync(f.Key);
        Assert.Equal(CheckOutcome.Failed, seals.Outcome);
        Assert.Equal(6, seals.FirstBadSeq); // epoch 1 vouches up to 5; epoch 2's seal over 10 no longer holds
        Assert.Contains("entry 10", seals.Detail);
    }

    [Fact]
    public async Task Forger_WithTheCurrentEpochsKey_ResealsTheNewHead_AndForgesAnEarlierSeal_BothCaught()
    {
        using var f = await SealedFixtureAsync();
        var stolen = SealingState.Load(f.StatePath); // what root finds on the host today: epoch 3's key
        Assert.Equal(3, stolen.Epoch);
        var stolenKey = Convert.FromHexString(System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(f.StatePath)).RootElement.GetProperty("key").GetString()!);

        await RewriteFromAsync(7, 12, editedSeq: 7);
        var head = (await Store.GetChainHeadAsync(SealHost, CancellationToken.None))!;
        await Store.AddSealAsync(stolen.Seal(head.Seq, head.Hash, Time.GetUtcNow()), CancellationToken.None); // a true seal of epoch 3
        var forgedHash10 = (await Store.GetEntryHashesAsync(SealHost, [10L], CancellationToken.None))[10];
        var forgedTag = SealingKeys.Tag(stolenKey, SealHost, 2, 10, forgedHash10); // epoch 2's seal, made with epoch 3's key
        await ExecuteSqlAsync($"UPDATE {Table("seals")} SET entry_hash = '{forgedHash10}', tag = '{forgedTag}' WHERE host = '{SealHost}' AND epoch = 2");

        var seals = await CheckSealsAsync(f.Key);

        Assert.Equal(CheckOutcome.Failed, seals.Outcome);
        Assert.Equal(6, seals.FirstBadSeq);
        Assert.Contains("epoch 2's seal is not the one its key makes", seals.Detail);
    }

    [Fact]
    public async Task Forger_WantingAnEarlierEpochsKey_FindsOnlyTheCurrentOneOnDisk_AfterEveryAdvance()
    {
        var store = await MigratedAsync();
        using var dir = new TempDir();
        var statePath = dir.File("keys/sealing.state");
        var (state, key) = SealingState.Create(SealHost, SealEpoch, Time.GetUtcNow());
        state.Save(statePath);
        using var sealer = new ChainSealer(statePath, SealHost, store, store, Time);
        await sealer.SealAtStartAsync(CancellationToken.None);
        for (var round = 0; round < 4; round++)
        {
            await store.SaveAlertAsync(Incident($"fp-erase-{round}", host: SealHost), SealHost, [], CancellationToken.None);
            Time.Advance(SealEpoch);
            await sealer.SealNowAsync(CancellationToken.None);

            var onDisk = File.ReadAllText(statePath);
            var epoch = SealingState.Load(statePath).Epoch;
            Assert.Contains(Convert.ToHexStringLower(SealingKeys.KeyAt(key.Seed, epoch)), onDisk);
            for (long earlier = 0; earlier < epoch; earlier++)
                Assert.DoesNotContain(Convert.ToHexStringLower(SealingKeys.KeyAt(key.Seed, earlier)), onDisk);
            Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(statePath));
            Assert.Equal([statePath], Directory.GetFiles(dir.File("keys"))); // no old copy left beside it
        }
    }

    [Fact]
    public async Task Anchor_LastThreeRowsCut_OrEveryRowDeleted_OrStateDeleted_Fails()
    {
        using var f = await SealedFixtureAsync();
        await f.Sealer.SealNowAsync(CancellationToken.None); // as at the daemon's stop: the state anchors entry 12

        await ExecuteSqlAsync($"DELETE FROM {Table("alert_chain")} WHERE host = '{SealHost}' AND seq > 9");
        var cut = await HistoryChecks.AnchorAsync(SealHost, f.StatePath, Store, Store, CancellationToken.None);
        Assert.Equal((CheckOutcome.Failed, 10L), (cut.Outcome, cut.FirstBadSeq));
        Assert.Contains("10..12 are missing", cut.Detail);

        await ExecuteSqlAsync($"DELETE FROM {Table("alert_chain")} WHERE host = '{SealHost}'");
        var wiped = await HistoryChecks.AnchorAsync(SealHost, f.StatePath, Store, Store, CancellationToken.None);
        Assert.Equal((CheckOutcome.Failed, 1L), (wiped.Outcome, wiped.FirstBadSeq));
        Assert.Contains("wiped", wiped.Detail);

        File.Delete(f.StatePath);
        var noState = await HistoryChecks.AnchorAsync(SealHost, f.StatePath, Store, Store, CancellationToken.None);
        Assert.Equal(CheckOutcome.Failed, noState.Outcome);
        Assert.Contains("deleted", noState.Detail);
    }

    [Fact]
    public async Task Seals_CutFromTheEnd_CaughtAtOnceWithTheLocalState()
    {
        using var f = await SealedFixtureAsync();

        await ExecuteSqlAsync($"DELETE FROM {Table("seals")} WHERE host = '{SealHost}' AND epoch = 2");

        var seals = await CheckSealsAsync(f.Key, f.StatePath);
        Assert.Equal((CheckOutcome.Failed, 6L), (seals.Outcome, seals.FirstBadSeq));
        Assert.Contains("seals were cut", seals.Detail);
    }

    [Fact]
    public async Task SealAtStart_AfterACrashBetweenStateAndStore_StoresTheLostSeal_AndCatchesUpMissedEpochs()
    {
        using var f = await SealedFixtureAsync();
        // The daemon died after saving the state of epoch 2's seal, before storing the seal.
        await ExecuteSqlAsync($"DELETE FROM {Table("seals")} WHERE host = '{SealHost}' AND epoch = 2");
        Time.Advance(SealEpoch * 3); // and stayed down three epochs

        var outcome = await f.Sealer.SealAtStartAsync(CancellationToken.None);

        Assert.NotNull(outcome);
        Assert.True(outcome.Seals >= 2, $"{outcome.Seals} seals");
        var seals = await CheckSealsAsync(f.Key, f.StatePath);
        Assert.True(seals.Outcome == CheckOutcome.Passed, seals.Detail);
    }

    [Fact]
    public async Task Seals_EachHostsChainItsOwn_AKeyOfAnotherHostVouchesForNothingHere()
    {
        using var f = await SealedFixtureAsync();
        await Store.SaveAlertAsync(Incident("fp-other", host: "seal-db01"), "seal-db01", [], CancellationToken.None);
        var (_, otherKey) = SealingState.Create("seal-db01", SealEpoch, T0);

        Assert.Equal(CheckOutcome.Passed, (await CheckSealsAsync(f.Key)).Outcome);
        var other = await HistoryChecks.SealsAsync(otherKey, Store, T0.AddHours(3), CancellationToken.None);
        Assert.Equal(CheckOutcome.Failed, other.Outcome); // no seal of seal-db01 at all, hours after its key was made
    }

    [Fact]
    public async Task AnnouncedHeads_MatchUntilTheChainIsRewritten()
    {
        using var f = await SealedFixtureAsync();
        var hashes = await Store.GetEntryHashesAsync(SealHost, [5L, 12L], CancellationToken.None);
        var heads = new List<AnnouncedHead> { new(SealHost, 5, hashes[5], 1), new(SealHost, 12, hashes[12], 2) };

        Assert.Equal(CheckOutcome.Passed, (await HistoryChecks.AnnouncedAsync(SealHost, heads, Store, CancellationToken.None)).Outcome);

        await RewriteFromAsync(11, 12, editedSeq: 12);
        var after = await HistoryChecks.AnnouncedAsync(SealHost, heads, Store, CancellationToken.None);
        Assert.Equal((CheckOutcome.Failed, 12L), (after.Outcome, after.FirstBadSeq));
    }
}
