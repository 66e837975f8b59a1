using System.Text.RegularExpressions;

namespace BlueTeam.Core.Config;

/// <summary>Masks the secret parts of a value that is otherwise worth showing (where a store or webhook is).</summary>
public static partial class SecretMask
{
    public const string Masked = "********";

    /// <summary>
    /// <c>Password=…</c> (and <c>Pwd</c>, <c>Passfile</c> is kept: it is a path) in a connection string,
    /// and the password of a URL's user info, become <see cref="Masked"/>.
    /// </summary>
    public static string Mask(string? value)
    {
        if (string.IsNullOrEmpty(value)) return value ?? "";
        var masked = ConnectionStringPassword().Replace(value, m => m.Groups["key"].Value + "=" + Masked);
        return UrlUserInfoPassword().Replace(masked, m => m.Groups["scheme"].Value + m.Groups["user"].Value + ":" + Masked + "@");
    }

    // Npgsql syntax: key=value pairs separated by ';', a value may be quoted.
    [GeneratedRegex("""(?<key>\b(?:password|pwd))\s*=\s*(?:"[^"]*"|'[^']*'|[^;]*)""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ConnectionStringPassword();

    [GeneratedRegex(@"(?<scheme>\b[a-z][a-z0-9+.-]*://)(?<user>[^:/@\s]*):[^@/\s]*@", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 1000)]
    private static partial Regex UrlUserInfoPassword();
}
