namespace BlueTeam.Parsing.Auth;

/// <summary>
/// sudo's own log lines: <c>U : [REASON ; ]TTY=t ; PWD=p ; USER=r ; COMMAND=c</c>. No reason → sudo_command;
/// <c>N incorrect password attempts</c> → sudo_auth_failure; any other reason (user NOT in sudoers, command
/// not allowed, a password is required…) → sudo_denied. PAM's lines from sudo go to <see cref="PamMessageParser"/>.
/// </summary>
public sealed class SudoMessageParser : IAuthMessageParser
{
    private const int MaxMessageLength = 16384;
    public const string TtyLabel = "tty";
    public const string AttemptsLabel = "attempts";

    public bool Handles(ReadOnlySpan<char> program) => program.SequenceEqual("sudo");

    public SecurityEvent? Parse(in SyslogRecord record, RawLine line, ParseContext context)
    {
        var message = record.Message;
        if (message.Length > MaxMessageLength) return null;
        var sep = message.IndexOf(" : ", StringComparison.Ordinal);
        if (sep <= 0) return null;
        var commandAt = message.IndexOf("COMMAND=", StringComparison.Ordinal);
        if (commandAt < sep) return null;

        var user = message[..sep].Trim();
        if (user.IsEmpty || user.Contains(' ')) return null;
        var command = message[(commandAt + 8)..];
        ReadOnlySpan<char> tty = default, pwd = default, runAs = default, reason = default;
        foreach (var range in message[(sep + 3)..commandAt].Split(" ; "))
        {
            var part = message[(sep + 3)..commandAt][range].Trim();
            if (part.IsEmpty) continue;
            if (part.StartsWith("TTY=", StringComparison.Ordinal)) tty = part[4..];
            else if (part.StartsWith("PWD=", StringComparison.Ordinal)) pwd = part[4..];
            else if (part.StartsWith("USER=", StringComparison.Ordinal)) runAs = part[5..];
            else if (part.Contains('=')) continue; // GROUP=, ENV=, TSID=…
            else if (reason.IsEmpty) reason = part;
        }

        string action, outcome;
        List<KeyValuePair<string, string>> labels = [];
        if (!tty.IsEmpty) labels.Add(AuthEvent.Label(TtyLabel, tty.ToString()));
        if (reason.IsEmpty)
        {
            action = EventActions.SudoCommand;
            outcome = EcsValues.Success;
        }
        else if (reason.EndsWith("incorrect password attempts", StringComparison.Ordinal) || reason.EndsWith("incorrect password attempt", StringComparison.Ordinal))
        {
            action = EventActions.SudoAuthFailure;
            outcome = EcsValues.Failure;
            var space = reason.IndexOf(' ');
            if (space > 0) labels.Add(AuthEvent.Label(AttemptsLabel, reason[..space].ToString()));
        }
        else
        {
            action = EventActions.SudoDenied;
            outcome = EcsValues.Failure;
        }

        return AuthEvent.Create(record, line, context, action, outcome,
            EcsLists.Process, [outcome == EcsValues.Success ? EcsValues.Start : EcsValues.Denied],
            user: AuthEvent.User(user.ToString(), effective: runAs.ToString()),
            reason: reason.IsEmpty ? null : reason.ToString(),
            process: new EcsProcess
            {
                Name = record.Program.ToString(),
                Pid = record.Pid,
                CommandLine = command.ToString(),
                WorkingDirectory = pwd.IsEmpty ? null : pwd.ToString(),
            },
            labels: [.. labels]);
    }
}
