using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using SourceGenNN.Generator.Diagnostics;
using SourceGenNN.Generator.Emit;
using SourceGenNN.Generator.Helpers;
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
                // A declaration whose name is missing (`partial class { }`, or `class class` read as one) already has
                // the compiler's syntax error; there is no type to generate into.
                predicate: static (node, _) => node is TypeDeclarationSyntax type && !type.Identifier.IsMissing && type.Identifier.ValueText.Length > 0,
                transform: static (ctx, ct) => Parser.Parse(ctx, ct))
            .WithTrackingName(TrackingNames.Parse);

        // Diagnostics carry real source locations (so #pragma suppresses them and code fixes attach): this branch re-runs
        // when they move, and never re-emits code.
        var diagnostics = parsed
            .Select(static (r, _) => r.Located)
            .WithTrackingName(TrackingNames.Diagnostics);

        var networks = parsed
            .Select(static (r, _) => r.Result.Network)
            .Where(static n => n is not null)
            .Select(static (n, _) => n!)
            .WithTrackingName(TrackingNames.Model);

        // Every network's metadata name, so that each can take a hint name no other shares (hint names compare without
        // case: Net and NET must differ). The set changes only when a network is added, removed or renamed.
        var names = networks
            .Select(static (n, _) => n.MetadataName)
            .Collect()
            .Select(static (all, _) => all.ToEquatableArray())
            .WithTrackingName(TrackingNames.Names);

        context.RegisterSourceOutput(diagnostics, static (spc, located) =>
        {
            foreach (var d in located) spc.ReportDiagnostic(d);
        });

        context.RegisterSourceOutput(networks.Combine(names), static (spc, pair) =>
        {
            var net = pair.Left;
            string source;
            try
            {
                source = NetworkEmitter.Emit(net);
                spc.AddSource(HintNames.For(net.MetadataName, pair.Right), SourceText.From(source, System.Text.Encoding.UTF8));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A bug in an emitter must not take the user's build (or any other network's code) down with it.
                spc.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, Location.None, net.ClassName, ex.GetType().Name + ": " + ex.Message));
            }
        });
    }

    /// <summary>
    /// A location in the user's syntax tree (found by path), so that <c>#pragma warning disable</c> and code fixes apply;
    /// an external location only if the tree is gone.
    /// </summary>
    internal static Location ToLocation(LocationInfo? l, Compilation compilation)
    {
        if (l is null) return Location.None;
        var span = new TextSpan(l.Start, l.Length);
        foreach (var tree in compilation.SyntaxTrees)
            if (tree.FilePath == l.FilePath && span.End <= tree.Length)
                return Location.Create(tree, span);
        return Location.Create(l.FilePath, span,
            new LinePositionSpan(new LinePosition(l.StartLine, l.StartColumn), new LinePosition(l.EndLine, l.EndColumn)));
    }
}

/// <summary>Hint names for generated files: valid file-name characters only, and unique in the compilation without case.</summary>
internal static class HintNames
{
    /// <summary>
    /// The hint name of the network <paramref name="metadataName"/> among <paramref name="all"/>: its metadata name with
    /// anything but letters, digits, <c>.</c>, <c>_</c>, <c>-</c> and <c>+</c> replaced by <c>_</c>; when another
    /// network's name gives the same text ignoring case, a hash of the exact name tells them apart.
    /// </summary>
    public static string For(string metadataName, EquatableArray<string> all)
    {
        string stem = Sanitize(metadataName);
        bool clash = false;
        foreach (string other in all)
            if (other != metadataName && string.Equals(Sanitize(other), stem, StringComparison.OrdinalIgnoreCase))
                clash = true;
        if (clash)
            stem += "_" + Fnv1a(metadataName).ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
        return stem + ".g.cs";
    }

    private static string Sanitize(string name)
    {
        var chars = name.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            char c = chars[i];
            bool ok = c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '.' or '_' or '-' or '+';
            if (!ok) chars[i] = '_';
        }
        return new string(chars);
    }

    private static uint Fnv1a(string s)
    {
        uint h = 2166136261;
        foreach (char c in s)
        {
            h ^= c;
            h *= 16777619;
        }
        return h;
    }
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

    /// <summary>The metadata names of every network, for unique hint names.</summary>
    public const string Names = nameof(Names);
}
