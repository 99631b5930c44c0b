using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SourceGenNN.Generator.Diagnostics;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Layers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator;

public sealed partial class NetworkGenerator
{
    /// <summary>The only code that touches symbols: it turns a declaration into plain data and diagnostics.</summary>
    internal static class Parser
    {
        private const string LayerAttributeName = "SourceGenNN.LayerAttribute";

        public static ParseResult Parse(GeneratorAttributeSyntaxContext ctx, CancellationToken ct)
        {
            var diagnostics = new List<DiagnosticInfo>();
            try
            {
                var network = ParseNetwork(ctx, diagnostics, ct);
                return new ParseResult(diagnostics.Count == 0 ? network : null, diagnostics.ToEquatableArray());
            }
            catch (OperationCanceledException)
            {
                throw;
            }
            catch (Exception ex)
            {
                // Never let a malformed declaration crash the compiler: say so instead.
                diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.InternalError.Id, LocationOf(ctx.TargetNode),
                    new[] { ctx.TargetSymbol.Name, ex.GetType().Name + ": " + ex.Message }.ToEquatableArray()));
                return new ParseResult(null, diagnostics.ToEquatableArray());
            }
        }

        private static NetworkInfo? ParseNetwork(GeneratorAttributeSyntaxContext ctx, List<DiagnosticInfo> diagnostics, CancellationToken ct)
        {
            var symbol = (INamedTypeSymbol)ctx.TargetSymbol;
            var networkAttr = ctx.Attributes[0];
            var attrLocation = LocationOf(networkAttr.ApplicationSyntaxReference?.GetSyntax(ct)) ?? LocationOf(ctx.TargetNode);
            void Report(DiagnosticDescriptor d, LocationInfo? at, params string[] args) =>
                diagnostics.Add(new DiagnosticInfo(d.Id, at, args.ToEquatableArray()));

            // The declaration itself.
            if (symbol.TypeKind != TypeKind.Class)
            {
                Report(DiagnosticDescriptors.NotAClass, attrLocation, symbol.TypeKind.ToString().ToLowerInvariant(), symbol.Name);
                return null;
            }
            var decl = (TypeDeclarationSyntax)ctx.TargetNode;
            if (!decl.Modifiers.Any(SyntaxKind.PartialKeyword))
                Report(DiagnosticDescriptors.NotPartial, attrLocation, symbol.Name);
            if (symbol.TypeParameters.Length > 0)
                Report(DiagnosticDescriptors.GenericNetwork, attrLocation, symbol.Name);
            var containers = new List<string>();
            for (var outer = symbol.ContainingType; outer is not null; outer = outer.ContainingType)
            {
                bool partial = outer.DeclaringSyntaxReferences.All(r => r.GetSyntax(ct) is TypeDeclarationSyntax t && t.Modifiers.Any(SyntaxKind.PartialKeyword));
                if (outer.TypeKind != TypeKind.Class || outer.IsRecord)
                    Report(DiagnosticDescriptors.UnsupportedContainingType, attrLocation, symbol.Name, "nested in " + outer.TypeKind.ToString().ToLowerInvariant() + " '" + outer.Name + "'");
                else if (outer.TypeParameters.Length > 0)
                    Report(DiagnosticDescriptors.UnsupportedContainingType, attrLocation, symbol.Name, "nested in generic class '" + outer.Name + "'");
                else if (!partial)
                    Report(DiagnosticDescriptors.UnsupportedContainingType, attrLocation, symbol.Name, "nested in class '" + outer.Name + "', which is not partial");
                containers.Insert(0, outer.Name);
            }

            // The input size.
            int inputSize = 0;
            if (networkAttr.AttributeConstructor is null || networkAttr.ConstructorArguments.Length != 1
                || networkAttr.ConstructorArguments[0].Kind == TypedConstantKind.Error
                || networkAttr.ConstructorArguments[0].Value is not int size || size <= 0)
            {
                string got = networkAttr.ConstructorArguments.Length == 1 && networkAttr.ConstructorArguments[0].Value is int v
                    ? "[Network(" + v + ")] has a non-positive input size"
                    : "[Network] has no input size";
                Report(DiagnosticDescriptors.MissingInputSize, attrLocation, got);
            }
            else
            {
                inputSize = size;
            }

            // The layers, in source order (GetAttributes keeps it).
            var layers = new List<LayerInfo>();
            var names = new Dictionary<string, int>(StringComparer.Ordinal);
            int index = 0, features = inputSize;
            bool layersOk = true;
            long totalParameters = 0;
            foreach (var attr in symbol.GetAttributes())
            {
                ct.ThrowIfCancellationRequested();
                var cls = attr.AttributeClass;
                if (cls is null || !DerivesFrom(cls, LayerAttributeName)) continue;
                var syntax = attr.ApplicationSyntaxReference?.GetSyntax(ct);
                var location = LocationOf(syntax);
                string metadataName = cls.ToDisplayString();
                string shortName = cls.Name.EndsWith("Attribute", StringComparison.Ordinal) ? cls.Name.Substring(0, cls.Name.Length - "Attribute".Length) : cls.Name;
                int layerIndex = index++;
                if (syntax?.Parent?.Parent is TypeDeclarationSyntax owner && owner != ctx.TargetNode)
                {
                    Report(DiagnosticDescriptors.LayersOnAnotherDeclaration, location, shortName, symbol.Name);
                    layersOk = false;
                    continue;
                }
                if (!LayerKinds.IsKnown(metadataName))
                {
                    Report(DiagnosticDescriptors.UnknownLayer, location, shortName);
                    layersOk = false;
                    continue;
                }
                var args = ReadArguments(attr, metadataName, shortName, layerIndex, location);
                if (args is null)
                {
                    Report(DiagnosticDescriptors.InvalidArguments, location, shortName);
                    layersOk = false;
                    continue;
                }
                // Every number becomes a float literal in the generated code: NaN, ±∞ and values beyond float range are errors.
                bool finite = true;
                foreach (var a in args.Arguments)
                {
                    if (a.IsText || !(float.IsNaN((float)a.Number) || float.IsInfinity((float)a.Number))) continue;
                    Report(DiagnosticDescriptors.OptionOutOfRange, location, shortName, a.Name,
                        a.Number.ToString("R", System.Globalization.CultureInfo.InvariantCulture), "a finite number within float range");
                    finite = false;
                }
                if (!finite)
                {
                    layersOk = false;
                    continue;
                }
                string name = args.Text("Name") ?? layerIndex.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (args.Text("Name") is { } given && !IsValidName(given))
                {
                    Report(DiagnosticDescriptors.InvalidName, location, given);
                    layersOk = false;
                }
                else if (names.TryGetValue(name, out int other))
                {
                    Report(DiagnosticDescriptors.DuplicateName, location, name, other.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    layersOk = false;
                }
                else
                {
                    names[name] = layerIndex;
                }
                var layer = LayerKinds.Parse(metadataName, new LayerParseContext(args, layerIndex, name, Math.Max(features, 1), diagnostics));
                if (layer is null)
                {
                    layersOk = false;
                    continue;
                }
                // Sizes are ints at run time: refuse a network whose buffers could not be indexed.
                foreach (var p in layer.Parameters)
                {
                    long length = 1;
                    foreach (int d in p.Shape) length *= d;
                    totalParameters += length;
                }
                if (totalParameters > int.MaxValue || (long)layer.InputSize * layer.OutputSize > int.MaxValue)
                {
                    Report(DiagnosticDescriptors.TooLarge, location, shortName, totalParameters.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    layersOk = false;
                    continue;
                }
                layers.Add(layer);
                features = layer.OutputSize;
            }
            if (index == 0)
                Report(DiagnosticDescriptors.NoLayers, attrLocation, symbol.Name);

            if (!layersOk || diagnostics.Count > 0) return null;
            string ns = symbol.ContainingNamespace.IsGlobalNamespace ? "" : symbol.ContainingNamespace.ToDisplayString();
            string metadataFullName = (ns.Length > 0 ? ns + "." : "") + string.Join("+", containers.Concat(new[] { symbol.MetadataName }));
            return new NetworkInfo(ns, symbol.Name, metadataFullName + ".g.cs", containers.ToEquatableArray(), inputSize, layers.ToEquatableArray());
        }

        private static bool IsValidName(string name) =>
            name.Length > 0 && name.All(ch => char.IsLetterOrDigit(ch) || ch == '_');

        private static bool DerivesFrom(INamedTypeSymbol type, string baseName)
        {
            for (var t = type.BaseType; t is not null; t = t.BaseType)
                if (t.ToDisplayString() == baseName) return true;
            return false;
        }

        /// <summary>Reads constructor arguments by parameter name and named arguments by property name; null if any is broken.</summary>
        private static AttributeArgs? ReadArguments(AttributeData attr, string metadataName, string shortName, int index, LocationInfo? location)
        {
            var list = new List<AttributeArgument>();
            var ctor = attr.AttributeConstructor;
            if (ctor is null || ctor.Parameters.Length != attr.ConstructorArguments.Length) return null;
            for (int i = 0; i < ctor.Parameters.Length; i++)
            {
                var arg = ToArgument(ctor.Parameters[i].Name, attr.ConstructorArguments[i]);
                if (arg is null) return null;
                list.Add(arg);
            }
            foreach (var named in attr.NamedArguments)
            {
                var arg = ToArgument(named.Key, named.Value);
                if (arg is null) return null;
                list.Add(arg);
            }
            return new AttributeArgs(metadataName, shortName, index, list.ToEquatableArray(), location);
        }

        private static AttributeArgument? ToArgument(string name, TypedConstant value)
        {
            if (value.Kind == TypedConstantKind.Error || value.Kind == TypedConstantKind.Array) return null;
            return value.Value switch
            {
                null => value.Type?.SpecialType == SpecialType.System_String ? new AttributeArgument(name, 0, null, IsText: true) : null,
                string s => new AttributeArgument(name, 0, s, IsText: true),
                bool b => new AttributeArgument(name, b ? 1 : 0, null, IsText: false),
                int i => new AttributeArgument(name, i, null, IsText: false),
                double d => new AttributeArgument(name, d, null, IsText: false),
                float f => new AttributeArgument(name, f, null, IsText: false),
                long l => new AttributeArgument(name, l, null, IsText: false),
                _ => null,
            };
        }

        private static LocationInfo? LocationOf(SyntaxNode? node)
        {
            if (node is null) return null;
            var location = node.GetLocation();
            var span = location.GetLineSpan();
            return new LocationInfo(span.Path ?? "", location.SourceSpan.Start, location.SourceSpan.Length,
                span.StartLinePosition.Line, span.StartLinePosition.Character, span.EndLinePosition.Line, span.EndLinePosition.Character);
        }
    }
}
