using System.Xml.Linq;

namespace FastSeq.Tests.Readme;

/// <summary>
/// The README's install steps copy docs/nuget.config beside the user's project (CI runs those steps with an empty NuGet
/// cache): the file adds the packages folder and clears no source, and the README quotes it as it is.
/// </summary>
public class ReadmeInstallTests
{
    [Fact]
    public void Docs_nuget_config_adds_the_packages_folder_beside_the_other_sources_as_the_readme_says()
    {
        string root = ReadmeExampleTests.RepositoryRoot();
        string config = Path.Combine(root, "docs", "nuget.config");
        XElement sources = XDocument.Load(config).Root!.Element("packageSources")!;

        // A <clear/> would drop nuget.org, where System.Numerics.Tensors comes from.
        XElement add = Assert.Single(sources.Elements());
        Assert.Equal("add", add.Name.LocalName);
        Assert.Equal("packages", add.Attribute("value")!.Value);
        string readme = File.ReadAllText(Path.Combine(root, "README.md"));
        string addLine = File.ReadAllLines(config).Select(line => line.Trim()).Single(line => line.StartsWith("<add ", StringComparison.Ordinal));
        Assert.Contains($"`{addLine}`", readme, StringComparison.Ordinal);
        Assert.Contains("cp ~/FastSeq/docs/nuget.config .", readme, StringComparison.Ordinal);
    }
}
