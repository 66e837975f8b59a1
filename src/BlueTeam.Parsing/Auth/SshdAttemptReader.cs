using System.Text.RegularExpressions;

namespace BlueTeam.Parsing.Auth;

/// <summary>
/// Reads sshd's <c>Accepted|Failed METHOD for [invalid user ]USER from ADDR port N ssh2[: INFO]</c>
/// (OpenSSH <c>auth.c</c>, <c>auth_log()</c>) by its structure, so that neither attacker-written
/// part chooses the address.
/// </summary>
/// <remarks>
/// <para>Two parts are the client's words: USER (before the peer) and INFO (after it: the key type
/// and fingerprint, and for a certificate its key ID, which the client writes; <c>ruser NAME</c> for
/// protocol 1 rhosts). Either may hold a decoy <c>from 6.6.6.6 port 22 ssh2</c>. Every
/// <c>" from "</c> is therefore a candidate, and a candidate is kept only when the text after it
/// has the fixed shape sshd writes: an address, <c>port N</c>, <c>ssh1|ssh2</c>, then either the
/// end or an INFO that this METHOD logs (key info only for publickey and hostbased, nothing after a
/// password). A decoy in the user name is followed by the real peer, which no method's INFO looks
/// like; a decoy in a key ID is followed by <c>(serial N) CA …</c>, which is not a key's
/// fingerprint.</para>
/// <para>When the shape still admits more than one candidate (decoys in both the user name and a
/// certificate ID, built to fit), the line is <see cref="Attempt.Ambiguous"/>: its outcome is kept,
/// its address is not guessed.</para>
/// <para>Lines of very old sshd versions without <c>port N</c> are read when no candidate has a
/// port. Each candidate costs a few characters unless its tail has key info to check (linear in the
/// message); sshd's 1 KiB message buffer bounds their number.</para>
/// </remarks>
internal static partial class SshdAttemptReader
{
    private const string From = " from ";

    internal ref struct Attempt
    {
        public bool Accepted;
        public ReadOnlySpan<char> Method;
        public bool Invalid;
        public ReadOnlySpan<char> User;
        public ReadOnlySpan<char> Peer;
        public ReadOnlySpan<char> Port;
        /// <summary>More than one address fits the structure: the peer and user are left empty.</summary>
        public bool Ambiguous;
    }

    public static bool TryRead(ReadOnlySpan<char> body, out Attempt m)
    {
        m = default;
        ReadOnlySpan<char> rest;
        if (body.StartsWith("Accepted ", StringComparison.Ordinal)) { m.Accepted = true; rest = body[9..]; }
        else if (body.StartsWith("Failed ", StringComparison.Ordinal)) rest = body[7..];
        else return false;

        var space = rest.IndexOf(' ');
        if (space <= 0) return false;
        m.Method = rest[..space];
        rest = rest[space..];
        if (!rest.StartsWith(" for ", StringComparison.Ordinal)) return false;
        rest = rest[5..];

        var keyInfo = m.Method.SequenceEqual("publickey") || m.Method.SequenceEqual("hostbased") || m.Method.StartsWith("rsa", StringComparison.Ordinal);
        int chosen = -1, chosenWithoutPort = -1, chosenRuser = -1, withPort = 0, withoutPort = 0, withRuser = 0;
        ReadOnlySpan<char> peer = default, port = default, peerWithoutPort = default, peerRuser = default, portRuser = default;
        for (var from = rest.IndexOf(From, StringComparison.Ordinal); from >= 0; from = Next(rest, from))
        {
            switch (ReadTail(rest[(from + From.Length)..], keyInfo, out var p, out var n))
            {
                case Tail.WithPort:
                    if (withPort++ == 0) { chosen = from; peer = p; port = n; }
                    break;
                case Tail.Protocol1Ruser:
                    if (withRuser++ == 0) { chosenRuser = from; peerRuser = p; portRuser = n; }
                    break;
                case Tail.WithoutPort:
                    if (withoutPort++ == 0) { chosenWithoutPort = from; peerWithoutPort = p; }
                    break;
            }
        }
        // Protocol 1 (gone since OpenSSH 7.4) logged "ssh1: ruser NAME"; a user name can imitate it to make a
        // line ambiguous, so such a candidate counts only when no other one fits.
        if (withPort == 0 && withRuser > 0)
        {
            withPort = withRuser;
            chosen = chosenRuser;
            peer = peerRuser;
            port = portRuser;
        }
        if (withPort == 0 && withoutPort == 1)
        {
            chosen = chosenWithoutPort;
            peer = peerWithoutPort;
            withPort = 1;
        }
        if (withPort == 0) return false;
        if (withPort > 1)
        {
            m.Ambiguous = true;
            return true;
        }

        const string invalid = "invalid user ";
        var user = rest[..chosen];
        if (user.StartsWith(invalid, StringComparison.Ordinal))
        {
            m.Invalid = true;
            user = user[invalid.Length..];
        }
        m.User = user;
        m.Peer = peer;
        m.Port = port;
        return true;
    }

