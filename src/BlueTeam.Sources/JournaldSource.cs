using System.Diagnostics;
using BlueTeam.Core.Diagnostics;

namespace BlueTeam.Sources;

/// <summary>
/// Reads the systemd journal through <c>journalctl -o json --follow</c>, resuming after the cursor
/// of the last entry processed (Debian 12 and other hosts with no auth.log keep their auth
/// messages only there). Each entry is handed on as its JSON line with its cursor; the journal
/// parser reads it. journalctl missing, failing or exiting is reported as a
/// <see cref="RawLineKind.CollectorError"/> and retried at the next poll.
/// </summary>
public sealed class JournaldSource : ISource, IDisposable
{
    /// <summary>The facilities auth.log collects (auth, authpriv) and the kernel (audit loss messages).</summary>
    public static readonly IReadOnlyList<string> DefaultMatches = ["SYSLOG_FACILITY=4", "SYSLOG_FACILITY=10", "+", "_TRANSPORT=kernel"];

    private const int BufferedEntries = 10_000;
    private readonly CollectorOptions _options;
    private readonly ICheckpointStore _checkpoints;
    private readonly ILogger _logger;
    private readonly string _journalctl;
    private readonly string _path;
    private Channel<JournalLine>? _entries;
    private Process? _process;
    private Task? _reader;
    private string? _cursor;
    private bool _loaded;
    private readonly StateChangeLog _errors = new();
    private readonly Queue<string> _stderr = new();

    public JournaldSource(string name, CollectorOptions options, ICheckpointStore checkpoints, ILogger logger, string journalctl = "journalctl")
    {
        Name = name;
        _options = options;
        _checkpoints = checkpoints;
        _logger = logger;
        _journalctl = journalctl;
        _path = options.JournalDirectory is { } dir ? $"journal:{dir}" : "journal";
    }

    public string Name { get; }

    /// <summary>Called when new entries are waiting, so the daemon need not wait for its poll interval.</summary>
    public Action? Wake { get; set; }

    public async Task PollAsync(ChannelWriter<RawLine> writer, CancellationToken cancellationToken)
    {
        if (!_loaded)
        {
            var checkpoint = (await _checkpoints.GetCheckpointsAsync(Name, cancellationToken).ConfigureAwait(false)).FirstOrDefault(c => c.Path == _path);
            _cursor = checkpoint?.Cursor;
            _loaded = true;
        }
        if (_process is null || _process.HasExited)
        {
            if (_process is { HasExited: true } exited) await ReportExitAsync(exited, writer, cancellationToken).ConfigureAwait(false);
            if (!Start()) { await ReportAsync($"cannot run {_journalctl}", writer, cancellationToken).ConfigureAwait(false); return; }
        }
        while (_entries!.Reader.TryRead(out var entry))
        {
            // journalctl writes an entry's fields in no fixed order: a cut entry may have lost its cursor (or kept half of
            // one, which has no closing quote and is not taken). The last whole cursor stays, so after a restart at most
            // the cut entry is read again.
            var cursor = CursorOf(entry.Json);
            if (cursor is not null) _cursor = cursor;
            await writer.WriteAsync(new RawLine
            {
                Collector = Name, Type = Transports.JournaldTransport.LineFormat, Path = _path, Text = entry.Json, Cursor = _cursor, Truncated = entry.Truncated,
            }, cancellationToken).ConfigureAwait(false);
        }
        if (_process is { HasExited: false } && _errors.Succeeded())
            _logger.LogInformation("{Collector}: reading the journal again", Name);
    }

    private bool Start()
    {
        var psi = new ProcessStartInfo(_journalctl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-o", "json", "--no-pager", "--follow", "--all" }) psi.ArgumentList.Add(a);
        if (_options.JournalDirectory is { } dir) { psi.ArgumentList.Add("--directory"); psi.ArgumentList.Add(dir); }
        if (_cursor is not null) { psi.ArgumentList.Add("--after-cursor"); psi.ArgumentList.Add(_cursor); psi.ArgumentList.Add("--no-tail"); }
        else if (_options.StartAt == StartPosition.End) { psi.ArgumentList.Add("--lines"); psi.ArgumentList.Add("0"); }
        else psi.ArgumentList.Add("--no-tail");
        foreach (var m in _options.Matches.Count > 0 ? _options.Matches : DefaultMatches) psi.ArgumentList.Add(m);

        try
        {
            _process = Process.Start(psi);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            _logger.LogWarning("{Collector}: cannot start {Journalctl}: {Message}", Name, _journalctl, e.Message);
            return false;
        }
        if (_process is null) return false;
        _entries = Channel.CreateBounded<JournalLine>(new BoundedChannelOptions(BufferedEntries) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr) { _stderr.Enqueue(e.Data); while (_stderr.Count > 5) _stderr.Dequeue(); }
        };
        _process.BeginErrorReadLine();
        _reader = ReadAsync(_process, _entries.Writer);
        return true;
    }

    /// <summary>
    /// Copies journalctl's output into the bounded buffer. When the buffer is full it waits, the
    /// pipe fills and journalctl waits too: back-pressure, nothing dropped.
    /// </summary>
    private async Task ReadAsync(Process process, ChannelWriter<JournalLine> entries)
    {
        try
        {
            await foreach (var (line, truncated) in CappedLines.ReadAsync(process.StandardOutput, _options.MaxLineBytes).ConfigureAwait(false))
            {
                if (line.Length == 0) continue;
                await entries.WriteAsync(new JournalLine(line, truncated)).ConfigureAwait(false);
                Wake?.Invoke();
            }
        }
        catch (IOException e)
        {
            _logger.LogWarning("{Collector}: reading journalctl's output failed: {Message}", Name, e.Message);
        }
        finally
        {
            entries.TryComplete();
            Wake?.Invoke();
        }
    }

    private async Task ReportExitAsync(Process process, ChannelWriter<RawLine> writer, CancellationToken ct)
    {
        string detail;
        lock (_stderr) detail = string.Join(" | ", _stderr);
        await ReportAsync($"journalctl exited with code {process.ExitCode}" + (detail.Length > 0 ? $": {detail}" : ""), writer, ct).ConfigureAwait(false);
        process.Dispose();
        _process = null;
    }

    private async Task ReportAsync(string reason, ChannelWriter<RawLine> writer, CancellationToken ct)
    {
        if (!_errors.Failed(reason)) return;
        _logger.LogWarning("{Collector}: cannot read the journal: {Reason}", Name, reason);
        await writer.WriteAsync(new RawLine { Collector = Name, Type = Transports.JournaldTransport.LineFormat, Path = _path, Kind = RawLineKind.CollectorError, Text = reason }, ct).ConfigureAwait(false);
    }

    /// <summary>The value of "__CURSOR" in an entry, found without parsing the whole object.</summary>
    internal static string? CursorOf(string json)
    {
        const string key = "\"__CURSOR\":\"";
        var i = json.IndexOf(key, StringComparison.Ordinal);
        if (i < 0) return null;
        var start = i + key.Length;
        var end = json.IndexOf('"', start);
        return end > start ? json[start..end] : null;
    }

    public void Dispose()
    {
        if (_process is { HasExited: false }) _process.Kill();
        _reader?.Wait(TimeSpan.FromSeconds(2));
        _process?.Dispose();
    }
}

/// <summary>One entry of journalctl's output, and whether it was cut at the collector's <c>max_line_bytes</c>.</summary>
internal readonly record struct JournalLine(string Json, bool Truncated);
