using System.Text;

namespace BlueTeam.Alerting.Channels;

/// <summary>
/// Appends each alert as one line of ECS JSON to a file, for a SIEM's file shipper (Filebeat,
/// Vector, Fluent Bit) to pick up.
/// </summary>
/// <remarks>
/// <para>The JSON encoder escapes every control character, so a CR or LF in attacker text can never
/// split a record. The file is created with mode 0600 (incidents name users and addresses); an
/// existing file keeps the mode it has, so an operator can widen it for the shipper's group.</para>
/// <para>The file is opened per alert, append-only: log rotation (rename or copy-truncate) needs no
/// signal. A full disk or a missing directory is transient (fixable on the host); a path that is a
/// directory is permanent.</para>
/// </remarks>
public sealed class FileChannel : IAlertChannel
{
    private readonly string _path;

    public FileChannel(FileChannelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Path);
        _path = options.Path;
    }

    public string Name => ChannelNames.File;

    public async Task<DeliveryResult> SendAsync(AlertRecord alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var line = Encoding.UTF8.GetBytes(Format(alert) + "\n");
        if (Directory.Exists(_path)) return DeliveryResult.Permanent($"file channel: {_path} is a directory");
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.Append,
                Access = FileAccess.Write,
                Share = FileShare.ReadWrite,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            await using var stream = new FileStream(_path, options);
            // One write call per record: with O_APPEND the line lands whole even with another writer.
            await stream.WriteAsync(line, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            return DeliveryResult.Delivered();
        }
        catch (UnauthorizedAccessException e)
        {
            return DeliveryResult.Transient($"file channel: cannot write {_path}: {e.Message}");
        }
        catch (IOException e)
        {
            return DeliveryResult.Transient($"file channel: writing {_path} failed: {e.Message}");
        }
    }

    /// <summary>The line for an alert: the ECS incident plus the alert's id and host, no newline.</summary>
    internal static string Format(AlertRecord alert) => AlertJson.Serialize(alert);
}

/// <summary>The file channel in the <see cref="ChannelRegistry"/>.</summary>
internal sealed class FileChannelType() : CoreChannelType<FileChannelOptions>(ChannelNames.File, a => a.File)
{
    protected override IAlertChannel Create(FileChannelOptions options, ChannelContext context)
    {
        ChannelChecks.ThrowIfInvalid(options, "alerting.file");
        return new FileChannel(options);
    }
}
