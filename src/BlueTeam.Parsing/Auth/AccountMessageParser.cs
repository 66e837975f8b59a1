namespace BlueTeam.Parsing.Auth;

/// <summary>
/// The shadow-utils account tools: useradd, userdel, usermod, groupadd, groupdel, groupmod, gpasswd,
/// passwd, chpasswd, chage. Each message becomes one of Elastic's iam actions (user-added,
/// group-member-added…); see <see cref="EventActions"/> for which fields each carries.
/// </summary>
public sealed class AccountMessageParser : IAuthMessageParser
{
    private const int MaxMessageLength = 2048;

    public bool Handles(ReadOnlySpan<char> program) => program switch
    {
        "useradd" or "userdel" or "usermod" or "groupadd" or "groupdel" or "groupmod" or "gpasswd" or "passwd" or "chpasswd" or "chage" or "adduser" or "deluser" => true,
        _ => false,
    };

    public SecurityEvent? Parse(in SyslogRecord record, RawLine line, ParseContext context)
    {
        var m = record.Message;
        if (m.IsEmpty || m.Length > MaxMessageLength) return null;

        if (m.StartsWith("new user: ", StringComparison.Ordinal))
        {
            var name = Field(m, "name");
            return UserEvent(record, line, context, EventActions.UserAdded, EcsValues.Success, EcsValues.Creation, name, id: Field(m, "UID"));
        }
        if (m.StartsWith("failed adding user '", StringComparison.Ordinal) && AuthEvent.TryQuoted(m, out var failed, out _))
            return UserEvent(record, line, context, EventActions.UserAdded, EcsValues.Failure, EcsValues.Creation, failed, reason: m.ToString());
        if (m.StartsWith("new group: ", StringComparison.Ordinal) || m.StartsWith("group added to ", StringComparison.Ordinal))
            return GroupEvent(record, line, context, EventActions.GroupAdded, EcsValues.Creation, Field(m, "name"), Field(m, "GID"));
        if (m.StartsWith("delete user '", StringComparison.Ordinal) && AuthEvent.TryQuoted(m, out var deleted, out _))
            return UserEvent(record, line, context, EventActions.UserDeleted, EcsValues.Success, EcsValues.Deletion, deleted);
        if ((m.StartsWith("removed group '", StringComparison.Ordinal) || m.StartsWith("removed shadow group '", StringComparison.Ordinal))
            && AuthEvent.TryQuoted(m, out var removedGroup, out _))
            return GroupEvent(record, line, context, EventActions.GroupDeleted, EcsValues.Deletion, removedGroup, default);
        if ((m.StartsWith("group '", StringComparison.Ordinal) && m.Contains("' removed", StringComparison.Ordinal)
             || m.StartsWith("remove group '", StringComparison.Ordinal)) && AuthEvent.TryQuoted(m, out var group, out _))
            return GroupEvent(record, line, context, EventActions.GroupDeleted, EcsValues.Deletion, group, default);
        if (m.StartsWith("add '", StringComparison.Ordinal) || m.StartsWith("delete '", StringComparison.Ordinal))
            return Membership(record, line, context, m);
        if (m.StartsWith("user ", StringComparison.Ordinal) && (m.Contains(" added by ", StringComparison.Ordinal) || m.Contains(" removed by ", StringComparison.Ordinal)))
            return GpasswdMembership(record, line, context, m);
        if (m.StartsWith("change user '", StringComparison.Ordinal) && AuthEvent.TryQuoted(m, out var changed, out var what))
        {
            var password = what.Trim().SequenceEqual("password");
            return UserEvent(record, line, context, password ? EventActions.PasswordChanged : EventActions.UserChanged,
                EcsValues.Success, EcsValues.Change, changed, reason: m.ToString());
        }
        if ((m.StartsWith("lock user '", StringComparison.Ordinal) || m.StartsWith("unlock user '", StringComparison.Ordinal)
             || m.StartsWith("change user name '", StringComparison.Ordinal)) && AuthEvent.TryQuoted(m, out var locked, out _))
            return UserEvent(record, line, context, EventActions.UserChanged, EcsValues.Success, EcsValues.Change, locked, reason: m.ToString());
        if (m.StartsWith("changed password expiry for ", StringComparison.Ordinal))
            return UserEvent(record, line, context, EventActions.UserChanged, EcsValues.Success, EcsValues.Change, m[28..].Trim(), reason: m.ToString());
        if (m.StartsWith("password for '", StringComparison.Ordinal) && m.Contains("' changed", StringComparison.Ordinal) && AuthEvent.TryQuoted(m, out var pwUser, out _))
            return UserEvent(record, line, context, EventActions.PasswordChanged, EcsValues.Success, EcsValues.Change, pwUser, reason: m.ToString());
        return null;
    }

