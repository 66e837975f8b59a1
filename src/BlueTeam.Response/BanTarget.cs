using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;

namespace BlueTeam.Response;

/// <summary>An address or a prefix to ban, always in canonical form (host bits cleared, IPv4-mapped IPv6 unmapped).</summary>
public readonly record struct BanTarget(IPNetwork Network)
{
    public bool IsIPv6 => Network.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6;
    public bool IsSingleAddress => Network.PrefixLength == (IsIPv6 ? 128 : 32);

    /// <summary>Parses ADDR or ADDR/LEN; host bits of a CIDR must be zero (10.0.0.1/8 is a typo, not 10.0.0.0/8).</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out BanTarget? target)
    {
        target = null;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 64) return false;
        text = text.Trim();
        if (IPAddress.TryParse(text, out var address) && !text.Contains('/', StringComparison.Ordinal))
        {
            target = ForAddress(address, ipv6Prefix: 128);
            return true;
        }
        if (!IPNetwork.TryParse(text, out var network)) return false;
        // IPNetwork masks host bits silently; 10.0.0.1/8 is more likely a typo than a wish to ban 16 M addresses.
        if (!IPAddress.TryParse(text.AsSpan(0, text.IndexOf('/', StringComparison.Ordinal)), out var written) || !written.Equals(network.BaseAddress)) return false;
        if (network.BaseAddress.IsIPv4MappedToIPv6) return false;
        target = new BanTarget(network);
        return true;
    }

    /// <summary>The target for a source address: the address itself, or its /<paramref name="ipv6Prefix"/> for IPv6.</summary>
    public static BanTarget ForAddress(IPAddress address, int ipv6Prefix)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily == AddressFamily.InterNetwork) return new BanTarget(new IPNetwork(address, 32));
        var bytes = address.GetAddressBytes();
        for (var bit = ipv6Prefix; bit < 128; bit++) bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        return new BanTarget(new IPNetwork(new IPAddress(bytes), ipv6Prefix));
    }

    public bool Overlaps(IPNetwork other) =>
        other.BaseAddress.AddressFamily == Network.BaseAddress.AddressFamily
        && (other.Contains(Network.BaseAddress) || Network.Contains(other.BaseAddress));

    public override string ToString() => IsSingleAddress ? Network.BaseAddress.ToString() : Network.ToString();
}
