using System.Text.Json.Serialization;

namespace BlueTeam.Core.Events;

/// <summary>
/// One normalized event, shaped and named as the Elastic Common Schema nests it, so that the
/// JSON written by <see cref="EcsJson"/> drops into any SIEM that speaks ECS.
/// </summary>
/// <remarks>Parsers create these; nothing downstream mutates them.</remarks>
public sealed class SecurityEvent
{
    [JsonPropertyName("@timestamp")] public DateTimeOffset Timestamp { get; init; }
    [JsonPropertyName("event")] public EcsEvent Event { get; init; } = new();
    [JsonPropertyName("source")] public EcsSource? Source { get; init; }
    [JsonPropertyName("user")] public EcsUser? User { get; init; }
    [JsonPropertyName("host")] public EcsHost? Host { get; init; }
    [JsonPropertyName("process")] public EcsProcess? Process { get; init; }
    [JsonPropertyName("group")] public EcsGroup? Group { get; init; }
    [JsonPropertyName("file")] public EcsFile? File { get; init; }
    [JsonPropertyName("http")] public EcsHttp? Http { get; init; }
    [JsonPropertyName("url")] public EcsUrl? Url { get; init; }
    [JsonPropertyName("user_agent")] public EcsUserAgent? UserAgent { get; init; }
    [JsonPropertyName("log")] public EcsLog? Log { get; init; }
    [JsonPropertyName("message")] public string? Message { get; init; }

    /// <summary>Name of the collector (config key) that read the line; empty for ad-hoc scans.</summary>
    /// <remarks>Parsers share one dictionary between the events that carry the same labels: never cast it back to mutate it.</remarks>
    [JsonPropertyName("labels")] public IReadOnlyDictionary<string, string>? Labels { get => _labels; init => _labels = value; }

    private IReadOnlyDictionary<string, string>? _labels;

    /// <summary>This event with other labels (a shallow copy: every other field is shared, and all are immutable).</summary>
    public SecurityEvent WithLabels(IReadOnlyDictionary<string, string>? labels)
    {
        var copy = (SecurityEvent)MemberwiseClone();
        copy._labels = labels;
        return copy;
    }
}

public sealed class EcsEvent
{
    [JsonPropertyName("kind")] public string Kind { get; init; } = "event";
    [JsonPropertyName("category")] public IReadOnlyList<string> Category { get; init; } = [];
    [JsonPropertyName("type")] public IReadOnlyList<string> Type { get; init; } = [];
    /// <summary>What happened, in blueteam's vocabulary (ssh_login, sudo_command, …: the list is BlueTeam.Parsing.EventActions).</summary>
    [JsonPropertyName("action")] public string Action { get; init; } = "";
    /// <summary>success, failure or unknown, as ECS defines it.</summary>
    [JsonPropertyName("outcome")] public string? Outcome { get; init; }
    [JsonPropertyName("dataset")] public string? Dataset { get; init; }
    [JsonPropertyName("reason")] public string? Reason { get; init; }
}

public sealed class EcsSource
{
    [JsonPropertyName("ip")] public string? Ip { get; init; }
    [JsonPropertyName("port")] public int? Port { get; init; }
    [JsonPropertyName("domain")] public string? Domain { get; init; }
}

public sealed class EcsUser
{
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("id")] public string? Id { get; init; }
    [JsonPropertyName("target")] public EcsUser? Target { get; init; }
    [JsonPropertyName("effective")] public EcsUser? Effective { get; init; }
}

public sealed class EcsHost
{
    [JsonPropertyName("hostname")] public string? Hostname { get; init; }
}

public sealed class EcsProcess
{
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("pid")] public int? Pid { get; init; }
    [JsonPropertyName("executable")] public string? Executable { get; init; }
    [JsonPropertyName("command_line")] public string? CommandLine { get; init; }
    [JsonPropertyName("args")] public IReadOnlyList<string>? Args { get; init; }
    [JsonPropertyName("working_directory")] public string? WorkingDirectory { get; init; }
}

public sealed class EcsGroup
{
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("id")] public string? Id { get; init; }
}

public sealed class EcsFile
{
    [JsonPropertyName("path")] public string? Path { get; init; }
}

public sealed class EcsHttp
{
    [JsonPropertyName("request")] public EcsHttpRequest? Request { get; init; }
    [JsonPropertyName("response")] public EcsHttpResponse? Response { get; init; }
    /// <summary>"1.1", "2.0": the protocol version without the "HTTP/" prefix, as ECS writes it.</summary>
    [JsonPropertyName("version")] public string? Version { get; init; }
}

public sealed class EcsHttpRequest
{
    /// <summary>As the client sent it (ECS keeps the case; Elastic's nginx pipeline writes GET, Apache's get).</summary>
    [JsonPropertyName("method")] public string? Method { get; init; }
    [JsonPropertyName("referrer")] public string? Referrer { get; init; }
}

public sealed class EcsHttpResponse
{
    [JsonPropertyName("status_code")] public int? StatusCode { get; init; }
    [JsonPropertyName("body")] public EcsHttpBody? Body { get; init; }
}

public sealed class EcsHttpBody
{
    [JsonPropertyName("bytes")] public long? Bytes { get; init; }
}

public sealed class EcsUrl
{
    [JsonPropertyName("original")] public string? Original { get; init; }
    [JsonPropertyName("path")] public string? Path { get; init; }
    [JsonPropertyName("query")] public string? Query { get; init; }
}

public sealed class EcsUserAgent
{
    [JsonPropertyName("original")] public string? Original { get; init; }
}

public sealed class EcsLog
{
    [JsonPropertyName("file")] public EcsLogFile? File { get; init; }
    [JsonPropertyName("offset")] public long? Offset { get; init; }
}

public sealed class EcsLogFile
{
    [JsonPropertyName("path")] public string? Path { get; init; }
}

/// <summary>The ECS values blueteam writes, kept in one place so parsers and rules agree.</summary>
public static class EcsValues
{
    public const string Success = "success";
    public const string Failure = "failure";
    public const string Unknown = "unknown";
    public const string Authentication = "authentication";
    public const string Session = "session";
    public const string Start = "start";
    public const string Info = "info";
    public const string End = "end";
    public const string Change = "change";
    public const string Creation = "creation";
    public const string Deletion = "deletion";
    public const string Denied = "denied";
    public const string Allowed = "allowed";
    public const string Access = "access";
    public const string Error = "error";
    public const string Iam = "iam";
    public const string Process = "process";
    public const string Host = "host";
    public const string File = "file";
    public const string Web = "web";
    public const string Network = "network";
    public const string Configuration = "configuration";
    public const string User = "user";
    public const string Group = "group";
    public const string Connection = "connection";
}
