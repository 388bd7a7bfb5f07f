using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;

namespace FastSeq.IO;

/// <summary>
/// Replaces a file's bytes crash-safely: they go to a temporary file in the target's folder, are flushed to
/// disk, and the temporary file is renamed over the target, so that a reader, or a process killed in the
/// middle, finds the old file or the new one, never a mix. Temporary files that a killed save left behind
/// are deleted by the next save in that folder.
/// </summary>
internal static class AtomicFile
{
    /// <summary>
    /// Temporary files are named <c>.fastseq-{process id}-{random}.tmp</c>: recognisable, naming their writer,
    /// and short enough to sit beside a target of any legal name.
    /// </summary>
    public const string TemporaryPrefix = ".fastseq-";

    public const string TemporarySuffix = ".tmp";

    /// <summary>
    /// A temporary file last written this long ago is stale even while a process of its writer's id runs
    /// (the id may have been reused); one still locked by a live writer is never deleted.
    /// </summary>
    public static readonly TimeSpan StaleAge = TimeSpan.FromHours(1);

    /// <summary>
    /// Writes <paramref name="bytes"/> to <paramref name="path"/> as <see cref="File.WriteAllBytes(string, byte[])"/>
    /// would (through a symbolic link to the file it points to; the same exceptions for a directory, a missing
    /// folder or a file that cannot be written, naming <paramref name="path"/>), but atomically.
    /// </summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        string target = ResolveTarget(path);
        string folder = Path.GetDirectoryName(target)!;
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Could not find a part of the path '{target}'.");
        DeleteStaleTemporaryFiles(folder);

        string temporary = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture,
            $"{TemporaryPrefix}{Environment.ProcessId}-{Random.Shared.Next():x8}{TemporarySuffix}"));
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows() && File.Exists(target))
            options.UnixCreateMode = File.GetUnixFileMode(target);
        bool created = false;
        try
        {
            // FileShare.None locks the file while it is written: cleanup in another process leaves it alone.
            using (var stream = new FileStream(temporary, options))
            {
                created = true;
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, target, overwrite: true);
        }
        catch (Exception e)
        {
            if (created)
                TryDelete(temporary);
            if (e is IOException or UnauthorizedAccessException)
                throw NamingTarget(e, temporary, target);
            throw;
        }
    }

    /// <summary>The full path to write: a symbolic link resolved to its final target; a directory refused as File.WriteAllBytes refuses it.</summary>
    private static string ResolveTarget(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string target = Path.GetFullPath(path);
        if (new FileInfo(target).LinkTarget is not null)
            target = File.ResolveLinkTarget(target, returnFinalTarget: true)!.FullName;
        if (Path.EndsInDirectorySeparator(target) || Directory.Exists(target))
            throw new UnauthorizedAccessException($"Access to the path '{target}' is denied.");

        // An existing file that cannot be opened for writing (read-only, locked) fails here as it would in
        // File.WriteAllBytes, instead of being replaced by the rename. Opening without truncating changes nothing.
        if (File.Exists(target))
        {
            using (new FileStream(target, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
            {
            }
        }

        return target;
    }

    private static void DeleteStaleTemporaryFiles(string folder)
    {
        try
        {
            foreach (string path in Directory.EnumerateFiles(folder, TemporaryPrefix + "*" + TemporarySuffix))
            {
                if (IsStale(path))
                    TryDelete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Cleaning up is a courtesy: a folder that cannot be listed still takes the save.
        }
    }

    /// <summary>
    /// Stale: its writer process is gone (or the file is older than <see cref="StaleAge"/>), and no one holds
    /// it locked. The lock guards writers this process cannot see, such as another container's.
    /// </summary>
    private static bool IsStale(string path)
    {
        string name = Path.GetFileName(path);
        int dash = name.IndexOf('-', TemporaryPrefix.Length);
        if (dash < 0 || !int.TryParse(name.AsSpan(TemporaryPrefix.Length, dash - TemporaryPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int writer))
            return false;

        DateTime written = File.GetLastWriteTimeUtc(path);
        if (DateTime.UtcNow - written < StaleAge && IsRunning(writer, written))
            return false;
        try
        {
            using (new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None))
                return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Whether process <paramref name="id"/> runs and started before <paramref name="written"/> (else the id was reused).</summary>
    private static bool IsRunning(int id, DateTime written)
    {
        if (id == Environment.ProcessId)
            return true;
        try
        {
            using Process process = Process.GetProcessById(id);
            // Start times are rounded to clock ticks: allow a second.
            return process.StartTime.ToUniversalTime() <= written.AddSeconds(1);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;  // no such process, or it has exited
        }
        catch (Exception e) when (e is PlatformNotSupportedException or NotSupportedException or Win32Exception)
        {
            return true;  // cannot tell: leave the file to the age limit and the lock
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next save's cleanup.
        }
    }

    /// <summary>The same kind of exception, naming the target where the original named the temporary file.</summary>
    private static Exception NamingTarget(Exception e, string temporary, string target)
    {
        string message = e.Message.Replace(temporary, target, StringComparison.Ordinal);
        if (!message.Contains(target, StringComparison.Ordinal))
            message = $"Saving '{target}' failed: {message}";
        return e switch
        {
            DirectoryNotFoundException => new DirectoryNotFoundException(message, e),
            FileNotFoundException => new FileNotFoundException(message, target, e),
            PathTooLongException => new PathTooLongException(message, e),
            UnauthorizedAccessException => new UnauthorizedAccessException(message, e),
            _ => new IOException(message, e),
        };
    }
}
