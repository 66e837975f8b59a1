using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace BlueTeam.Storage.Sealing;

/// <summary>
/// The forward-secure key schedule of the sealed history, in the way of Bellare–Yee and of
/// systemd-journald's sealing: epoch <c>n + 1</c>'s key is a one-way hash of epoch <c>n</c>'s, and a
/// host keeps only the current one. Whoever takes the host later holds today's key, from which no
/// earlier key can be computed, so seals made before cannot be redone. The auditor keeps epoch 0's key
/// (the verification key) off the host and derives every epoch's key from it.
/// </summary>
public static class SealingKeys
{
    public const int KeyBytes = 32;

    // Domain-separated, so that no other SHA-256 or HMAC in blueteam can be mistaken for a step or a seal.
    private static readonly byte[] EvolveDomain = "blueteam.seal.evolve.v1"u8.ToArray();
    private const string SealDomain = "blueteam.seal.tag.v1";

    /// <summary>A new random epoch-0 key.</summary>
    public static byte[] NewSeed() => RandomNumberGenerator.GetBytes(KeyBytes);

    /// <summary>The next epoch's key. The caller erases <paramref name="key"/> once it has the next one.</summary>
    public static byte[] Evolve(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyBytes) throw new ArgumentException($"a sealing key is {KeyBytes} bytes", nameof(key));
        Span<byte> input = stackalloc byte[EvolveDomain.Length + KeyBytes];
        EvolveDomain.CopyTo(input);
        key.CopyTo(input[EvolveDomain.Length..]);
        var next = SHA256.HashData(input);
        CryptographicOperations.ZeroMemory(input);
        return next;
    }

    /// <summary>Epoch <paramref name="epoch"/>'s key, derived from epoch 0's (the auditor's side).</summary>
    public static byte[] KeyAt(ReadOnlySpan<byte> seed, long epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        var key = seed.ToArray();
        for (long i = 0; i < epoch; i++)
        {
            var next = Evolve(key);
            CryptographicOperations.ZeroMemory(key);
            key = next;
        }
        return key;
    }

    /// <summary>
    /// The seal of a host's chain at the end of epoch <paramref name="epoch"/>: an HMAC over the epoch and the
    /// newest entry (its sequence and hash, which through the hash chain cover every entry before it).
    /// </summary>
    public static string Tag(ReadOnlySpan<byte> key, string host, long epoch, long seq, string entryHash)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(entryHash);
        var message = new List<byte>(128);
        Field(message, SealDomain);
        Field(message, host);
        Number(message, epoch);
        Number(message, seq);
        Field(message, entryHash);
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, message.ToArray()));
    }

    /// <summary>True when <paramref name="tag"/> is the seal <paramref name="key"/> makes (compared in constant time).</summary>
    public static bool Verify(ReadOnlySpan<byte> key, string host, long epoch, long seq, string entryHash, string tag)
    {
        var expected = Encoding.ASCII.GetBytes(Tag(key, host, epoch, seq, entryHash));
        var given = Encoding.ASCII.GetBytes(tag ?? "");
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    // Length-prefixed fields: "ab"+"c" and "a"+"bc" never encode alike.
    private static void Field(List<byte> buffer, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Number(buffer, bytes.Length);
        buffer.AddRange(bytes);
    }

    private static void Number(List<byte> buffer, long value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(b, value);
        buffer.AddRange(b.ToArray());
    }
}
