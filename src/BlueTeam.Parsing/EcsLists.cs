namespace BlueTeam.Parsing;

/// <summary>
/// The <c>event.category</c> and <c>event.type</c> lists parsers attach, one shared read-only instance of each:
/// a collection expression in the call allocated a new list for every event.
/// </summary>
internal static class EcsLists
{
    public static readonly IReadOnlyList<string> Authentication = [EcsValues.Authentication];
    public static readonly IReadOnlyList<string> AuthenticationSession = [EcsValues.Authentication, EcsValues.Session];
    public static readonly IReadOnlyList<string> ConnectionDenied = [EcsValues.Connection, EcsValues.Denied];
    public static readonly IReadOnlyList<string> ConnectionEnd = [EcsValues.Connection, EcsValues.End];
    public static readonly IReadOnlyList<string> End = [EcsValues.End];
    public static readonly IReadOnlyList<string> Error = [EcsValues.Error];
    public static readonly IReadOnlyList<string> GroupChange = [EcsValues.Group, EcsValues.Change];
    public static readonly IReadOnlyList<string> Host = [EcsValues.Host];
    public static readonly IReadOnlyList<string> Iam = [EcsValues.Iam];
    public static readonly IReadOnlyList<string> Info = [EcsValues.Info];
    public static readonly IReadOnlyList<string> Network = [EcsValues.Network];
    public static readonly IReadOnlyList<string> Process = [EcsValues.Process];
    public static readonly IReadOnlyList<string> Session = [EcsValues.Session];
    public static readonly IReadOnlyList<string> UserChange = [EcsValues.User, EcsValues.Change];
}
