using System.Diagnostics;
using FastSeq.IO;
using FastSeq.Layers;

namespace FastSeq.Tests.IO;

/// <summary>Saving to a path: any legal name, through symbolic links, bad targets as File.WriteAllBytes, stale temporary files cleaned.</summary>
public sealed class AtomicSaveTests : IDisposable
{
    private static readonly StateDictEntry[] Entries = StateDict.Of(LayerCatalog.Dense, "head", 0, 3, 2);
    private static readonly float[] Values = [1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f];

    private readonly string folder = Directory.CreateTempSubdirectory("fastseq-save-").FullName;

    public void Dispose()
    {
        if (!OperatingSystem.IsWindows())
        {
            foreach (string directory in Directory.GetDirectories(folder))
                File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Directory.Delete(folder, recursive: true);
    }

    [Theory]
    [InlineData(217)]
    [InlineData(218)]
    [InlineData(240)]
    [InlineData(255)]
    public void Any_legal_file_name_saves(int bytes)
    {
        string path = Path.Combine(folder, new string('w', bytes - ".safetensors".Length) + ".safetensors");

        WeightFile.Save(path, Entries, Values);

        AssertHolds(path, Values);
        Assert.Equal([path], Directory.GetFiles(folder));
    }

    [Fact]
    public void Replacing_a_file_keeps_its_permissions()
    {
        if (OperatingSystem.IsWindows())
            return;
        string path = Path.Combine(folder, "private.safetensors");
        WeightFile.Save(path, Entries, new float[8]);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        WeightFile.Save(path, Entries, Values);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        AssertHolds(path, Values);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Saving_through_a_symbolic_link_writes_the_file_it_points_to(bool relative)
    {
        string target = Path.Combine(folder, "real", "model.safetensors");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        WeightFile.Save(target, Entries, new float[8]);
        string link = Path.Combine(folder, "link.safetensors");
        File.CreateSymbolicLink(link, relative ? Path.Combine("real", "model.safetensors") : target);

        WeightFile.Save(link, Entries, Values);

        Assert.NotNull(new FileInfo(link).LinkTarget);
        AssertHolds(target, Values);
        Assert.Equal([target], Directory.GetFiles(Path.GetDirectoryName(target)!));
    }

    [Fact]
    public void A_link_to_a_file_not_yet_there_creates_it()
    {
        string target = Path.Combine(folder, "new.safetensors");
        string link = Path.Combine(folder, "link.safetensors");
        File.CreateSymbolicLink(link, target);

        WeightFile.Save(link, Entries, Values);

        Assert.NotNull(new FileInfo(link).LinkTarget);
        AssertHolds(target, Values);
    }

    public static TheoryData<string> BadTargets()
    {
        var targets = new TheoryData<string> { "/", "{folder}", "{folder}/", "{folder}/missing/model.safetensors", "{folder}/missing/", "{folder}/file/model.safetensors", "{folder}/read-only/model.safetensors", "{folder}/read-only.safetensors", "" };
        if (OperatingSystem.IsLinux())
            targets.Add("/proc/fastseq.safetensors");
        return targets;
    }

    [Theory]
    [MemberData(nameof(BadTargets))]
    public void A_bad_target_fails_as_File_WriteAllBytes_does_naming_the_target(string target)
    {
        string path = target.Replace("{folder}", folder, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(folder, "file"), "a file, not a folder");
        Directory.CreateDirectory(Path.Combine(folder, "read-only"));
        File.WriteAllText(Path.Combine(folder, "read-only.safetensors"), "old");
        if (OperatingSystem.IsWindows())
        {
            File.SetAttributes(Path.Combine(folder, "read-only.safetensors"), FileAttributes.ReadOnly);
        }
        else
        {
            File.SetUnixFileMode(Path.Combine(folder, "read-only"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
            File.SetUnixFileMode(Path.Combine(folder, "read-only.safetensors"), UnixFileMode.UserRead);
        }
        string[] entries = [.. Directory.GetFileSystemEntries(folder, "*", SearchOption.AllDirectories).Order()];

        // Run as root, File.WriteAllBytes writes where others may not; then the save must succeed too.
        Exception? expected = Record.Exception(() => File.WriteAllBytes(path, [1, 2, 3]));
        Exception? actual = Record.Exception(() => WeightFile.Save(path, Entries, Values));

        Assert.Equal(expected?.GetType(), actual?.GetType());
        if (actual is null)
        {
            AssertHolds(path, Values);
            return;
        }

        if (actual is not ArgumentException)
            Assert.Contains($"'{path}'", actual.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(AtomicFile.TemporaryPrefix, actual.Message, StringComparison.Ordinal);
        Assert.Equal(entries, Directory.GetFileSystemEntries(folder, "*", SearchOption.AllDirectories).Order().ToArray());
    }

    [Fact]
    public void The_next_save_deletes_temporary_files_whose_writer_is_gone_and_no_others()
    {
        string path = Path.Combine(folder, "model.safetensors");
        int gone = ExitedProcessId();
        string stale = Temporary(gone, "0000000a");
        string mine = Temporary(Environment.ProcessId, "0000000b");
        string old = Temporary(Environment.ProcessId, "0000000c");
        File.SetLastWriteTimeUtc(old, DateTime.UtcNow - AtomicFile.StaleAge - TimeSpan.FromMinutes(1));
        string locked = Temporary(gone, "0000000d");
        string notOurs = Path.Combine(folder, AtomicFile.TemporaryPrefix + "notes" + AtomicFile.TemporarySuffix);
        File.WriteAllText(notOurs, "not a temporary file of a save");

        using (new FileStream(locked, FileMode.Open, FileAccess.Read, FileShare.None))
            WeightFile.Save(path, Entries, Values);

        // A live save of this process stays; so does a file someone holds locked (a writer this process cannot see).
        Assert.Equal(new[] { locked, mine, notOurs, path }.Order(StringComparer.Ordinal).ToArray(), Directory.GetFiles(folder).Order(StringComparer.Ordinal).ToArray());
        Assert.False(File.Exists(stale));
        Assert.False(File.Exists(old));
        AssertHolds(path, Values);
    }

    [Fact]
    public void Saves_from_several_threads_to_one_folder_all_succeed()
    {
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            float[] values = [.. Values.Select(v => v * (i % 4))];
            WeightFile.Save(Path.Combine(folder, $"model{i % 4}.safetensors"), Entries, values);
        });

        for (int i = 0; i < 4; i++)
            AssertHolds(Path.Combine(folder, $"model{i}.safetensors"), [.. Values.Select(v => v * i)]);
        Assert.Equal(4, Directory.GetFiles(folder).Length);
    }

    private string Temporary(int processId, string random)
    {
        string path = Path.Combine(folder, $"{AtomicFile.TemporaryPrefix}{processId}-{random}{AtomicFile.TemporarySuffix}");
        File.WriteAllText(path, "half a file");
        return path;
    }

    private static int ExitedProcessId()
    {
        using var process = Process.Start(new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", "--version") { RedirectStandardOutput = true })!;
        process.WaitForExit();
        return process.Id;
    }

    private static void AssertHolds(string path, float[] values)
    {
        var loaded = new float[values.Length];
        WeightFile.Load(path, Entries, loaded);
        Assert.Equal(values, loaded);
    }
}
