using System;
using System.Collections.Generic;
using System.Collections.Immutable;
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
        private const string InputAttributeName = "SourceGenNN.InputAttribute";

        public static ParseOutput Parse(GeneratorAttributeSyntaxContext ctx, CancellationToken ct)
        {
            var diagnostics = new List<DiagnosticInfo>();
            ParseResult result;
            try
            {
                var network = ParseNetwork(ctx, diagnostics, ct);
                // Warnings do not stop generation; errors do.
                bool errors = diagnostics.Exists(d => DiagnosticDescriptors.Get(d.Id).DefaultSeverity == DiagnosticSeverity.Error);
                result = new ParseResult(errors ? null : network, diagnostics.ToEquatableArray());
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
                result = new ParseResult(null, diagnostics.ToEquatableArray());
            }
            if (diagnostics.Count == 0) return new ParseOutput(result, ImmutableArray<Diagnostic>.Empty);
            var compilation = ctx.SemanticModel.Compilation;
            var located = diagnostics.Select(d => Diagnostic.Create(DiagnosticDescriptors.Get(d.Id), ToLocation(d.Location, compilation), d.Arguments.ToArray<object>()));
            return new ParseOutput(result, located.ToImmutableArray());
        }

        private static NetworkInfo? ParseNetwork(GeneratorAttributeSyntaxContext ctx, List<DiagnosticInfo> diagnostics, CancellationToken ct)
        {
            var symbol = (INamedTypeSymbol)ctx.TargetSymbol;
            var networkAttr = ctx.Attributes[0];
            var attrLocation = LocationOf(networkAttr.ApplicationSyntaxReference?.GetSyntax(ct)) ?? LocationOf(ctx.TargetNode);
            void Report(DiagnosticDescriptor d, LocationInfo? at, params string[] args) =>
                diagnostics.Add(new DiagnosticInfo(d.Id, at, args.ToEquatableArray()));

            // The declaration itself.
            if (symbol.TypeKind != TypeKind.Class || symbol.IsRecord || symbol.IsStatic)
            {
                string what = symbol.IsRecord ? "record" : symbol.IsStatic ? "static class" : symbol.TypeKind.ToString().ToLowerInvariant();
                Report(DiagnosticDescriptors.NotAClass, attrLocation, what, symbol.Name);
                return null;
            }
            if (symbol.IsFileLocal)
            {
                Report(DiagnosticDescriptors.FileLocalNetwork, attrLocation, symbol.Name);
                return null;
            }
            var decl = (TypeDeclarationSyntax)ctx.TargetNode;
            if (!decl.Modifiers.Any(SyntaxKind.PartialKeyword))
                Report(DiagnosticDescriptors.NotPartial, attrLocation, symbol.Name);
            foreach (var reference in symbol.DeclaringSyntaxReferences)
                if (reference.GetSyntax(ct) is TypeDeclarationSyntax { ParameterList: not null } primary)
                    Report(DiagnosticDescriptors.PrimaryConstructor, LocationOf(primary.ParameterList) ?? attrLocation, symbol.Name);
            if (symbol.BaseType is { SpecialType: not SpecialType.System_Object } baseType
                && !baseType.InstanceConstructors.Any(c => c.DeclaredAccessibility is not Accessibility.Private && c.Parameters.All(p => p.IsOptional || p.IsParams)))
                Report(DiagnosticDescriptors.BaseWithoutParameterlessConstructor, attrLocation, symbol.Name, baseType.ToDisplayString());
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
                containers.Insert(0, Escape(outer.Name));
            }

            // The input shape: [Network(784)] or [Network(1, 28, 28)].
            var inputs = new List<InputInfo>();
            var tensors = new Dictionary<string, TensorRef>(StringComparer.Ordinal);
            var shape = ReadShape(networkAttr, out string? shapeProblem);
            if (shape is null)
                Report(DiagnosticDescriptors.MissingInputSize, attrLocation, shapeProblem!);
            else
            {
                inputs.Add(new InputInfo(PrimaryInput, shape));
                tensors[PrimaryInput] = new TensorRef(PrimaryInput, -1, shape);
            }

            // The layers and any further inputs, in source order (GetAttributes keeps it).
            var layers = new List<LayerInfo>();
            var names = new Dictionary<string, string>(StringComparer.Ordinal) { [PrimaryInput] = "the network input" };
            var consumers = new Dictionary<string, int>(StringComparer.Ordinal);
            var producedAt = new Dictionary<string, LocationInfo?>(StringComparer.Ordinal);
            int index = 0;
            int composed = 0; // the layers composites declared beyond one each: a layer's index is its attribute's plus these
            TensorRef? previous = shape is null ? null : tensors[PrimaryInput];
            bool layersOk = shape is not null;
            long totalParameters = 0;
            foreach (var attr in symbol.GetAttributes())
            {
                ct.ThrowIfCancellationRequested();
                var cls = attr.AttributeClass;
                if (cls is null) continue;
                bool isInput = cls.ToDisplayString() == InputAttributeName;
                if (!isInput && !DerivesFrom(cls, LayerAttributeName)) continue;
                var syntax = attr.ApplicationSyntaxReference?.GetSyntax(ct);
                var location = LocationOf(syntax);
                string metadataName = cls.ToDisplayString();
                string shortName = cls.Name.EndsWith("Attribute", StringComparison.Ordinal) ? cls.Name.Substring(0, cls.Name.Length - "Attribute".Length) : cls.Name;
                if (syntax?.Parent?.Parent is TypeDeclarationSyntax owner && owner != ctx.TargetNode)
                {
                    Report(DiagnosticDescriptors.LayersOnAnotherDeclaration, location, shortName, symbol.Name);
                    layersOk = false;
                    if (!isInput) index++;
                    continue;
                }
                if (isInput)
                {
                    // A further network input: [Input("memory", 10, 16)].
                    var extra = ReadInput(attr, location, names, diagnostics, out string? inputName);
                    if (extra is null)
                    {
                        layersOk = false;
                        continue;
                    }
                    names[inputName!] = "the network input '" + inputName + "'";
                    var reference = new TensorRef(inputName!, -1 - inputs.Count, extra);
                    inputs.Add(new InputInfo(inputName!, extra));
                    tensors[inputName!] = reference;
                    producedAt[inputName!] = location;
                    continue;
                }
                int ordinal = index++;
                int layerIndex = ordinal + composed;
                if (!LayerKinds.IsKnown(metadataName))
                {
                    Report(DiagnosticDescriptors.UnknownLayer, location, shortName, LayerKinds.KnownNames);
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
                // Every number becomes a literal in the generated code: NaN, ±∞ and values beyond float range are errors.
                bool finite = true;
                foreach (var a in args.Arguments)
                {
                    var numbers = a.Kind == ArgumentKind.Number ? new[] { a.Number } : a.Kind == ArgumentKind.Numbers ? a.Numbers.ToArray() : Array.Empty<double>();
                    foreach (double n in numbers)
                    {
                        if (!(float.IsNaN((float)n) || float.IsInfinity((float)n))) continue;
                        Report(DiagnosticDescriptors.OptionOutOfRange, location, shortName, a.Name,
                            n.ToString("R", System.Globalization.CultureInfo.InvariantCulture), "a finite number within float range");
                        finite = false;
                    }
                }
                if (!finite)
                {
                    layersOk = false;
                    continue;
                }
                // Unnamed layers are named by their attribute's position, as nn.Sequential names its modules.
                string name = args.Text("Name") ?? ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (args.Text("Name") is { } given && !IsValidName(given))
                {
                    Report(DiagnosticDescriptors.InvalidName, location, given);
                    layersOk = false;
                }
                else if (names.TryGetValue(name, out string? other))
                {
                    Report(DiagnosticDescriptors.DuplicateName, location, name, other);
                    layersOk = false;
                }
                else
                {
                    names[name] = "layer " + ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                // The tensor the layer reads: Input = "name", else the previous layer's output.
                TensorRef? input = previous;
                if (args.Text("Input") is { } inputRef)
                {
                    input = tensors.TryGetValue(inputRef, out var found) ? found : null;
                    if (input is null)
                    {
                        Report(DiagnosticDescriptors.UnknownInput, location, shortName, "Input", inputRef, Known(tensors));
                        layersOk = false;
                        continue;
                    }
                }
                if (input is null)
                {
                    layersOk = false; // the network input or an earlier layer is broken; that is reported already
                    continue;
                }
                var context = new LayerParseContext(args, layerIndex, name, input,
                    n => tensors.TryGetValue(n, out var t) ? t : null, () => Known(tensors), diagnostics);
                var parsed = LayerKinds.Parse(metadataName, context);
                if (parsed is null || parsed.Count == 0)
                {
                    layersOk = false;
                    continue;
                }
                // Sizes are ints at run time: refuse a network whose buffers could not be indexed.
                bool fits = true;
                foreach (var layer in parsed)
                {
                    long largest = layer.Output.LongSize;
                    foreach (var p in layer.Parameters)
                    {
                        totalParameters += p.Shape.LongSize;
                        largest = Math.Max(largest, p.Shape.LongSize);
                    }
                    if (fits && (totalParameters > int.MaxValue || largest > int.MaxValue))
                    {
                        Report(DiagnosticDescriptors.TooLarge, location, shortName,
                            Math.Max(totalParameters, largest).ToString(System.Globalization.CultureInfo.InvariantCulture));
                        fits = false;
                    }
                }
                if (!fits)
                {
                    layersOk = false;
                    continue;
                }
                // A composite's parts are layers like any other; its name reads the last part's output.
                foreach (var layer in parsed)
                {
                    foreach (var t in layer.Inputs)
                        consumers[t.Name] = consumers.TryGetValue(t.Name, out int k) ? k + 1 : 1;
                    layers.Add(layer);
                    producedAt[layer.Name] = location;
                }
                var output = parsed[parsed.Count - 1];
                composed += parsed.Count - 1;
                previous = new TensorRef(output.Name, output.Index, output.Output);
                tensors[name] = previous;
            }
            if (index == 0)
                Report(DiagnosticDescriptors.NoLayers, attrLocation, symbol.Name);

            // Every tensor but the output must be read by a later layer: one that is not is a mistake (its backward pass
            // would receive no gradient).
            if (layersOk && layers.Count > 0 && diagnostics.Count == 0)
            {
                foreach (var t in inputs)
                    if (!consumers.ContainsKey(t.Name))
                        Report(DiagnosticDescriptors.UnusedTensor, t.Name == PrimaryInput ? attrLocation : producedAt[t.Name], "the network input '" + t.Name + "'",
                            t.Name == PrimaryInput ? "the first layer reads it unless it names another Input; let one layer read it" : "name it in a layer's Input, or remove the [Input]");
                for (int i = 0; i < layers.Count - 1; i++)
                    if (!consumers.ContainsKey(layers[i].Name))
                        Report(DiagnosticDescriptors.UnusedTensor, producedAt[layers[i].Name],
                            "the output of layer " + layers[i].Index.ToString(System.Globalization.CultureInfo.InvariantCulture) + " ('" + layers[i].Name + "', " + layers[i].Kind + ")",
                            "name it in a later layer's Input, Add or Concat, or remove the layer; only the last layer's output is the network's output");
            }

            // A Softmax over the last dimension before the end: losses fuse only with a final one, and a classifier's
            // probabilities usually come last. A warning, since a mid-network softmax can be meant.
            for (int i = 0; i < layers.Count - 1; i++)
                if (layers[i] is SoftmaxLayer { Inner: 1 })
                    Report(DiagnosticDescriptors.SoftmaxBeforeTheEnd, producedAt[layers[i].Name], layers[i].Name,
                        (layers.Count - 1 - i).ToString(System.Globalization.CultureInfo.InvariantCulture));

            // Names the generated half declares: the class, and the user's own members, must not take them.
            if (layersOk && layers.Count > 0 && !diagnostics.Exists(IsError))
            {
                var reserved = GeneratedMemberNames(inputs, layers);
                if (reserved.Contains(symbol.Name) || IsReservedPattern(symbol.Name))
                    Report(DiagnosticDescriptors.ReservedClassName, attrLocation, symbol.Name);
                // The class's own members, and what it inherits (a generated member would hide those).
                var members = symbol.GetMembers().ToList();
                for (var b = symbol.BaseType; b is not null && b.SpecialType != SpecialType.System_Object; b = b.BaseType)
                    members.AddRange(b.GetMembers().Where(m => m.DeclaredAccessibility != Accessibility.Private && m is not IMethodSymbol { MethodKind: MethodKind.Constructor }));
                foreach (var member in members)
                {
                    if (member.IsImplicitlyDeclared) continue;
                    bool clash = member is IMethodSymbol { MethodKind: MethodKind.Constructor } ctor
                        ? ctor.Parameters.Length == 1 && (ctor.Parameters[0].Type.SpecialType == SpecialType.System_UInt64 ||
                                                          SymbolEqualityComparer.Default.Equals(ctor.Parameters[0].Type, symbol))
                        : reserved.Contains(member.Name) || IsReservedPattern(member.Name);
                    if (!clash) continue;
                    bool inherited = !SymbolEqualityComparer.Default.Equals(member.ContainingType, symbol);
                    var where = inherited ? null : member.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(ct);
                    string what = member is IMethodSymbol { MethodKind: MethodKind.Constructor } c1
                        ? (c1.Parameters[0].Type.SpecialType == SpecialType.System_UInt64 ? "a constructor taking one ulong" : "a constructor taking one '" + symbol.Name + "' (the generated inference clone's)")
                        : inherited ? "'" + member.Name + "' (inherited from '" + member.ContainingType.ToDisplayString() + "')" : "'" + member.Name + "'";
                    Report(DiagnosticDescriptors.MemberClash, LocationOf(where) ?? attrLocation, symbol.Name, what);
                }
            }

            if (!layersOk || diagnostics.Exists(IsError)) return null;
            string ns = symbol.ContainingNamespace.IsGlobalNamespace ? "" : EscapedNamespace(symbol.ContainingNamespace);
            string metadataNs = symbol.ContainingNamespace.IsGlobalNamespace ? "" : symbol.ContainingNamespace.ToDisplayString();
            var metadataContainers = new List<string>();
            for (var outer = symbol.ContainingType; outer is not null; outer = outer.ContainingType) metadataContainers.Insert(0, outer.MetadataName);
            string metadataFullName = (metadataNs.Length > 0 ? metadataNs + "." : "") + string.Join("+", metadataContainers.Concat(new[] { symbol.MetadataName }));
            return new NetworkInfo(ns, Escape(symbol.Name), symbol.Name, metadataFullName, containers.ToEquatableArray(), inputs.ToEquatableArray(), layers.ToEquatableArray(), symbol.IsAbstract);
        }

        /// <summary>The name of the first network input, as layers refer to it.</summary>
        public const string PrimaryInput = "input";

        private static bool IsError(DiagnosticInfo d) => DiagnosticDescriptors.Get(d.Id).DefaultSeverity == DiagnosticSeverity.Error;

        /// <summary>An identifier as C# needs it: a keyword gets an <c>@</c> (a class named <c>@class</c>).</summary>
        internal static string Escape(string name) => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

        /// <summary>A namespace's name with each part escaped (<c>App.@namespace</c>).</summary>
        private static string EscapedNamespace(INamespaceSymbol ns)
        {
            var parts = new List<string>();
            for (var n = ns; n is not null && !n.IsGlobalNamespace; n = n.ContainingNamespace) parts.Insert(0, Escape(n.Name));
            return string.Join(".", parts);
        }

        /// <summary>
        /// The members the generated half of a network declares (its public API and its private fields and views), so
        /// that a class or a user member of the same name is reported instead of failing to compile.
        /// </summary>
        internal static HashSet<string> GeneratedMemberNames(IReadOnlyList<InputInfo> inputs, IReadOnlyList<LayerInfo> layers)
        {
            var names = new HashSet<string>(StringComparer.Ordinal)
            {
                "InputSize", "InputShape", "OutputSize", "OutputShape", "ParameterCount", "BufferCount", "PackedInputSize",
                "Description", "Parameters", "Buffers", "Gradients", "Batch", "RandomStep", "RandomSeed", "Logits",
                "Reserve", "Initialize", "Forward", "Backward", "ZeroGrad", "ClearGradients", "Summary", "View", "s_description",
                "_seed", "_capacity", "_batch", "_training", "_zeroGradPending", "_parameters", "_gradients", "_buffers", "_input",
                "CloneForInference", "ForwardPass", "BackwardPass", "PackedForwardPass", "PackedBackwardPass", "Allocate", "Claim", "Release",
                "_sharesWeights", "_inUse", "LayerOutput",
            };
            if (layers.Any(l => l is Layers.AttentionLayerBase))
            {
                names.Add("AttentionWeights");
                names.Add("AttentionShape");
            }
            foreach (var i in inputs)
            {
                names.Add(i.Pascal + "Size");
                names.Add(i.Pascal + "Shape");
                names.Add("_input" + i.Pascal);
            }
            return names;
        }

        /// <summary>Generated names that follow a pattern: dimension types, per-layer constants, views and buffers.</summary>
        internal static bool IsReservedPattern(string name) =>
            System.Text.RegularExpressions.Regex.IsMatch(name, @"^(D\d+|L\d+[A-Z]\w*|Layer\d+(Size|Shape|AttentionWeights|AttentionShape)|_out\d+|_l\d+\w+|s_l\d+\w+|_grad\d+|_packGrad\d+)$");

        private static string Known(Dictionary<string, TensorRef> tensors) =>
            string.Join(", ", tensors.Keys.Select(k => "'" + k + "'"));

        /// <summary>The shape of [Network(...)], or null with what is wrong.</summary>
        private static Shape? ReadShape(AttributeData attr, out string? problem)
        {
            problem = null;
            if (attr.AttributeConstructor is null || attr.ConstructorArguments.Length != 1 || attr.ConstructorArguments[0].Kind == TypedConstantKind.Error)
            {
                problem = "[Network] has no input shape";
                return null;
            }
            var dims = Ints(attr.ConstructorArguments[0]);
            if (dims is null || dims.Length == 0)
            {
                problem = "[Network] has no input shape";
                return null;
            }
            long size = 1;
            foreach (int d in dims)
            {
                if (d <= 0)
                {
                    problem = "[Network(" + string.Join(", ", dims) + ")] has a non-positive dimension";
                    return null;
                }
                size *= d;
                if (size > int.MaxValue)
                {
                    problem = "[Network(" + string.Join(", ", dims) + ")] has more than 2,147,483,647 elements per sample";
                    return null;
                }
            }
            return Shape.Of(dims);
        }

        /// <summary>An int or an int array (params) as ints; null when it is neither.</summary>
        private static int[]? Ints(TypedConstant value)
        {
            if (value.Kind == TypedConstantKind.Array)
            {
                if (value.IsNull) return null;
                var r = new int[value.Values.Length];
                for (int i = 0; i < r.Length; i++)
                {
                    if (value.Values[i].Value is not int v) return null;
                    r[i] = v;
                }
                return r;
            }
            return value.Value is int one ? new[] { one } : null;
        }

        /// <summary>[Input("memory", 10, 16)]: a further network input's shape, with its name checked; null after a diagnostic.</summary>
        private static Shape? ReadInput(AttributeData attr, LocationInfo? location, Dictionary<string, string> names, List<DiagnosticInfo> diagnostics, out string? name)
        {
            name = null;
            void Report(DiagnosticDescriptor d, params string[] args) => diagnostics.Add(new DiagnosticInfo(d.Id, location, args.ToEquatableArray()));
            if (attr.AttributeConstructor is null || attr.ConstructorArguments.Length != 2 || attr.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Error))
            {
                Report(DiagnosticDescriptors.InvalidArguments, "Input");
                return null;
            }
            name = attr.ConstructorArguments[0].Value as string;
            var dims = Ints(attr.ConstructorArguments[1]);
            if (name is null || !IsIdentifier(name))
            {
                Report(DiagnosticDescriptors.InvalidInputName, name ?? "null");
                return null;
            }
            if (names.TryGetValue(name, out string? other))
            {
                Report(DiagnosticDescriptors.DuplicateName, name, other);
                return null;
            }
            if (dims is null || dims.Length == 0 || dims.Any(d => d <= 0) || dims.Aggregate(1L, (p, d) => p * d) > int.MaxValue)
            {
                Report(DiagnosticDescriptors.MissingInputSize, "[Input(\"" + name + "\"" + (dims is null ? "" : string.Concat(dims.Select(d => ", " + d))) + ")] needs a shape of positive dimensions");
                return null;
            }
            return Shape.Of(dims);
        }

        /// <summary>
        /// A further input's name becomes a parameter (<c>memory</c>) and constants (<c>MemorySize</c>): a C# identifier
        /// that is not a keyword, not "input" and not the stem of another generated member.
        /// </summary>
        private static bool IsIdentifier(string name) =>
            name.Length > 0 && (char.IsLetter(name[0]) || name[0] == '_') && name.All(ch => char.IsLetterOrDigit(ch) || ch == '_')
            && SyntaxFacts.GetKeywordKind(name) == SyntaxKind.None && SyntaxFacts.GetContextualKeywordKind(name) == SyntaxKind.None
            && !ReservedInputNames.Contains(Naming.Pascal(name));

        // Stems of generated members and Forward's parameters: an input named so would collide with them.
        private static readonly HashSet<string> ReservedInputNames = new(StringComparer.Ordinal)
        {
            "Input", "Output", "Parameter", "Batch", "Training", "Buffer", "PackedInput", "FromLogits", "OutputGradient", "InputGradient",
        };

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
            if (value.Kind == TypedConstantKind.Error) return null;
            if (value.Kind == TypedConstantKind.Array)
            {
                // params arrays and array arguments: all numbers or all strings; a null array is not readable.
                if (value.IsNull) return null;
                var numbers = new List<double>();
                var texts = new List<string>();
                foreach (var element in value.Values)
                {
                    switch (element.Value)
                    {
                        case string s: texts.Add(s); break;
                        case int i: numbers.Add(i); break;
                        case double d: numbers.Add(d); break;
                        case float f: numbers.Add(f); break;
                        case long l: numbers.Add(l); break;
                        default: return null;
                    }
                }
                if (numbers.Count > 0 && texts.Count > 0) return null;
                bool ofStrings = texts.Count > 0 || (value.Type is IArrayTypeSymbol { ElementType.SpecialType: SpecialType.System_String });
                return ofStrings ? AttributeArgument.OfTexts(name, texts) : AttributeArgument.OfNumbers(name, numbers);
            }
            return value.Value switch
            {
                // A null string, or a null object (PyTorch's None: [MaxPool2d(2, Stride = null)]), is read as a null text.
                null => value.Type?.SpecialType is SpecialType.System_String or SpecialType.System_Object ? AttributeArgument.OfText(name, null) : null,
                string s => AttributeArgument.OfText(name, s),
                bool b => AttributeArgument.OfNumber(name, b ? 1 : 0),
                int i => AttributeArgument.OfNumber(name, i),
                double d => AttributeArgument.OfNumber(name, d),
                float f => AttributeArgument.OfNumber(name, f),
                long l => AttributeArgument.OfNumber(name, l),
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

/// <summary>
/// What the parse step gives the pipeline: the symbol-free result (compared by value for caching) and the same
/// diagnostics with real source locations for reporting. The located array is shared (the empty one) when there are
/// none, so an edit that changes nothing compares equal.
/// </summary>
internal sealed record ParseOutput(ParseResult Result, ImmutableArray<Diagnostic> Located);
