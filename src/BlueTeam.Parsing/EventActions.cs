namespace BlueTeam.Parsing;

/// <summary>
/// The event.action values parsers write and rules match on, in one place so that both agree.
/// Where Elastic's system integration names the same thing, the name is Elastic's.
/// </summary>
public static class EventActions
{
    /// <summary>An sshd authentication attempt (Accepted/Failed/Invalid user); event.outcome says which way it went.</summary>
    public const string SshLogin = "ssh_login";

    /// <summary>A source cannot read its log (missing file, permission denied, read error).</summary>
    public const string CollectorError = "collector_error";

    /// <summary>A log file shrank under the reader (copy-truncate rotation or tampering) and is read again from the start.</summary>
    public const string LogTruncated = "log_truncated";
}
