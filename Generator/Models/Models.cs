using System;
using SourceGenNN.Generator.Helpers;

namespace SourceGenNN.Generator.Models;

// The model the parser builds and the emitters read. Plain data only: no ISymbol, SyntaxNode, Location or
// Compilation, so that the incremental pipeline can compare two runs by value (a test walks these types to check).

/// <summary>A source location without Roslyn objects: file path, span and line span.</summary>
internal sealed record LocationInfo(string FilePath, int Start, int Length, int StartLine, int StartColumn, int EndLine, int EndColumn);

/// <summary>A diagnostic to report: its descriptor id, where, and its message arguments.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments);

/// <summary>One argument of a layer attribute, constructor or named, by its (parameter or property) name.</summary>
internal sealed record AttributeArgument(string Name, double Number, string? Text, bool IsText);

/// <summary>A layer attribute read off the class: its type's metadata name, its arguments and where it is.</summary>
internal sealed record AttributeArgs(string AttributeName, string ShortName, int Index, EquatableArray<AttributeArgument> Arguments, LocationInfo? Location)
{
    public bool Has(string name)
    {
        foreach (var a in Arguments) if (a.Name == name) return true;
        return false;
    }

    public double Number(string name, double fallback)
    {
        foreach (var a in Arguments) if (a.Name == name && !a.IsText) return a.Number;
        return fallback;
    }

    public string? Text(string name)
    {
        foreach (var a in Arguments) if (a.Name == name && a.IsText) return a.Text;
        return null;
    }
}

/// <summary>One parameter tensor of a layer: suffix (<c>weight</c>), shape, and how it is initialised.</summary>
internal sealed record ParameterInfo(string Suffix, EquatableArray<int> Shape, InitInfo Init)
{
    public int Length
    {
        get
        {
            int n = 1;
            foreach (int d in Shape) n *= d;
            return n;
        }
    }
}

/// <summary>An initialiser, with the fans it needs. Kind names match the runtime's <c>SourceGenNN.Init</c>.</summary>
internal sealed record InitInfo(string Kind, double A, double B, int FanIn, int FanOut);

/// <summary>A network declaration: where to put the class and its layers in forward order.</summary>
internal sealed record NetworkInfo(
    string Namespace,
    string ClassName,
    string HintName,
    EquatableArray<string> ContainingTypes,
    int InputSize,
    EquatableArray<LayerInfo> Layers);

/// <summary>The parser's result for one declaration: the network (null when it has errors) and the diagnostics.</summary>
internal sealed record ParseResult(NetworkInfo? Network, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>
/// A layer of the network. Each kind derives from this with its options; its emitter (Emit/) writes its code.
/// </summary>
internal abstract record LayerInfo(int Index, string Name, int InputSize, int OutputSize) : IEquatable<LayerInfo>
{
    /// <summary>The kind as users write it (<c>Dense</c>, <c>ReLU</c>).</summary>
    public abstract string Kind { get; }

    /// <summary>The options as <c>key=value</c> text, for the summary and the weight-file fingerprint.</summary>
    public virtual string ArgumentsText => "";

    /// <summary>The layer's parameter tensors, in buffer order.</summary>
    public virtual EquatableArray<ParameterInfo> Parameters => EquatableArray<ParameterInfo>.Empty;
}
