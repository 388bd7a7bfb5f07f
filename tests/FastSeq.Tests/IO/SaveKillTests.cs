using System.Diagnostics;
using FastSeq.IO;
using Xunit.Abstractions;

namespace FastSeq.Tests.IO;

/// <summary>
/// Kills processes in the middle of saving, again and again: the target always loads intact, and the next save
/// in that folder leaves no temporary file behind. Two processes save to the same file at once, so each save's
/// cleanup runs beside the other's live save, which must never fail for it.
/// </summary>
public sealed class SaveKillTests(ITestOutputHelper output) : IDisposable
{
    private const int Rounds = 30;

    private readonly string folder = Directory.CreateTempSubdirectory("fastseq-kill-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task A_save_killed_at_any_moment_leaves_the_old_or_the_new_file_and_the_next_save_cleans_up()
    {
        string path = Path.Combine(folder, "model.safetensors");
        var parameters = new float[SaveLoop.ParameterCount];
        WeightFile.Save(path, SaveLoop.Entries, parameters);
        var random = new Random(1);
        int leftBehind = 0;
        var clock = Stopwatch.StartNew();

        for (int round = 0; round < Rounds; round++)
        {
            using Process up = StartSaving(path, "+"), down = StartSaving(path, "-");
            Task<string> upErrors = up.StandardError.ReadToEndAsync(), downErrors = down.StandardError.ReadToEndAsync();
            Assert.Equal("ready", await up.StandardOutput.ReadLineAsync());
            Assert.Equal("ready", await down.StandardOutput.ReadLineAsync());
            await Task.Delay(random.Next(40));
            up.Kill();
            await Task.Delay(random.Next(10));
            down.Kill();
            await up.WaitForExitAsync();
            await down.WaitForExitAsync();
            Assert.Equal("", await upErrors);
            Assert.Equal("", await downErrors);

            var loaded = new float[SaveLoop.ParameterCount];
            WeightFile.Load(path, SaveLoop.Entries, loaded);
            Assert.All(loaded, value => Assert.Equal(loaded[0], value));

            leftBehind += TemporaryFiles().Length;
            WeightFile.Save(path, SaveLoop.Entries, parameters);
            Assert.Empty(TemporaryFiles());
            Assert.Equal([path], Directory.GetFiles(folder));
        }

        output.WriteLine($"{2 * Rounds} kills in {clock.Elapsed.TotalSeconds:F1} s; {leftBehind} left a temporary file, each deleted by the next save.");
        // Otherwise the kills all missed the saves, and the test proved nothing.
        Assert.True(leftBehind > 0);
    }

    private string[] TemporaryFiles() => Directory.GetFiles(folder, AtomicFile.TemporaryPrefix + "*");

    /// <summary>Runs this test assembly's <see cref="SaveLoop"/> in a new process.</summary>
    private static Process StartSaving(string path, string sign)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList = { typeof(SaveLoop).Assembly.Location, "save-loop", path, sign },
        };
        return Process.Start(start)!;
    }
}
