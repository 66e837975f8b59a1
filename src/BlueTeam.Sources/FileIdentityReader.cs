using System.Security.Cryptography;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace BlueTeam.Sources;

/// <summary>
/// Reads what identifies a file regardless of its name: device and inode (fstat on the open
/// handle, so the answer is about the file actually being read) and a hash of its first line.
/// </summary>
internal static partial class FileIdentityReader
{
    /// <summary>Bytes of the file's start that go into the head hash.</summary>
    public const int HeadBytes = 512;

    public static FileIdentity Read(FileStream stream)
    {
        var (device, inode) = Stat(stream.SafeFileHandle);
        return new FileIdentity(device, inode, HeadHash(stream));
    }

    /// <summary>
    /// Hash of the first line (at most <see cref="HeadBytes"/>), or "" while the file has no
    /// complete first line yet; an empty hash matches any file with the same inode.
    /// </summary>
    public static string HeadHash(FileStream stream)
    {
        Span<byte> head = stackalloc byte[HeadBytes];
        var n = RandomAccess.Read(stream.SafeFileHandle, head, 0);
        var nl = head[..n].IndexOf((byte)'\n');
        if (nl < 0 && n < HeadBytes) return "";
        var len = nl >= 0 ? nl : n;
        return Convert.ToHexStringLower(SHA256.HashData(head[..len])[..8]);
    }

    private static (ulong Device, ulong Inode) Stat(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux()) return (0, 0);
        // struct stat begins with st_dev then st_ino (both 64-bit) on the 64-bit Linux ABIs we
        // run on (x86_64 and aarch64); the rest of the struct is not read.
        Span<byte> buf = stackalloc byte[256];
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            var fd = (int)handle.DangerousGetHandle();
            if (Fstat(fd, ref MemoryMarshal.GetReference(buf)) != 0)
                throw new IOException($"fstat failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
        return (BitConverter.ToUInt64(buf[..8]), BitConverter.ToUInt64(buf[8..16]));
    }

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int Fstat(int fd, ref byte buf);
}