    private static int Next(ReadOnlySpan<char> text, int from)
    {
        // Overlapping occurrences (" from from ") are each tried.
        var start = from + 1;
        var at = text[start..].IndexOf(From, StringComparison.Ordinal);
        return at < 0 ? -1 : start + at;
    }

    private enum Tail { None, WithPort, Protocol1Ruser, WithoutPort }

    /// <summary><c>ADDR port N[ ssh1|ssh2][: INFO]</c>, or (old sshd) <c>ADDR</c> alone at the end.</summary>
    private static Tail ReadTail(ReadOnlySpan<char> tail, bool keyInfo, out ReadOnlySpan<char> peer, out ReadOnlySpan<char> port)
    {
        peer = port = default;
        var space = tail.IndexOf(' ');
        if (space == 0) return Tail.None;
        if (space < 0)
        {
            if (!NetAddress.TryReadPeer(tail, out _, out _)) return Tail.None;
            peer = tail;
            return Tail.WithoutPort;
        }
        var address = tail[..space];
        var after = tail[space..];
        if (!after.StartsWith(" port ", StringComparison.Ordinal)) return Tail.None;
        var digits = after[6..];
        var n = 0;
        while (n < digits.Length && char.IsAsciiDigit(digits[n])) n++;
        if (n is 0 or > 5) return Tail.None;
        var rest = digits[n..];
        var protocol1 = false;
        if (rest.StartsWith(" ssh2", StringComparison.Ordinal)) rest = rest[5..];
        else if (rest.StartsWith(" ssh1", StringComparison.Ordinal)) { rest = rest[5..]; protocol1 = true; }
        var shape = Tail.WithPort;
        if (!rest.IsEmpty)
        {
            if (!rest.StartsWith(": ", StringComparison.Ordinal)) return Tail.None;
            if (protocol1 && rest[2..].StartsWith("ruser ", StringComparison.Ordinal)) shape = Tail.Protocol1Ruser;
            else if (!IsKeyInfo(rest[2..], keyInfo)) return Tail.None;
        }
        if (!NetAddress.TryReadPeer(address, out _, out _)) return Tail.None;
        peer = address;
        port = digits[..n];
        return shape;
    }

    /// <summary>The key info sshd appends after <c>ssh2: </c> for publickey and hostbased.</summary>
    private static bool IsKeyInfo(ReadOnlySpan<char> info, bool keyInfo)
    {
        if (!keyInfo || info.Length > 4096) return false;
        var text = info.ToString();
        return KeyInfoPattern().IsMatch(text) || CertificateInfoPattern().IsMatch(text);
    }

    // "RSA SHA256:abc" / "ECDSA 0e:ff:…" (MD5, older sshd), then ", client user …" for hostbased.
    // The fingerprint is sshd's text (no space, no comma); only the key ID of a certificate, below, is the client's.
    [GeneratedRegex(@"^[A-Z0-9][A-Z0-9-]* (?:(?:SHA256|SHA1|MD5):[^ ,]+|[0-9a-fA-Fx]{2}(?::[0-9a-fA-Fx]{2})+)(?:, .*)?$",
        RegexOptions.NonBacktracking | RegexOptions.CultureInvariant)]
    private static partial Regex KeyInfoPattern();

    // "ED25519-CERT SHA256:abc ID <key id> (serial N) CA ED25519 SHA256:def": the key ID is the client's.
    [GeneratedRegex(@"^[A-Z0-9][A-Z0-9-]*-CERT (?:SHA256|SHA1|MD5):[^ ,]+ ID .* \(serial [0-9]+\) CA [A-Z0-9][A-Z0-9-]* (?:SHA256|SHA1|MD5):[^ ,]+(?:, .*)?$",
        RegexOptions.NonBacktracking | RegexOptions.CultureInvariant)]
    private static partial Regex CertificateInfoPattern();
}
