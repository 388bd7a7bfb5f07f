using FastSeq.IO;
using FastSeq.Layers;

namespace FastSeq.Tests.IO;

/// <summary>
/// The test assembly's entry point, for a child process that <see cref="SaveKillTests"/> kills:
/// <c>dotnet FastSeq.Tests.dll save-loop PATH SIGN</c> saves a file of 200,000 floats to PATH over and
/// over (printing <c>ready</c> after the first), every float of the k-th save equal to SIGN * k, until it is killed. Test runners never call it.
/// </summary>
internal static class SaveLoop
{
    /// <summary>Dense 399 -> 500: 200,000 floats, a file of about 800 KB.</summary>
    public static readonly StateDictEntry[] Entries = StateDict.Of(LayerCatalog.Dense, "big", 0, 399, 500);

    public const int ParameterCount = 200_000;

    public static int Main(string[] args)
    {
        if (args is not ["save-loop", string path, string sign])
        {
            Console.Error.WriteLine("usage: dotnet FastSeq.Tests.dll save-loop PATH SIGN");
            return 2;
        }

        var parameters = new float[ParameterCount];
        try
        {
            for (int k = 1; ; k++)
            {
                Array.Fill(parameters, sign == "-" ? -k : k);
                WeightFile.Save(path, Entries, parameters);
                // Once the first save has compiled everything, saves follow each other at full speed.
                if (k == 1)
                    Console.WriteLine("ready");
            }
        }
        catch (Exception e)
        {
            Console.Error.WriteLine(e);
            return 3;
        }
    }
}
