namespace BlueTeam.Parsing.Web;

/// <summary>
/// The strings an access log repeats on nearly every line (methods, versions, targets, referrers,
/// user agents), shared rather than copied per event. Per thread, so the parser stays free of state.
/// </summary>
internal sealed class AccessLogStrings
{
    [ThreadStatic] private static AccessLogStrings? t_current;

    private readonly BoundedStringCache _targets = new(capacity: 512, maxLength: 256);
    private readonly BoundedStringCache _referrers = new(capacity: 256, maxLength: 512);
    private readonly BoundedStringCache _userAgents = new(capacity: 256, maxLength: 512);

    public static AccessLogStrings ForThisThread => t_current ??= new AccessLogStrings();

    public string Target(ReadOnlySpan<char> target) => _targets.Get(target);
    public string Referrer(ReadOnlySpan<char> referrer) => _referrers.Get(referrer);
    public string UserAgent(ReadOnlySpan<char> agent) => _userAgents.Get(agent);

    public static string Method(ReadOnlySpan<char> method) => method switch
    {
        "GET" => "GET",
        "POST" => "POST",
        "HEAD" => "HEAD",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        "PATCH" => "PATCH",
        "CONNECT" => "CONNECT",
        "PROPFIND" => "PROPFIND",
        _ => method.ToString(),
    };

    /// <summary>What follows "HTTP/".</summary>
    public static string Version(ReadOnlySpan<char> version) => version switch
    {
        "1.1" => "1.1",
        "1.0" => "1.0",
        "2.0" => "2.0",
        "2" => "2",
        "3" => "3",
        _ => version.ToString(),
    };
}
