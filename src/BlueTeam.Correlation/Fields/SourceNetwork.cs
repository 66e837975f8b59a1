using System.Net;
using System.Net.Sockets;

namespace BlueTeam.Correlation.Fields;

/// <summary>
/// The derived field <c>source.network[/N]</c>: the network a source counts as. IPv4 addresses stand
/// for themselves; an IPv6 address stands for its prefix (default /64, the block one subscriber or
/// one server is given), so 50 addresses of one /64 are one source to a per-source rule.
/// </summary>
public static class SourceNetwork
{
    public const string FieldName = "source.network";
    public const int DefaultIpv6Prefix = 64;

    /// <summary><c>source.network</c> or <c>source.network/N</c> with N in 16..128; an error for a bad N.</summary>
    public static bool TryParseName(string name, out int ipv6Prefix, out string? error)
    {
        ipv6Prefix = DefaultIpv6Prefix;
        error = null;
        if (!name.StartsWith(FieldName, StringComparison.Ordinal)) return false;
        if (name.Length == FieldName.Length) return true;
        if (name[FieldName.Length] != '/') return false;
        if (!int.TryParse(name.AsSpan(FieldName.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out ipv6Prefix) || ipv6Prefix is < 16 or > 128)
        {
            error = $"'{name}': the IPv6 prefix length after {FieldName}/ must be a number from 16 to 128";
            return false;
        }
        return true;
    }

    /// <summary>The network of <paramref name="source"/>: IPv4 address, IPv6 "prefix::/N", or the domain; null without a source.</summary>
    public static string? Of(EcsSource? source, int ipv6Prefix)
    {
        if (source is null) return null;
        if (string.IsNullOrEmpty(source.Ip)) return source.Domain;
        if (source.Ip.IndexOf(':') < 0 || ipv6Prefix >= 128) return source.Ip;
        if (!IPAddress.TryParse(source.Ip, out var address) || address.AddressFamily != AddressFamily.InterNetworkV6) return source.Ip;
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out _)) return source.Ip;
        for (var bit = ipv6Prefix; bit < 128; bit++) bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        return string.Create(CultureInfo.InvariantCulture, $"{new IPAddress(bytes)}/{ipv6Prefix}");
    }
}
