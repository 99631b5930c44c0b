using System;
using System.Collections.Generic;
using SourceGenNN.Generator.Emit;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Layers;

/// <summary>
/// The layer kinds the generator knows: the attribute each is declared with, its parser and its emitter.
/// Adding a kind means adding its attribute (Runtime/Attributes), its record and parser (Layers/), its emitter (Emit/),
/// one line here, and its tests.
/// </summary>
internal static class LayerKinds
{
    private static readonly Dictionary<string, Func<LayerParseContext, LayerInfo?>> ParserByAttribute = new();
    private static readonly Dictionary<Type, LayerEmitter> EmitterByRecord = new();

    static LayerKinds()
    {
        var activation = new ActivationEmitter();
        Add<DenseLayer>("SourceGenNN.DenseAttribute", DenseLayer.Parse, new DenseEmitter());
        Add<DropoutLayer>("SourceGenNN.DropoutAttribute", DropoutLayer.Parse, new DropoutEmitter());
        Add<PReluLayer>("SourceGenNN.PReLUAttribute", PReluLayer.Parse, new PReluEmitter());
        foreach (var name in new[] { "Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "RReLU", "Softmax", "GELU", "SiLU" })
            Add<ActivationLayer>("SourceGenNN." + name + "Attribute", ActivationLayer.Parse, activation);
    }

    private static void Add<TLayer>(string attribute, Func<LayerParseContext, LayerInfo?> parse, LayerEmitter emitter) where TLayer : LayerInfo
    {
        ParserByAttribute[attribute] = parse;
        EmitterByRecord[typeof(TLayer)] = emitter;
    }

    public static bool IsKnown(string attributeMetadataName) => ParserByAttribute.ContainsKey(attributeMetadataName);

    public static LayerInfo? Parse(string attributeMetadataName, LayerParseContext context) =>
        ParserByAttribute[attributeMetadataName](context);

    public static LayerEmitter EmitterFor(LayerInfo layer) => EmitterByRecord[layer.GetType()];
}
