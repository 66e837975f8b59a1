using System.Text.Json;

namespace BlueTeam.Cli.Output;

/// <summary>
/// JSON on standard output. The default encoder escapes control characters (ESC becomes \u001B)
/// and HTML-sensitive characters, so untrusted strings are inert in the JSON text itself.
/// </summary>
internal static class JsonOutput
{
    public static async Task WriteAsync(Action<Utf8JsonWriter> write, CancellationToken ct)
    {
        await using var stdout = Console.OpenStandardOutput();
        await using (var json = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            write(json);
            await json.FlushAsync(ct).ConfigureAwait(false);
        }
        await stdout.WriteAsync("\n"u8.ToArray(), ct).ConfigureAwait(false);
    }

    /// <summary>A list command's JSON: an array of one object per item.</summary>
    public static Task WriteObjectsAsync<T>(IEnumerable<T> items, Action<Utf8JsonWriter, T> writeFields, CancellationToken ct) =>
        WriteAsync(w => w.WriteObjects(null, items, writeFields), ct);

    /// <summary>An array of one object per item: the property <paramref name="name"/>, or a value where <paramref name="name"/> is null.</summary>
    public static void WriteObjects<T>(this Utf8JsonWriter w, string? name, IEnumerable<T> items, Action<Utf8JsonWriter, T> writeFields)
    {
        if (name is null) w.WriteStartArray();
        else w.WriteStartArray(name);
        foreach (var item in items)
        {
            w.WriteStartObject();
            writeFields(w, item);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    public static void WriteTimestamp(this Utf8JsonWriter w, string name, DateTimeOffset? at)
    {
        if (at is { } value) w.WriteString(name, value.ToUniversalTime());
        else w.WriteNull(name);
    }
}
