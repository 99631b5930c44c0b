using System;
using System.Collections.Generic;
using System.Globalization;
using Microsoft.CodeAnalysis;
using SourceGenNN.Generator.Diagnostics;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Layers;

/// <summary>
/// What a layer kind's parser gets: its attribute's arguments, its place in the network, the tensor it reads (resolved
/// from <c>Input</c>, or the previous layer), a way to resolve the other tensors it names, and a diagnostic sink.
/// </summary>
internal sealed class LayerParseContext
{
    private readonly List<DiagnosticInfo> _diagnostics;
    private readonly Func<string, TensorRef?> _resolve;
    private readonly Func<string> _known;

    public LayerParseContext(AttributeArgs args, int index, string name, TensorRef input, Func<string, TensorRef?> resolve, Func<string> known, List<DiagnosticInfo> diagnostics)
    {
        Args = args;
        Index = index;
        Name = name;
        Input = input;
        _resolve = resolve;
        _known = known;
        _diagnostics = diagnostics;
    }

    public AttributeArgs Args { get; }

    public int Index { get; }

    public string Name { get; }

    /// <summary>The tensor the layer reads: the one named by <c>Input</c>, else the previous layer's output.</summary>
    public TensorRef Input { get; }

    /// <summary>The shape of one sample of <see cref="Input"/>.</summary>
    public Shape InputShape => Input.Shape;

    public bool HasErrors { get; private set; }

    /// <summary>The layer's common part, for a layer that reads only <see cref="Input"/>.</summary>
    public LayerCore Core(Shape output) => new(Index, Name, new[] { Input }.ToEquatableArray(), output);

    /// <summary>The layer's common part, for a layer that reads several tensors (the main input first).</summary>
    public LayerCore Core(IEnumerable<TensorRef> inputs, Shape output) => new(Index, Name, inputs.ToEquatableArray(), output);

    /// <summary>
    /// Resolves a tensor an option names (a network input or an earlier layer), or reports SGNN0017 naming the tensors
    /// that can be read here.
    /// </summary>
    public TensorRef? Resolve(string option, string name)
    {
        var t = _resolve(name);
        if (t is null)
            Report(DiagnosticDescriptors.UnknownInput, Args.ShortName, option, name, _known());
        return t;
    }

    public void Report(DiagnosticDescriptor descriptor, params string[] arguments)
    {
        HasErrors = true;
        _diagnostics.Add(new DiagnosticInfo(descriptor.Id, Args.Location, arguments.ToEquatableArray()));
    }

    /// <summary>Reports a warning: the layer is still generated.</summary>
    public void Warn(DiagnosticDescriptor descriptor, params string[] arguments) =>
        _diagnostics.Add(new DiagnosticInfo(descriptor.Id, Args.Location, arguments.ToEquatableArray()));

    /// <summary>Reports SGNN0005 unless <paramref name="ok"/>.</summary>
    public void Require(bool ok, string option, double value, string expected)
    {
        if (!ok)
            Report(DiagnosticDescriptors.OptionOutOfRange, Args.ShortName, option, value.ToString("R", CultureInfo.InvariantCulture), expected);
    }

    /// <summary>
    /// Reports SGNN0016: the layer cannot apply to the shapes it reads. <paramref name="why"/> says what does not fit,
    /// with the numbers, and what to write instead.
    /// </summary>
    public void ShapeError(string why) => Report(DiagnosticDescriptors.InvalidShape, Args.ShortName, why);

    /// <summary>
    /// Resolves a PyTorch dimension (the batch is dimension 0; negative counts from the end) to an axis of one sample
    /// (0-based, batch excluded), or reports SGNN0005 and returns -1.
    /// </summary>
    public int SampleAxis(string option, int dim, Shape shape)
    {
        int rank = shape.Rank;
        int axis = dim < 0 ? rank + dim : dim - 1;
        if (dim == 0 || axis < 0 || axis >= rank)
        {
            string range = rank == 1 ? "1 or -1" : $"in [1, {rank}] or [-{rank}, -1]";
            Require(false, option, dim,
                $"{range}: PyTorch's dims with the batch as dim 0 (which cannot be chosen), for an input of shape {shape.BatchText}");
            return -1;
        }
        return axis;
    }
}
