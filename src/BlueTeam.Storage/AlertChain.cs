using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace BlueTeam.Storage;

/// <summary>
/// An alert's state as the chain records it: every column a person could want to rewrite after
/// the fact, with the incident JSON reduced to its SHA-256.
/// </summary>
internal sealed record AlertSnapshot(
    string Fingerprint,
    string RuleId,
    string RuleName,
    string Severity,
    string Title,
    long EventCount,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string IncidentSha256,
    DateTimeOffset? AckedAt,
    string? AckedBy,
    string? AckNote,
    string? AckedSeverity,
    long? SilenceId)
{
    /// <summary>The names of the fields that differ, for a verifier's message.</summary>
    public IReadOnlyList<string> Differences(AlertSnapshot other)
    {
        var names = new List<string>();
        if (Fingerprint != other.Fingerprint) names.Add("fingerprint");
        if (RuleId != other.RuleId) names.Add("rule_id");
        if (RuleName != other.RuleName) names.Add("rule_name");
        if (Severity != other.Severity) names.Add("severity");
        if (Title != other.Title) names.Add("title");
        if (EventCount != other.EventCount) names.Add("event_count");
        if (FirstSeen != other.FirstSeen) names.Add("first_seen");
        if (LastSeen != other.LastSeen) names.Add("last_seen");
        if (CreatedAt != other.CreatedAt) names.Add("created_at");
        if (UpdatedAt != other.UpdatedAt) names.Add("updated_at");
        if (IncidentSha256 != other.IncidentSha256) names.Add("incident_json");
        if (AckedAt != other.AckedAt) names.Add("acked_at");
        if (AckedBy != other.AckedBy) names.Add("acked_by");
        if (AckNote != other.AckNote) names.Add("ack_note");
        if (AckedSeverity != other.AckedSeverity) names.Add("acked_severity");
        if (SilenceId != other.SilenceId) names.Add("silence_id");
        return names;
    }
}

/// <summary>One entry of a host's chain, as stored in alert_chain.</summary>
internal sealed record ChainEntry(string Host, long Seq, long AlertId, string Kind, AlertSnapshot State, string PrevHash, string EntryHash);

/// <summary>The chain's hash: what is hashed, and how, so that no two different entries encode alike.</summary>
internal static class AlertChain
{
    /// <summary>The prev_hash of a host's first entry.</summary>
    public static readonly string Genesis = new('0', 64);

    /// <summary>Entry kinds: which change to the alert the entry records.</summary>
    public const string Created = "created";
    public const string Updated = "updated";
    public const string Acked = "acked";
    public const string Silenced = "silenced";
    /// <summary>An alert stored before the chain existed, chained as found when migration 4 ran.</summary>
    public const string Sealed = "sealed";

    // Bumped if the encoding ever changes, so that old and new entries cannot be confused.
    private const string Domain = "blueteam.alert-chain.v1";

    public static string Hash(string prevHash, string host, long seq, long alertId, string kind, AlertSnapshot s)
    {
        var buffer = new CanonicalWriter();
        buffer.Field(Domain);
        buffer.Field(prevHash);
        buffer.Field(host);
        buffer.Field(seq);
        buffer.Field(alertId);
        buffer.Field(kind);
        buffer.Field(s.Fingerprint);
        buffer.Field(s.RuleId);
        buffer.Field(s.RuleName);
        buffer.Field(s.Severity);
        buffer.Field(s.Title);
        buffer.Field(s.EventCount);
        buffer.Field(s.FirstSeen);
        buffer.Field(s.LastSeen);
        buffer.Field(s.CreatedAt);
        buffer.Field(s.UpdatedAt);
        buffer.Field(s.IncidentSha256);
        buffer.Field(s.AckedAt);
        buffer.Field(s.AckedBy);
        buffer.Field(s.AckNote);
        buffer.Field(s.AckedSeverity);
        buffer.Field(s.SilenceId);
        return Convert.ToHexStringLower(SHA256.HashData(buffer.Written));
    }

    public static string Sha256Hex(string text)
    {
        // Every stored incident's JSON (a few KB) is hashed once per save: encoded into a pooled buffer.
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(text, buffer);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer.AsSpan(0, length), hash);
            return Convert.ToHexStringLower(hash);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static bool IsCreation(string kind) => kind is Created or Sealed;

    /// <summary>
    /// The PostgreSQL advisory lock key of a host's chain: a stable 64-bit digest of the host name
    /// (the same in every process and version, unlike hashtext). A collision only makes two hosts
    /// take turns.
    /// </summary>
    public static long LockKey(string host) =>
        BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes("blueteam.alert-chain.lock\n" + host)));

    /// <summary>
    /// Length-prefixed fields: a 4-byte big-endian byte count (-1 for null), then the UTF-8 bytes.
    /// Without the prefix, "ab"+"c" and "a"+"bc" would hash alike.
    /// </summary>
    private sealed class CanonicalWriter
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(512);

        public ReadOnlySpan<byte> Written => _buffer.WrittenSpan;

        public void Field(string? value)
        {
            var byteCount = value is null ? -1 : Encoding.UTF8.GetByteCount(value);
            BinaryPrimitives.WriteInt32BigEndian(_buffer.GetSpan(4), byteCount);
            _buffer.Advance(4);
            if (value is null) return;
            _buffer.Advance(Encoding.UTF8.GetBytes(value, _buffer.GetSpan(byteCount)));
        }

        public void Field(long value) => Field(value.ToString(CultureInfo.InvariantCulture));

        public void Field(long? value) => Field(value?.ToString(CultureInfo.InvariantCulture));

        // Ticks as the database returned them: the hash is always computed over values read back
        // from the store, so SQLite's 100 ns and PostgreSQL's 1 µs precision are each consistent.
        public void Field(DateTimeOffset value) => Field(value.UtcTicks);

        public void Field(DateTimeOffset? value) => Field(value?.UtcTicks);
    }
}
