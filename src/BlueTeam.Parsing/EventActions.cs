namespace BlueTeam.Parsing;

/// <summary>
/// The event.action values parsers write and rules match on, in one place so that both agree.
/// Where Elastic's system integration names the same thing, the name is Elastic's (that is why
/// the account family is kebab-case: <c>group-added</c>, <c>account-locked</c>…); everything
/// else is snake_case.
/// </summary>
/// <remarks>
/// <para>Fields every event carries: <c>@timestamp</c>, <c>event.action</c>, <c>event.category</c>,
/// <c>event.type</c>, <c>host.hostname</c> (from the line, else the configured host),
/// <c>log.file.path</c>/<c>log.offset</c>, <c>message</c>, <c>labels.collector</c>. Auth-log events
/// also carry <c>process.name</c> (the syslog program: sshd, sudo, su, useradd…) and
/// <c>process.pid</c> when the tag has one.</para>
/// <para>Identity fields, the same way everywhere: <c>user.name</c> is the account that acted or
/// tried to (the attacker-chosen name for ssh failures); <c>user.effective.name</c> the identity it
/// acquired or asked for (sudo/su target); <c>user.target.name</c> the account an administrative
/// action changed (useradd, usermod, gpasswd…); <c>group.name</c> the group changed.
/// <c>source.ip</c> is a normalized address (IPv4-mapped IPv6 folded to IPv4); when the log names
/// a host instead, <c>source.domain</c> is set and <c>source.ip</c> is null.</para>
/// <para><c>labels.repeat_count</c>: syslog's <c>message repeated N times: [ … ]</c> yields the
/// inner message's event with this label set to N; a counting rule should add N, not 1.</para>
/// </remarks>
public static class EventActions
{
    // ---------------------------------------------------------------- sshd

    /// <summary>sshd <c>Accepted|Failed &lt;method&gt; for [invalid user ]X from IP port N</c> and <c>Invalid user X from IP</c>:
    /// outcome success/failure; user.name, source.ip|domain, source.port, event.reason (e.g. "Failed password for invalid user").</summary>
    public const string SshLogin = "ssh_login";

    /// <summary>sshd <c>maximum authentication attempts exceeded for [invalid user ]X from IP port N</c> and
    /// <c>Disconnecting: Too many authentication failures for X</c>: outcome failure; user.name, source.ip when logged.</summary>
    public const string SshMaxAuthAttempts = "ssh_max_auth_attempts";

    /// <summary>sshd <c>Connection closed|reset by [authenticating|invalid user X] IP port N [preauth]</c>, <c>Disconnected from …</c>,
    /// <c>Received disconnect from IP port N:…</c>: outcome failure when the peer never authenticated ([preauth], a client's
    /// disconnect 3 "Auth fail" or 14, or an earlier failure of the same connection logged without the peer), else unknown; source.ip, source.port, user.name when logged,
    /// event.reason (closed/reset/disconnect), labels.preauth "true" when the peer never authenticated.</summary>
    public const string SshConnectionClosed = "ssh_connection_closed";

    /// <summary>sshd refused the connection before any exchange: tcp_wrappers (<c>refused connect from H (IP)</c>) and
    /// OpenSSH 9.8+ PerSourcePenalties (<c>drop connection #N from [IP]:P on [IP]:P penalty: …</c>): outcome failure; source.ip, event.reason.</summary>
    public const string SshConnectionRefused = "ssh_connection_refused";

    /// <summary>sshd could not agree on a protocol with the client: <c>kex_exchange_identification: …</c>, <c>banner exchange: …</c>,
    /// <c>Bad protocol version identification '…' from IP</c>, <c>Unable to negotiate with IP port N: no matching … found</c>,
    /// <c>no matching mac found</c>, <c>Read from socket failed</c>, <c>Timeout before authentication</c>: outcome failure;
    /// source.ip from the line or, when the line names none, from the same connection's earlier lines.</summary>
    public const string SshHandshakeFailed = "ssh_handshake_failed";

    /// <summary>sshd <c>Did not receive identification string from IP</c> (port scanners, banner grabbers): outcome failure; source.ip.</summary>
    public const string SshNoIdentification = "ssh_no_identification";