    /// <summary>usermod/useradd/userdel <c>add|delete 'X' to|from [shadow ]group 'G'</c>.</summary>
    private static SecurityEvent? Membership(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> m)
    {
        var add = m[0] == 'a';
        if (!AuthEvent.TryQuoted(m, out var user, out var rest)) return null;
        if (!rest.Contains(add ? " to " : " from ", StringComparison.Ordinal) || !rest.Contains("group '", StringComparison.Ordinal)) return null;
        if (!AuthEvent.TryQuoted(rest, out var group, out _)) return null;
        // userdel removes memberships as part of deleting the user; Elastic types those as a user deletion.
        var deleting = record.Program.SequenceEqual("userdel");
        var name = user.ToString();
        return AuthEvent.Create(record, line, context, add ? EventActions.GroupMemberAdded : EventActions.GroupMemberRemoved, EcsValues.Success,
            EcsLists.Iam, [EcsValues.User, deleting ? EcsValues.Deletion : EcsValues.Change],
            user: AuthEvent.User(deleting ? null : name, target: name), group: new EcsGroup { Name = group.ToString() });
    }

    /// <summary>gpasswd <c>user X added by A to group G</c> / <c>user X removed by A from group G</c>.</summary>
    private static SecurityEvent? GpasswdMembership(in SyslogRecord record, RawLine line, ParseContext context, ReadOnlySpan<char> m)
    {
        var rest = m[5..];
        var add = rest.Contains(" added by ", StringComparison.Ordinal);
        var verb = add ? " added by " : " removed by ";
        var at = rest.IndexOf(verb, StringComparison.Ordinal);
        var user = rest[..at];
        rest = rest[(at + verb.Length)..];
        var groupAt = rest.LastIndexOf(add ? " to group " : " from group ", StringComparison.Ordinal);
        if (groupAt <= 0) return null;
        var actor = rest[..groupAt];
        var group = rest[(groupAt + (add ? 10 : 12))..];
        return AuthEvent.Create(record, line, context, add ? EventActions.GroupMemberAdded : EventActions.GroupMemberRemoved, EcsValues.Success,
            EcsLists.Iam, EcsLists.GroupChange,
            user: AuthEvent.User(actor.ToString(), target: user.ToString()), group: new EcsGroup { Name = group.Trim().ToString() });
    }

    private static SecurityEvent? UserEvent(in SyslogRecord record, RawLine line, ParseContext context, string action, string outcome, string type,
        ReadOnlySpan<char> name, ReadOnlySpan<char> id = default, string? reason = null)
    {
        if (name.IsEmpty) return null;
        var user = name.ToString();
        return AuthEvent.Create(record, line, context, action, outcome, EcsLists.Iam, [EcsValues.User, type],
            user: new EcsUser { Name = user, Id = id.IsEmpty ? null : id.ToString(), Target = new EcsUser { Name = user } }, reason: reason);
    }

    private static SecurityEvent? GroupEvent(in SyslogRecord record, RawLine line, ParseContext context, string action, string type,
        ReadOnlySpan<char> name, ReadOnlySpan<char> id)
    {
        if (name.IsEmpty) return null;
        return AuthEvent.Create(record, line, context, action, EcsValues.Success, EcsLists.Iam, [EcsValues.Group, type],
            group: new EcsGroup { Name = name.ToString(), Id = id.IsEmpty ? null : id.ToString() });
    }

    /// <summary>The value of <c>key=</c> in shadow's <c>name=x, UID=1, …</c> lists.</summary>
    private static ReadOnlySpan<char> Field(ReadOnlySpan<char> m, ReadOnlySpan<char> key)
    {
        var start = AuthEvent.ValueStart(m, key, " ,");
        if (start < 0) return default;
        var value = m[start..];
        var stop = value.IndexOf(',');
        return (stop < 0 ? value : value[..stop]).Trim();
    }
}
