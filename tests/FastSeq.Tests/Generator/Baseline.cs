using System.Runtime.CompilerServices;

namespace FastSeq.Tests.Generator;

/// <summary>
/// Checked-in expected outputs in <c>Generator/Baselines</c>, read from the source tree. With the environment
/// variable <c>FASTSEQ_UPDATE_BASELINES=1</c>, <see cref="AssertMatches"/> rewrites the baseline instead of
/// comparing, so a deliberate change to the emitted code is one test run and a reviewed diff.
/// </summary>
internal static class Baseline
{
    public const string UpdateVariable = "FASTSEQ_UPDATE_BASELINES";

    public static bool Updating => Environment.GetEnvironmentVariable(UpdateVariable) == "1";

    /// <summary>The Baselines folder beside this source file (not the build output, so updates land in the repository).</summary>
    public static string Folder => Path.Combine(SourceFolder(), "Baselines");

    private static string SourceFolder([CallerFilePath] string thisFile = "") => Path.GetDirectoryName(thisFile)!;

    /// <summary>Compares <paramref name="actual"/> with the baseline <paramref name="fileName"/>, or rewrites it when updating.</summary>
    public static void AssertMatches(string fileName, string actual)
    {
        string path = Path.Combine(Folder, fileName);
        if (Updating)
        {
            File.WriteAllText(path, actual);
            return;
        }
        if (!File.Exists(path))
            Assert.Fail($"No baseline {path}. Run the tests with {UpdateVariable}=1 to create it, then review and commit it.");

        string expected = File.ReadAllText(path);
        if (expected == actual)
            return;

        string[] expectedLines = expected.Split('\n');
        string[] actualLines = actual.Split('\n');
        int line = 0;
        while (line < expectedLines.Length && line < actualLines.Length && expectedLines[line] == actualLines[line])
            line++;
        Assert.Fail(
            $"The generated {fileName} differs from its baseline at line {line + 1}:\n" +
            $"  baseline:  {(line < expectedLines.Length ? Visible(expectedLines[line]) : "<end of file>")}\n" +
            $"  generated: {(line < actualLines.Length ? Visible(actualLines[line]) : "<end of file>")}\n" +
            $"If the change is intended, run the tests with {UpdateVariable}=1 and review the diff of {path}.");
    }

    /// <summary>Shows a carriage return, which is otherwise invisible in a failure message.</summary>
    private static string Visible(string line) => line.Replace("\r", "\\r", StringComparison.Ordinal);
}
