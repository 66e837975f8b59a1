using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace BlueTeam.Storage.Sealing;

/// <summary>
/// The host's side of the sealed history, kept in a file of its own outside the database's folder
/// (owner-only, 0400, rewritten whole by rename): the current epoch and its key, and the last sealed
/// position of the chain. The key is advanced (and the old one erased) at every epoch and at every
/// start, so the file never holds a key that could re-seal an earlier epoch. The last sealed position
/// anchors the chain's end: rows cut from the end, or a wiped history, are shorter than it.
/// </summary>
public sealed class SealingState
{
    private const int Version = 1;

    private SealingState(string host, string keyId, DateTimeOffset start, TimeSpan epochLength, long epoch, byte[] key, long lastSealedSeq, string lastSealedHash, SealRecord? lastSeal)
    {
        Host = host;
        KeyId = keyId;
        LastSeal = lastSeal;
        Start = start;
        EpochLength = epochLength;
        Epoch = epoch;
        _key = key;
        LastSealedSeq = lastSealedSeq;
        LastSealedHash = lastSealedHash;
    }

    private byte[] _key;

    public string Host { get; }
    /// <summary>Names the verification key this state descends from (<see cref="VerificationKey.KeyId"/>): seals of a re-initialised key are told apart by it.</summary>
    public string KeyId { get; }
    public DateTimeOffset Start { get; }
    public TimeSpan EpochLength { get; }
    /// <summary>The epoch whose key the state holds.</summary>
    public long Epoch { get; private set; }
    /// <summary>The chain position the last seal covered (0 before the first entry), and its hash.</summary>
    public long LastSealedSeq { get; private set; }
    public string LastSealedHash { get; private set; }

    /// <summary>
    /// The newest seal made, kept with the state so that a crash between saving the state and storing
    /// the seal loses nothing: the daemon stores it again (idempotently) at its next start.
    /// </summary>
    public SealRecord? LastSeal { get; private set; }

    /// <summary>The epoch of the clock that <paramref name="time"/> falls in (the key's epoch may be ahead of it: every start moves it on).</summary>
    public long EpochAt(DateTimeOffset time) => time <= Start ? 0 : (time - Start).Ticks / EpochLength.Ticks;

    /// <summary>A new sealing state for <paramref name="host"/> and the verification key to hand to the auditor.</summary>
    public static (SealingState State, VerificationKey Key) Create(string host, TimeSpan epochLength, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        if (epochLength < TimeSpan.FromSeconds(1)) throw new ArgumentOutOfRangeException(nameof(epochLength), "an epoch lasts at least a second");
        var start = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
        var seed = SealingKeys.NewSeed();
        var key = new VerificationKey(host, start, epochLength, seed);
        var state = new SealingState(host, key.KeyId, start, epochLength, 0, (byte[])seed.Clone(), 0, AlertChain.Genesis, null);
        return (state, key);
    }

    /// <summary>Seals the chain at (<paramref name="seq"/>, <paramref name="entryHash"/>) with the current epoch's key.</summary>
    public SealRecord Seal(long seq, string entryHash, DateTimeOffset now)
    {
        var tag = SealingKeys.Tag(_key, Host, Epoch, seq, entryHash);
        LastSealedSeq = seq;
        LastSealedHash = entryHash;
        LastSeal = new SealRecord(Host, KeyId, Epoch, seq, entryHash, tag, now);
        return LastSeal;
    }

    /// <summary>Moves to the next epoch: the current key is replaced by its one-way successor and erased.</summary>
    public void Advance()
    {
        var next = SealingKeys.Evolve(_key);
        CryptographicOperations.ZeroMemory(_key);
        _key = next;
        Epoch++;
    }

