using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using SourceGenNN.Generator.Diagnostics;

namespace SourceGenNN.Generator;

/// <summary>
/// SGNN0025: a type with layer attributes (or <c>[Input]</c>) but no <c>[Network]</c>. The generator only sees types
/// marked <c>[Network]</c>, so without this the layers would be ignored in silence and the user would meet unrelated
/// errors (no <c>Forward</c>, no <c>seed</c> constructor).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LayersWithoutNetworkAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(DiagnosticDescriptors.LayersWithoutNetwork);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var layer = start.Compilation.GetTypeByMetadataName("SourceGenNN.LayerAttribute");
            var network = start.Compilation.GetTypeByMetadataName(NetworkGenerator.NetworkAttributeName);
            var input = start.Compilation.GetTypeByMetadataName("SourceGenNN.InputAttribute");
            if (layer is null || network is null) return; // the runtime is not referenced
            start.RegisterSymbolAction(symbolContext =>
            {
                var type = (INamedTypeSymbol)symbolContext.Symbol;
                var attributes = type.GetAttributes();
                if (attributes.Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, network))) return;
                var first = attributes.FirstOrDefault(a => a.AttributeClass is { } c && (Derives(c, layer) || SymbolEqualityComparer.Default.Equals(c, input)));
                if (first is null) return;
                var where = first.ApplicationSyntaxReference?.GetSyntax(symbolContext.CancellationToken).GetLocation() ?? type.Locations.FirstOrDefault();
                symbolContext.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.LayersWithoutNetwork, where, type.Name));
            }, SymbolKind.NamedType);
        });
    }

    private static bool Derives(INamedTypeSymbol type, INamedTypeSymbol baseType)
    {
        for (var t = type.BaseType; t is not null; t = t.BaseType)
            if (SymbolEqualityComparer.Default.Equals(t, baseType)) return true;
        return false;
    }
}
