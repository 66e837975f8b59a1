using System.Globalization;

namespace BlueTeam.Storage.Sealing;

/// <summary>
/// What the auditor keeps off the host to check the sealed history: the host, when epoch 0 began,
/// the epoch length and epoch 0's key. Printed once by <c>blueteam keys init</c> as one line of text,
/// <c>btseal1/HOST/START/EPOCH_SEC/SEED_HEX</c>, and given back to <c>blueteam verify --key</c>.
/// </summary>
public sealed record VerificationKey(string Host, DateTimeOffset Start, TimeSpan EpochLength, byte[] Seed)
{
    private const string Prefix = "btseal1";

    /// <summary>The epoch that <paramref name="time"/> falls in (0 before the start).</summary>
    public long EpochAt(DateTimeOffset time) => time <= Start ? 0 : (time - Start).Ticks / EpochLength.Ticks;

    /// <summary>
    /// A public name for this key (a one-way digest of epoch 0's key, so it reveals nothing of it): the
    /// seals carry it, so that those of a re-initialised key are not taken for this key's.
    /// </summary>
    public string KeyId => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData([.. "blueteam.seal.key-id.v1\n"u8, .. Seed]))[..16];

    public string Encode() => string.Join('/', Prefix, Host, Start.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        ((long)EpochLength.TotalSeconds).ToString(CultureInfo.InvariantCulture), Convert.ToHexStringLower(Seed));

    /// <summary>Reads the text <see cref="Encode"/> writes; false (with a reason) for anything else.</summary>
    public static bool TryParse(string? text, out VerificationKey? key, out string? error)
    {
        key = null;
        var parts = (text ?? "").Trim().Split('/');
        if (parts.Length != 5 || parts[0] != Prefix)
        {
            error = $"a verification key looks like {Prefix}/HOST/START/EPOCH_SEC/KEY (printed by blueteam keys init)";
            return false;
        }
        if (parts[1].Length == 0)
        {
            error = "the verification key names no host";
            return false;
        }
        if (!long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var start) || start > 253402300799)
        {
            error = "the verification key's start time is not a number of seconds";
            return false;
        }
        if (!long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var epochSec) || epochSec is < 1 or > 366 * 86400)
        {
            error = "the verification key's epoch length is not a number of seconds between 1 and a year";
            return false;
        }
        byte[] seed;
        try
        {
            seed = Convert.FromHexString(parts[4]);
        }
        catch (FormatException)
        {
            seed = [];
        }
        if (seed.Length != SealingKeys.KeyBytes)
        {
            error = $"the verification key's key is not {SealingKeys.KeyBytes} bytes of hex";
            return false;
        }
        key = new VerificationKey(parts[1], DateTimeOffset.FromUnixTimeSeconds(start), TimeSpan.FromSeconds(epochSec), seed);
        error = null;
        return true;
    }
}
