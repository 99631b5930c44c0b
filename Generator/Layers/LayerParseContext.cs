using System.Collections.Generic;
using System.Globalization;
using Microsoft.CodeAnalysis;
using SourceGenNN.Generator.Diagnostics;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Layers;

/// <summary>What a layer kind's parser gets: its attribute's arguments, its place in the network, and a diagnostic sink.</summary>
internal sealed class LayerParseContext
{
    private readonly List<DiagnosticInfo> _diagnostics;

    public LayerParseContext(AttributeArgs args, int index, string name, int inputSize, List<DiagnosticInfo> diagnostics)
    {
        Args = args;
        Index = index;
        Name = name;
        InputSize = inputSize;
        _diagnostics = diagnostics;
    }

    public AttributeArgs Args { get; }

    public int Index { get; }

    public string Name { get; }

    public int InputSize { get; }

    public bool HasErrors { get; private set; }

    public void Report(DiagnosticDescriptor descriptor, params string[] arguments)
    {
        HasErrors = true;
        _diagnostics.Add(new DiagnosticInfo(descriptor.Id, Args.Location, arguments.ToEquatableArray()));
    }

    /// <summary>Reports SGNN0005 unless <paramref name="ok"/>.</summary>
    public void Require(bool ok, string option, double value, string expected)
    {
        if (!ok)
            Report(DiagnosticDescriptors.OptionOutOfRange, Args.ShortName, option, value.ToString("R", CultureInfo.InvariantCulture), expected);
    }
}