    /// <summary>
    /// Writes the state to <paramref name="path"/> owner-read-only: a new file beside it, flushed to disk,
    /// then renamed over the old one, so a crash leaves either the old state or the new, never half.
    /// </summary>
    public void Save(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, "." + Path.GetFileName(path) + ".new");
        var json = JsonSerializer.SerializeToUtf8Bytes(new StateFile
        {
            Version = Version, Host = Host, KeyId = KeyId, Start = Start.ToUnixTimeSeconds(), EpochSec = (long)EpochLength.TotalSeconds,
            Epoch = Epoch, Key = Convert.ToHexStringLower(_key), LastSealedSeq = LastSealedSeq, LastSealedHash = LastSealedHash,
            LastSeal = LastSeal is { } seal ? new SealFile { Epoch = seal.Epoch, Seq = seal.Seq, EntryHash = seal.EntryHash, Tag = seal.Tag, SealedAt = seal.SealedAt.ToUnixTimeMilliseconds() } : null,
        });
        File.Delete(temp);
        using (var file = new FileStream(temp, new FileStreamOptions
               {
                   Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
               }))
        {
            file.Write(json);
            file.Flush(flushToDisk: true);
        }
        CryptographicOperations.ZeroMemory(json);
        File.SetUnixFileMode(temp, UnixFileMode.UserRead);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Reads a state written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a sealing state (names the reason).</exception>
    public static SealingState Load(string path)
    {
        StateFile? f;
        try
        {
            f = JsonSerializer.Deserialize<StateFile>(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a sealing state: {e.Message}", e);
        }
        if (f is null || f.Version != Version || string.IsNullOrEmpty(f.Host) || string.IsNullOrEmpty(f.KeyId) || f.EpochSec < 1 || f.Epoch < 0 || f.LastSealedSeq < 0 || f.LastSealedHash is null)
            throw new InvalidDataException($"{path} is not a version {Version} sealing state");
        byte[] key;
        try
        {
            key = Convert.FromHexString(f.Key ?? "");
        }
        catch (FormatException)
        {
            key = [];
        }
        if (key.Length != SealingKeys.KeyBytes) throw new InvalidDataException($"{path}: the sealing key is damaged");
        var lastSeal = f.LastSeal is { EntryHash: { } hash, Tag: { } tag } seal
            ? new SealRecord(f.Host, f.KeyId, seal.Epoch, seal.Seq, hash, tag, DateTimeOffset.FromUnixTimeMilliseconds(seal.SealedAt))
            : null;
        return new SealingState(f.Host, f.KeyId, DateTimeOffset.FromUnixTimeSeconds(f.Start), TimeSpan.FromSeconds(f.EpochSec), f.Epoch, key, f.LastSealedSeq, f.LastSealedHash, lastSeal);
    }

    private sealed class StateFile
    {
        [JsonPropertyName("version")] public int Version { get; set; }
        [JsonPropertyName("host")] public string? Host { get; set; }
        [JsonPropertyName("key_id")] public string? KeyId { get; set; }
        [JsonPropertyName("start")] public long Start { get; set; }
        [JsonPropertyName("epoch_sec")] public long EpochSec { get; set; }
        [JsonPropertyName("epoch")] public long Epoch { get; set; }
        [JsonPropertyName("key")] public string? Key { get; set; }
        [JsonPropertyName("last_sealed_seq")] public long LastSealedSeq { get; set; }
        [JsonPropertyName("last_sealed_hash")] public string? LastSealedHash { get; set; }
        [JsonPropertyName("last_seal")] public SealFile? LastSeal { get; set; }
    }

    private sealed class SealFile
    {
        [JsonPropertyName("epoch")] public long Epoch { get; set; }
        [JsonPropertyName("seq")] public long Seq { get; set; }
        [JsonPropertyName("entry_hash")] public string? EntryHash { get; set; }
        [JsonPropertyName("tag")] public string? Tag { get; set; }
        [JsonPropertyName("sealed_at_ms")] public long SealedAt { get; set; }
    }
}

/// <summary>One seal: the chain of <paramref name="Host"/> up to entry <paramref name="Seq"/> (hash <paramref name="EntryHash"/>) at the end of <paramref name="Epoch"/> of the key <paramref name="KeyId"/>.</summary>
public sealed record SealRecord(string Host, string KeyId, long Epoch, long Seq, string EntryHash, string Tag, DateTimeOffset SealedAt);
