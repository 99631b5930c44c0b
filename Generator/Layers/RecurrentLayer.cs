using System.Collections.Generic;
using System.Globalization;
using SourceGenNN.Generator.Diagnostics;
using SourceGenNN.Generator.Helpers;
using SourceGenNN.Generator.Models;

namespace SourceGenNN.Generator.Layers;

/// <summary>
/// RNN, LSTM and GRU (PyTorch's <c>nn.RNN</c>, <c>nn.LSTM</c>, <c>nn.GRU</c> with <c>batch_first=True</c>) over an input
/// [T, F]: <see cref="NumLayers"/> stacked layers of <see cref="Directions"/> directions each, every direction with
/// PyTorch's four tensors. The output is the last layer's sequence [T, H·directions], its last step, or its final
/// hidden state (<see cref="Returns"/>).
/// </summary>
internal sealed record RecurrentLayer(LayerCore Core, string RecurrentKind, bool Relu, int Hidden, int NumLayers, bool HasBias, double Dropout,
    bool Bidirectional, int Returns) : LayerInfo(Core)
{
    /// <summary><see cref="Returns"/>'s values, as the runtime's <c>RecurrentOutput</c> declares them, and their option text.</summary>
    public const int Sequence = 0, LastStep = 1, FinalHidden = 2;

    private static readonly string[] OutputNames = { "sequence", "last_step", "final_hidden" };

    public override string Kind => RecurrentKind;

    /// <summary>T, the steps of the input sequence.</summary>
    public int Steps => Input.Dims[0];

    /// <summary>PyTorch's <c>input_size</c>: the features of one step.</summary>
    public int InputSize => Input.Dims[1];

    /// <summary>The gate blocks stacked in each weight: 1 (RNN), 4 (LSTM), 3 (GRU).</summary>
    public int GateCount => RecurrentKind switch { LayerKindNames.LSTM => 4, LayerKindNames.GRU => 3, _ => 1 };

    /// <summary>The rows of each weight: gates·hidden.</summary>
    public int GateRows => GateCount * Hidden;

    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>The features of one step of each stacked layer's output: hidden·directions.</summary>
    public int Width => Hidden * Directions;

    /// <summary>The features of one step of stacked layer <paramref name="k"/>'s input.</summary>
    public int LayerInputSize(int k) => k == 0 ? InputSize : Width;

    /// <summary>PyTorch's suffix of stacked layer <paramref name="k"/>, direction <paramref name="d"/>: <c>l0</c>, <c>l1_reverse</c>.</summary>
    public static string Suffix(int k, int d) => "l" + k.ToString(CultureInfo.InvariantCulture) + (d == 1 ? "_reverse" : "");

    /// <summary>Whether stacked layers draw dropout masks between them in training.</summary>
    public bool HasDropout => Dropout > 0 && NumLayers > 1;

    public override EquatableArray<OptionInfo> Options
    {
        get
        {
            var options = new List<OptionInfo>
            {
                OptionInfo.Int("input_size", InputSize, shown: false),
                OptionInfo.Int("hidden_size", Hidden),
                OptionInfo.Int("num_layers", NumLayers, shown: NumLayers != OptionDefaults.RecurrentNumLayers),
                OptionInfo.Bool("bias", HasBias, shown: HasBias != OptionDefaults.RecurrentBias),
                OptionInfo.Double("dropout", Dropout, shown: Dropout != OptionDefaults.RecurrentDropout),
                OptionInfo.Bool("bidirectional", Bidirectional, shown: Bidirectional != OptionDefaults.RecurrentBidirectional),
            };
            if (RecurrentKind == LayerKindNames.RNN) options.Add(OptionInfo.OfText("nonlinearity", Relu ? "relu" : "tanh", shown: Relu));
            options.Add(OptionInfo.OfText("output", OutputNames[Returns], shown: Returns != Sequence));
            return options.ToEquatableArray();
        }
    }

    public override EquatableArray<ParameterInfo> Parameters
    {
        get
        {
            // PyTorch's order (its _flat_weights_names): per layer, per direction, weight_ih, weight_hh, bias_ih, bias_hh.
            // Every tensor starts from U(−1/√hidden, 1/√hidden), as nn.RNNBase.reset_parameters draws them.
            double bound = 1.0 / System.Math.Sqrt(Hidden);
            var list = new List<ParameterInfo>();
            for (int k = 0; k < NumLayers; k++)
                for (int d = 0; d < Directions; d++)
                {
                    string s = Suffix(k, d);
                    int fanIn = LayerInputSize(k);
                    list.Add(new ParameterInfo("weight_ih_" + s, Shape.Of(GateRows, fanIn), new InitInfo("Uniform", -bound, bound, Hidden, GateRows)));
                    list.Add(new ParameterInfo("weight_hh_" + s, Shape.Of(GateRows, Hidden), new InitInfo("Uniform", -bound, bound, Hidden, GateRows)));
                    if (!HasBias) continue;
                    list.Add(new ParameterInfo("bias_ih_" + s, Shape.Of(GateRows), new InitInfo("Uniform", -bound, bound, Hidden, GateRows)));
                    list.Add(new ParameterInfo("bias_hh_" + s, Shape.Of(GateRows), new InitInfo("Uniform", -bound, bound, Hidden, GateRows)));
                }
            return list.ToEquatableArray();
        }
    }

    public static LayerInfo? Parse(LayerParseContext c)
    {
        string kind = c.Args.ShortName;
        var input = c.InputShape;
        var inv = CultureInfo.InvariantCulture;
        double hiddenArg = c.Args.Number("hiddenSize", 0);
        int hidden = (int)hiddenArg;
        if (hidden <= 0)
            c.Report(DiagnosticDescriptors.NonPositiveSize, kind, "hiddenSize", hidden.ToString(inv));
        int layers = (int)c.Args.Number("NumLayers", OptionDefaults.RecurrentNumLayers);
        if (layers <= 0)
            c.Report(DiagnosticDescriptors.RecurrentNumLayers, kind, layers.ToString(inv));
        bool bias = c.Args.Number("Bias", OptionDefaults.RecurrentBias ? 1 : 0) != 0;
        double dropout = c.Args.Number("Dropout", OptionDefaults.RecurrentDropout);
        // As Dropout's p: 1/(1 − p) must be finite in float.
        c.Require(dropout >= 0 && dropout < 1 && (float)dropout < 1f, "Dropout", dropout, "in [0, 1) and below 1 in float, for example Dropout = 0.2");
        bool bidirectional = c.Args.Number("Bidirectional", OptionDefaults.RecurrentBidirectional ? 1 : 0) != 0;
        double output = c.Args.Number("Output", Sequence);
        if (output is not (Sequence or LastStep or FinalHidden))
            c.Require(false, "Output", output, "one of the RecurrentOutput values");
        bool relu = false;
        if (kind == LayerKindNames.RNN)
        {
            double nonlinearity = c.Args.Number("Nonlinearity", 0);
            if (nonlinearity is not (0 or 1))
                c.Require(false, "Nonlinearity", nonlinearity, "one of the RnnNonlinearity values");
            relu = nonlinearity == 1;
        }
        if (input.Rank != 2)
        {
            string what = input.Rank == 1
                ? $"a vector has no time axis: make it steps of features first, for example [Reshape({Example(input.Size)})] before [{kind}]"
                : $"read it as steps of features first, for example [Reshape({input.Dims[0]}, {input.Size / input.Dims[0]})] before [{kind}] (the first dimension as the steps)";
            c.Report(DiagnosticDescriptors.RecurrentNeedsSequence, kind, input.BatchText, what);
        }
        if (c.HasErrors) return null;

        int steps = input.Dims[0];
        long width = (long)hidden * (bidirectional ? 2 : 1);
        long gateRows = (long)hidden * (kind == LayerKindNames.LSTM ? 4 : kind == LayerKindNames.GRU ? 3 : 1);
        // The buffers the layer keeps for every sample ([T, gates·hidden] and [T, hidden·directions]) and its largest
        // weight ([gates·hidden, max(in, hidden·directions)]) are indexed by int.
        long widest = System.Math.Max((long)steps * System.Math.Max(gateRows, width), gateRows * System.Math.Max(input.Dims[1], width));
        if (widest > int.MaxValue)
        {
            c.Report(DiagnosticDescriptors.TooLarge, kind, widest.ToString(inv));
            return null;
        }
        if (dropout > 0 && layers == 1)
            c.Warn(DiagnosticDescriptors.RecurrentDropoutWithOneLayer, kind, dropout.ToString("R", inv));
        var shape = (int)output == Sequence ? Shape.Of(steps, (int)width) : Shape.Of((int)width);
        return new RecurrentLayer(c.Core(shape), kind, relu, hidden, layers, bias, dropout, bidirectional, (int)output);
    }

    /// <summary>A reshape of <paramref name="size"/> features into steps: the most square split (28, 28 for 784).</summary>
    private static string Example(int size)
    {
        int steps = 1;
        for (int d = 1; (long)d * d <= size; d++)
            if (size % d == 0) steps = d;
        return steps.ToString(CultureInfo.InvariantCulture) + ", " + (size / steps).ToString(CultureInfo.InvariantCulture);
    }
}