    /// <summary>sshd <c>ROOT LOGIN REFUSED FROM IP</c> (PermitRootLogin no): outcome failure; user.name "root", source.ip.</summary>
    public const string SshRootLoginRefused = "ssh_root_login_refused";

    /// <summary>sshd <c>User X from IP not allowed because not listed in AllowUsers | listed in DenyUsers | …groups…</c>:
    /// outcome failure; user.name, source.ip|domain, event.reason = the "because …" clause.</summary>
    public const string SshUserNotAllowed = "ssh_user_not_allowed";

    /// <summary>sshd <c>reverse mapping checking getaddrinfo for H [IP] failed - POSSIBLE BREAK-IN ATTEMPT!</c> and
    /// <c>Address IP maps to H, but this does not map back…</c>: outcome unknown; source.ip, source.domain = H.</summary>
    public const string SshReverseMappingFailed = "ssh_reverse_mapping_failed";

    // ---------------------------------------------------------------- PAM and friends (any service)

    /// <summary><c>pam_unix(SERVICE:auth): authentication failure; … ruser=R rhost=H user=U</c> and the old
    /// <c>SERVICE(pam_unix)[pid]: authentication failure; …</c>: outcome failure; user.name = R if set else U,
    /// user.effective.name = U when R is set (sudo: who asked for whom), source.ip|domain from rhost,
    /// labels.service = SERVICE (sshd, sudo, su, login…). sshd also logs its own ssh_login line for the
    /// same attempt, so a brute-force rule should count one of the two per service, not both.</summary>
    public const string PamAuthFailure = "pam_auth_failure";

    /// <summary>sshd <c>error: PAM: User not known to the underlying authentication module for illegal user X from H</c>:
    /// outcome failure; user.name, source.ip|domain.</summary>
    public const string PamUserUnknown = "pam_user_unknown";

    /// <summary><c>pam_unix(SERVICE:session): session opened for user X[(uid=N)] by Y(uid=M)</c> (and old style):
    /// outcome success; user.name = X, labels.service; user.effective.name = X and user.name = Y for su/sudo sessions
    /// opened by a named user.</summary>
    public const string SessionOpened = "session_opened";

    /// <summary><c>pam_unix(SERVICE:session): session closed for user X</c>: outcome success; user.name, labels.service.</summary>
    public const string SessionClosed = "session_closed";

    /// <summary><c>pam_faillock(SERVICE:auth): Consecutive login failures for user X account temporarily locked</c> (Elastic's name):
    /// outcome failure; user.name, labels.service.</summary>
    public const string AccountLocked = "account-locked";

    /// <summary><c>unix_chkpwd: password check failed for user (X)</c>: outcome failure; user.name.</summary>
    public const string PasswordCheckFailed = "password_check_failed";

    // ---------------------------------------------------------------- sudo / su

    /// <summary>sudo <c>U : [TTY=t ;] PWD=p ; USER=r ; COMMAND=c</c>: outcome success; user.name = U, user.effective.name = r,
    /// process.command_line = c, process.working_directory = p, labels.tty = t.</summary>
    public const string SudoCommand = "sudo_command";

    /// <summary>sudo <c>U : user NOT in sudoers | user NOT authorized on host | command not allowed ; … COMMAND=c</c>:
    /// outcome failure; the same fields as sudo_command, event.reason = the refusal.</summary>
    public const string SudoDenied = "sudo_denied";

    /// <summary>sudo <c>U : N incorrect password attempts ; … COMMAND=c</c>: outcome failure; the sudo_command fields
    /// plus labels.attempts = N.</summary>
    public const string SudoAuthFailure = "sudo_auth_failure";

    /// <summary>su <c>Successful su for T by U</c>, <c>(to T) U on TTY</c>, <c>+ TTY U:T</c> (success) and <c>FAILED SU (to T) U on TTY</c>,
    /// <c>FAILED su for T by U</c>, <c>- TTY U:T</c> (failure): user.name = U, user.effective.name = T, labels.tty.</summary>
    public const string SuLogin = "su_login";

    // ---------------------------------------------------------------- accounts (Elastic's names)

    /// <summary>useradd <c>new user: name=X, UID=…</c> (success), <c>failed adding user 'X'</c> (failure):
    /// user.name = user.target.name = X, user.id when logged.</summary>
    public const string UserAdded = "user-added";

