using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using SourceGenNN.Generator.Diagnostics;
using SourceGenNN.Generator.Emit;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator;

/// <summary>
/// The pipeline: find classes marked [Network], parse each into a symbol-free model, report its diagnostics on one
/// branch and emit its code on the other, so that an edit that only moves an error never re-emits code.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class NetworkGenerator : IIncrementalGenerator
{
    /// <summary>The metadata name of the attribute that marks a network.</summary>
    public const string NetworkAttributeName = "SourceGenNN.NetworkAttribute";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                NetworkAttributeName,
                predicate: static (node, _) => node is TypeDeclarationSyntax,
                transform: static (ctx, ct) => Parser.Parse(ctx, ct))
            .WithTrackingName(TrackingNames.Parse);

        var diagnostics = parsed
            .Select(static (r, _) => r.Diagnostics)
            .WithTrackingName(TrackingNames.Diagnostics);

        var networks = parsed
            .Select(static (r, _) => r.Network)
            .Where(static n => n is not null)
            .Select(static (n, _) => n!)
            .WithTrackingName(TrackingNames.Model);

        context.RegisterSourceOutput(diagnostics, static (spc, diags) =>
        {
            foreach (var d in diags)
                spc.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.Get(d.Id), ToLocation(d.Location), d.Arguments.ToArray<object>()));
        });

        context.RegisterSourceOutput(networks, static (spc, net) =>
        {
            string source;
            try
            {
                source = NetworkEmitter.Emit(net);
            }
            catch (Exception ex)
            {
                // A bug in an emitter must not take the user's build down with an exception trace.
                spc.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, Location.None, net.ClassName, ex.GetType().Name + ": " + ex.Message));
                return;
            }
            spc.AddSource(net.HintName, SourceText.From(source, System.Text.Encoding.UTF8));
        });
    }

    private static Location ToLocation(LocationInfo? l) => l is null
        ? Location.None
        : Location.Create(l.FilePath, new TextSpan(l.Start, l.Length),
            new LinePositionSpan(new LinePosition(l.StartLine, l.StartColumn), new LinePosition(l.EndLine, l.EndColumn)));
}

/// <summary>Names of the tracked pipeline steps, for incrementality tests.</summary>
public static class TrackingNames
{
    /// <summary>Parsing a declaration into a model and diagnostics.</summary>
    public const string Parse = nameof(Parse);

    /// <summary>The diagnostics branch.</summary>
    public const string Diagnostics = nameof(Diagnostics);

    /// <summary>The model branch, diagnostics removed.</summary>
    public const string Model = nameof(Model);
}
