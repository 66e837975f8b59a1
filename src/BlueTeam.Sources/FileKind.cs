using System.Runtime.InteropServices;

namespace BlueTeam.Sources;

/// <summary>
/// Whether a path is a regular file, asked before opening it: opening a FIFO for reading blocks until
/// someone writes to it, so a FIFO (or a socket, or a device) matched by a collector's glob would
/// freeze the collector and, with it, the daemon's shutdown. Anyone who can create a file in a log
/// folder can create a FIFO there.
/// </summary>
internal static partial class FileKind
{
    private const uint TypeMask = 0xF000;   // S_IFMT
    private const uint Regular = 0x8000;    // S_IFREG

    /// <summary>Null when <paramref name="path"/> is a regular file (or cannot be examined: the open says why); else what it is.</summary>
    public static string? NotRegular(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        // st_mode's place in struct stat: after st_dev, st_ino and st_nlink on x86_64, after st_dev and st_ino on aarch64.
        var modeOffset = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 24,
            Architecture.Arm64 => 16,
            _ => -1,
        };
        if (modeOffset < 0) return null;
        Span<byte> buf = stackalloc byte[256];
        if (Stat(path, ref MemoryMarshal.GetReference(buf)) != 0) return null; // missing or unreadable: the open reports it
        var type = BitConverter.ToUInt32(buf.Slice(modeOffset, 4)) & TypeMask;
        return type switch
        {
            Regular => null,
            0x1000 => "a FIFO",
            0xC000 => "a socket",
            0x2000 => "a character device",
            0x6000 => "a block device",
            0x4000 => "a directory",
            _ => "not a regular file",
        };
    }

    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, ref byte buf);
}