    /// <summary>userdel <c>delete user 'X'</c>: outcome success; user.name = user.target.name = X.</summary>
    public const string UserDeleted = "user-deleted";

    /// <summary>usermod <c>change user 'X' …</c>, chage <c>changed password expiry for X</c>, usermod <c>lock/unlock user 'X' password</c>,
    /// <c>change user name 'X' to 'Y'</c>: outcome success; user.name = user.target.name = X, event.reason = what changed.</summary>
    public const string UserChanged = "user-changed";

    /// <summary>passwd/chpasswd <c>pam_unix(passwd:chauthtok): password changed for X</c>, usermod <c>change user 'X' password</c>:
    /// outcome success; user.name = user.target.name = X, labels.service.</summary>
    public const string PasswordChanged = "password-changed";

    /// <summary>groupadd <c>new group: name=G, GID=n</c> / <c>group added to /etc/…: name=G</c>: outcome success; group.name, group.id.</summary>
    public const string GroupAdded = "group-added";

    /// <summary>groupdel <c>group 'G' removed [from /etc/…]</c>, userdel <c>removed group 'G' [owned by 'X']</c>: outcome success; group.name.</summary>
    public const string GroupDeleted = "group-deleted";

    /// <summary>usermod <c>add 'X' to [shadow ]group 'G'</c>, gpasswd <c>user X added by A to group G</c>, useradd <c>add 'X' to group 'G'</c>:
    /// outcome success; user.target.name = X, group.name = G, user.name = A for gpasswd, else X.</summary>
    public const string GroupMemberAdded = "group-member-added";

    /// <summary>userdel/usermod <c>delete 'X' from [shadow ]group 'G'</c>, gpasswd <c>user X removed by A from group G</c>:
    /// outcome success; user.target.name = X, group.name = G, user.name = A for gpasswd.</summary>
    public const string GroupMemberRemoved = "group-member-removed";

    // ---------------------------------------------------------------- kernel audit subsystem health (auth/syslog lines)

    /// <summary>kernel <c>audit: backlog limit exceeded</c>: the kernel is dropping audit records (NIST 3.3.4); outcome failure, process.name "kernel".</summary>
    public const string AuditBacklogLimitExceeded = "audit_backlog_limit_exceeded";

    /// <summary>kernel <c>audit: audit_lost=N audit_rate_limit=… audit_backlog_limit=…</c>: records were lost; outcome failure,
    /// labels.audit_lost = N.</summary>
    public const string AuditEventsLost = "audit_events_lost";

    // ---------------------------------------------------------------- auditd (audit.log), one event per reassembled serial

    /// <summary>Prefix of every auditd event: the action is <c>audit_</c> + the lower-cased type of the event's main record
    /// (e.g. <c>audit_user_auth</c>, <c>audit_anom_abend</c>, <c>audit_crypto_session</c>). The named constants below are the
    /// ones rules use; any other record type still yields <c>audit_&lt;type&gt;</c>. Fields: event.outcome from
    /// res=/success= (success|failure), user.name from acct= or the translated auid/uid, user.id (uid), user.audit.id via
    /// labels.auid, user.effective.name/id from euid, source.ip|domain from addr=/hostname=, process.pid, process.name (comm),
    /// process.executable (exe), labels.audit_serial, labels.audit_record_types (comma list, in order), labels.audit_node.</summary>
    public const string AuditPrefix = "audit_";

