using System;
using System.Collections.Generic;
using SourceGenNN.Generator.Emit;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Layers;

/// <summary>
/// The layer kinds the generator knows: the attribute each is declared with, its parser and its emitter, one line per
/// kind. Adding a kind means adding its attribute (Runtime/Attributes), its record and parser (Layers/), its emitter
/// (Emit/), one line here, and its tests (docs/architecture.md).
/// </summary>
internal static class LayerKinds
{
    private static readonly Dictionary<string, Func<LayerParseContext, LayerInfo?>> ParserByAttribute = new();
    private static readonly Dictionary<Type, LayerEmitter> EmitterByRecord = new();
    private static readonly Dictionary<string, Func<LayerParseContext, IReadOnlyList<LayerInfo>?>> ExpanderByAttribute = new();

    static LayerKinds()
    {
        Add<DenseLayer>(LayerKindNames.Dense, DenseLayer.Parse, new DenseEmitter());
        Add<DropoutLayer>(LayerKindNames.Dropout, DropoutLayer.Parse, new DropoutEmitter());
        Add<PReluLayer>(LayerKindNames.PReLU, PReluLayer.Parse, new PReluEmitter());
        Add<SoftmaxLayer>(LayerKindNames.Softmax, SoftmaxLayer.Parse, new SoftmaxEmitter());
        Add<LayerNormLayer>(LayerKindNames.LayerNorm, LayerNormLayer.Parse, new LayerNormEmitter());
        Add<FlattenLayer>(LayerKindNames.Flatten, FlattenLayer.Parse, new ViewEmitter());
        Add<ReshapeLayer>(LayerKindNames.Reshape, ReshapeLayer.Parse, new ViewEmitter());
        Add<AddLayer>(LayerKindNames.Add, AddLayer.Parse, new AddEmitter());
        Add<ConcatLayer>(LayerKindNames.Concat, ConcatLayer.Parse, new ConcatEmitter());
        Add<BatchNormLayer>(LayerKindNames.BatchNorm1d, BatchNormLayer.Parse, new BatchNormEmitter());
        Add<BatchNormLayer>(LayerKindNames.BatchNorm2d, BatchNormLayer.Parse, new BatchNormEmitter());
        var conv = new ConvEmitter();
        foreach (var name in new[] { LayerKindNames.Conv1d, LayerKindNames.Conv2d, LayerKindNames.ConvTranspose1d, LayerKindNames.ConvTranspose2d })
            Add<ConvLayer>(name, ConvLayer.Parse, conv);
        var pool = new PoolEmitter();
        foreach (var name in new[] { LayerKindNames.MaxPool1d, LayerKindNames.MaxPool2d, LayerKindNames.AvgPool1d, LayerKindNames.AvgPool2d })
            Add<PoolLayer>(name, PoolLayer.Parse, pool);
        Add<AdaptivePoolLayer>(LayerKindNames.AdaptiveAvgPool2d, AdaptivePoolLayer.Parse, new AdaptivePoolEmitter());
        Add<Dropout2dLayer>(LayerKindNames.Dropout2d, Dropout2dLayer.Parse, new Dropout2dEmitter());
        var recurrent = new RecurrentEmitter();
        Add<RecurrentLayer>(LayerKindNames.RNN, RecurrentLayer.Parse, recurrent);
        Add<RecurrentLayer>(LayerKindNames.LSTM, RecurrentLayer.Parse, recurrent);
        Add<RecurrentLayer>(LayerKindNames.GRU, RecurrentLayer.Parse, recurrent);
        var attention = new AttentionEmitter();
        Add<MultiheadAttentionLayer>(LayerKindNames.MultiheadAttention, MultiheadAttentionLayer.Parse, attention);
        Add<ScaledDotProductAttentionLayer>(LayerKindNames.ScaledDotProductAttention, ScaledDotProductAttentionLayer.Parse, attention);
        Add<PositionalEmbeddingLayer>(LayerKindNames.PositionalEmbedding, PositionalEmbeddingLayer.Parse, new PositionalEmitter());
        Add<SinusoidalPositionalEncodingLayer>(LayerKindNames.SinusoidalPositionalEncoding, SinusoidalPositionalEncodingLayer.Parse, new PositionalEmitter());
        Add<MeanLayer>(LayerKindNames.Mean, MeanLayer.Parse, new MeanEmitter());
        AddComposite(LayerKindNames.TransformerEncoderLayer, TransformerEncoderLayer.Expand);
        var activation = new ActivationEmitter();
        foreach (var name in new[]
                 {
                     LayerKindNames.Identity, LayerKindNames.Sigmoid, LayerKindNames.Tanh, LayerKindNames.ReLU, LayerKindNames.LeakyReLU,
                     LayerKindNames.ELU, LayerKindNames.RReLU, LayerKindNames.GELU, LayerKindNames.SiLU,
                 })
            Add<ActivationLayer>(name, ActivationLayer.Parse, activation);
    }

    private static void Add<TLayer>(string kind, Func<LayerParseContext, LayerInfo?> parse, LayerEmitter emitter) where TLayer : LayerInfo
    {
        ParserByAttribute["SourceGenNN." + kind + "Attribute"] = parse;
        EmitterByRecord[typeof(TLayer)] = emitter;
    }

    /// <summary>
    /// A composite: one attribute that declares several layers of existing kinds (TransformerEncoderLayer), each given
    /// the next index and a name under the attribute's name.
    /// </summary>
    private static void AddComposite(string kind, Func<LayerParseContext, IReadOnlyList<LayerInfo>?> expand) =>
        ExpanderByAttribute["SourceGenNN." + kind + "Attribute"] = expand;

    public static bool IsKnown(string attributeMetadataName) =>
        ParserByAttribute.ContainsKey(attributeMetadataName) || ExpanderByAttribute.ContainsKey(attributeMetadataName);

    /// <summary>The attribute names users can write, for SGNN0012's message.</summary>
    public static string KnownNames => string.Join(", ", LayerKindNames.All) + ", " + string.Join(", ", LayerKindNames.Composites);

    /// <summary>The layers an attribute declares: one, or a composite's parts; null after a diagnostic.</summary>
    public static IReadOnlyList<LayerInfo>? Parse(string attributeMetadataName, LayerParseContext context)
    {
        if (ExpanderByAttribute.TryGetValue(attributeMetadataName, out var expand)) return expand(context);
        var layer = ParserByAttribute[attributeMetadataName](context);
        return layer is null ? null : new[] { layer };
    }

    public static LayerEmitter EmitterFor(LayerInfo layer) => EmitterByRecord[layer.GetType()];
}
