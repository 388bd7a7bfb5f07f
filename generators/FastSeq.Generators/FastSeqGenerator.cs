using Microsoft.CodeAnalysis;

namespace FastSeq.Generators;

[Generator(LanguageNames.CSharp)]
public sealed partial class FastSeqGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
    }
}