    /// <summary>USER_AUTH: a PAM authentication (op=PAM:authentication acct=…): outcome, user.name = acct, process.executable, source.*.</summary>
    public const string AuditUserAuth = "audit_user_auth";
    /// <summary>USER_LOGIN: a login (sshd, login, gdm): outcome, user.name (acct or id), source.*, labels.terminal.</summary>
    public const string AuditUserLogin = "audit_user_login";
    /// <summary>USER_CMD: a command run through sudo: outcome, user.name (auid), process.command_line (hex cmd= decoded), process.working_directory.</summary>
    public const string AuditUserCmd = "audit_user_cmd";
    /// <summary>ADD_USER: useradd created an account: outcome, user.target.name/id (acct/id), process.executable.</summary>
    public const string AuditAddUser = "audit_add_user";
    /// <summary>DEL_USER: an account was deleted: outcome, user.target.name/id.</summary>
    public const string AuditDelUser = "audit_del_user";
    /// <summary>ADD_GROUP: a group was created: outcome, group.id (id=), group.name (grp=/acct=) when logged.</summary>
    public const string AuditAddGroup = "audit_add_group";
    /// <summary>DEL_GROUP: a group was deleted: outcome, group.id/name.</summary>
    public const string AuditDelGroup = "audit_del_group";
    /// <summary>USER_MGMT / GRP_MGMT: an account or group attribute changed (usermod, gpasswd): outcome, user.target.*, event.reason = op.</summary>
    public const string AuditUserMgmt = "audit_user_mgmt";
    /// <summary>USER_CHAUTHTOK: a password changed: outcome, user.target.name = acct.</summary>
    public const string AuditUserChauthtok = "audit_user_chauthtok";
    /// <summary>CONFIG_CHANGE: the audit configuration itself changed (rules added/removed, enabled flag): outcome, event.reason = op.</summary>
    public const string AuditConfigChange = "audit_config_change";
    /// <summary>DAEMON_START: auditd started: outcome.</summary>
    public const string AuditDaemonStart = "audit_daemon_start";
    /// <summary>DAEMON_END: auditd stopped (old text "auditd normal halt" and new op=terminate): outcome; a stop nobody planned is a gap in the record.</summary>
    public const string AuditDaemonEnd = "audit_daemon_end";
    /// <summary>DAEMON_ABORT: auditd aborted: outcome failure.</summary>
    public const string AuditDaemonAbort = "audit_daemon_abort";
    /// <summary>DAEMON_CONFIG: auditd reloaded its configuration: outcome.</summary>
    public const string AuditDaemonConfig = "audit_daemon_config";
    /// <summary>DAEMON_ERR: auditd hit an error (e.g. disk full): outcome failure.</summary>
    public const string AuditDaemonErr = "audit_daemon_err";
    /// <summary>SYSCALL with syscall=execve (59 on x86_64), or a lone EXECVE record: a program ran. process.executable, process.name,
    /// process.args (from EXECVE a0…, hex decoded), process.command_line (PROCTITLE), file.path (PATH records), user.*, outcome.</summary>
    public const string AuditExecve = "audit_execve";
    /// <summary>Any other SYSCALL event (file access watched by a rule, denied open…): labels.audit_key (key=), file.path, outcome, process.*.</summary>
    public const string AuditSyscall = "audit_syscall";
    /// <summary>Prefix of the kernel's and userspace's anomaly records (ANOM_ABEND crash, ANOM_PROMISCUOUS, ANOM_LOGIN_FAILURES…): audit_anom_*.</summary>
    public const string AuditAnomalyPrefix = "audit_anom_";

    // ---------------------------------------------------------------- web access logs

    /// <summary>One nginx/Apache access-log request: outcome success (status &lt; 400) or failure; source.ip|domain, user.name (unless "-"),
    /// http.request.method, http.version, url.original/path/query, http.response.status_code, http.response.body.bytes,
    /// http.request.referrer, user_agent.original.</summary>
    public const string HttpRequest = "http_request";

    // ---------------------------------------------------------------- eqmon application log (JSON lines)

    /// <summary>App login attempt: outcome success/failure from the outcome field (or the event name); user.name, source.ip.</summary>
    public const string AppLogin = "app_login";
    /// <summary>App refused an action (permission denied / forbidden / unauthorized): outcome failure; user.name, source.ip, event.reason.</summary>
    public const string AppPermissionDenied = "app_permission_denied";
    /// <summary>Export of CUI records: outcome; user.name, source.ip, labels.cui = "true", labels.record_count = N. Rules flag this as cui_involved.</summary>
    public const string AppCuiExport = "app_cui_export";
    /// <summary>Any other app event: event.reason = the app's event name; user.name, source.ip, outcome when given.</summary>
    public const string AppEvent = "app_event";

    // ---------------------------------------------------------------- the pipeline itself

    /// <summary>A source cannot read its log (missing file, permission denied, read error).</summary>
    public const string CollectorError = "collector_error";

    /// <summary>A log file shrank under the reader (copy-truncate rotation or tampering) and is read again from the start.</summary>
    public const string LogTruncated = "log_truncated";
}
