using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace BlueTeam.Sources;

/// <summary>
/// Opens a log for reading only if it is a regular file, without ever blocking: opening a FIFO for reading
/// blocks until someone writes to it, so a FIFO (or a socket, or a device) matched by a collector's glob would
/// freeze the collector and, with it, the daemon's shutdown. Anyone who can create a file in a log folder can
/// create a FIFO there, and can swap one in between a check of the path and its open: so the file is opened
/// non-blocking first and its type read from the open descriptor (fstat), never from the path.
/// </summary>
internal static partial class FileKind
{
    private const uint TypeMask = 0xF000;   // S_IFMT
    private const uint Regular = 0x8000;    // S_IFREG
    private const int ReadOnly = 0;         // O_RDONLY
    private const int NonBlocking = 0x800;  // O_NONBLOCK (the same on x86_64 and aarch64)
    private const int CloseOnExec = 0x80000; // O_CLOEXEC (the same on x86_64 and aarch64)
    private const int GetFlags = 3, SetFlags = 4; // F_GETFL, F_SETFL
    private const int NoSuchFile = 2, NoDevice = 6, AccessDenied = 13, NotPermitted = 1, NotADirectory = 20; // errno

    /// <summary>
    /// The file at <paramref name="path"/> open for reading, or null with <paramref name="notRegular"/> saying what
    /// it is instead (a FIFO, a socket, a device, a directory).
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="UnauthorizedAccessException">Not readable by this process.</exception>
    /// <exception cref="IOException">Any other failure to open it.</exception>
    public static FileStream? OpenRegular(string path, out string? notRegular)
    {
        notRegular = null;
        var modeOffset = ModeOffset();
        if (modeOffset < 0)
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

        var fd = Open(path, ReadOnly | NonBlocking | CloseOnExec);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            // A Unix socket cannot be opened at all (ENXIO): say what it is rather than "no device".
            if (errno == NoDevice) { notRegular = "a socket"; return null; }
            throw errno switch
            {
                NoSuchFile or NotADirectory => new FileNotFoundException("file not found", path),
                AccessDenied or NotPermitted => new UnauthorizedAccessException($"permission denied: {path}"),
                _ => new IOException($"open failed (errno {errno})"),
            };
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        Span<byte> buf = stackalloc byte[256];
        if (Fstat(fd, ref MemoryMarshal.GetReference(buf)) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            handle.Dispose();
            throw new IOException($"fstat failed (errno {errno})");
        }
        notRegular = Describe(BitConverter.ToUInt32(buf.Slice(modeOffset, 4)) & TypeMask);
        if (notRegular is not null)
        {
            handle.Dispose();
            return null;
        }
        // A regular file: back to blocking mode, as any descriptor FileStream opens itself.
        if (Fcntl(fd, GetFlags, 0) is var flags and >= 0) Fcntl(fd, SetFlags, flags & ~NonBlocking);
        return new FileStream(handle, FileAccess.Read);
    }

    private static string? Describe(uint type) => type switch
    {
        Regular => null,
        0x1000 => "a FIFO",
        0xC000 => "a socket",
        0x2000 => "a character device",
        0x6000 => "a block device",
        0x4000 => "a directory",
        _ => "not a regular file",
    };

    // st_mode's place in struct stat: after st_dev, st_ino and st_nlink on x86_64, after st_dev and st_ino on aarch64.
    private static int ModeOffset() => !OperatingSystem.IsLinux() ? -1 : RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 24,
        Architecture.Arm64 => 16,
        _ => -1,
    };

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int Fstat(int fd, ref byte buf);
}
