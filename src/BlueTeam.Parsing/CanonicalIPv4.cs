namespace BlueTeam.Parsing;

/// <summary>"a.b.c.d" with each part 0..255 written without leading zeros, as IPAddress.ToString writes it.</summary>
internal static class CanonicalIPv4
{
    public static bool TryRead(ReadOnlySpan<char> s, out uint octets)
    {
        octets = 0;
        if (s.Length is < 7 or > 15) return false;
        var parts = 0;
        var i = 0;
        while (true)
        {
            var start = i;
            var value = 0;
            while (i < s.Length && i - start < 3 && char.IsAsciiDigit(s[i])) value = value * 10 + (s[i++] - '0');
            var digits = i - start;
            if (digits == 0 || value > 255 || (digits > 1 && s[start] == '0')) return false;
            octets = (octets << 8) | (uint)value;
            if (++parts == 4) return i == s.Length;
            if (i >= s.Length || s[i] != '.') return false;
            i++;
        }
    }

    /// <summary>As <see cref="NetAddress.IsInternal"/> decides for IPv4: loopback, private, link-local.</summary>
    public static bool IsInternal(uint octets)
    {
        var a = octets >> 24;
        var b = (octets >> 16) & 0xFF;
        return a == 10 || (a == 172 && b is >= 16 and <= 31) || (a == 192 && b == 168) || (a == 169 && b == 254) || a == 127;
    }
}
