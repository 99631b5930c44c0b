using System;

namespace SourceGenNN;

/// <summary>What a recurrent layer (<see cref="RNNAttribute"/>, <see cref="LSTMAttribute"/>, <see cref="GRUAttribute"/>) outputs.</summary>
public enum RecurrentOutput
{
    /// <summary>
    /// The whole sequence of the last layer's hidden states, [T, hidden_size·directions]: PyTorch's <c>output</c> with
    /// <c>batch_first=True</c>, both directions side by side (forward first). Layers after it act per step.
    /// </summary>
    Sequence,

    /// <summary>The last time step of that sequence, [hidden_size·directions]: PyTorch's <c>output[:, -1]</c>.</summary>
    LastStep,

    /// <summary>
    /// The final hidden state of the last layer, [hidden_size·directions]: PyTorch's <c>h_n[-1]</c>, and for a
    /// bidirectional layer <c>torch.cat([h_n[-2], h_n[-1]], 1)</c>: the forward direction after step T − 1 and the
    /// backward direction after step 0. It equals <see cref="LastStep"/> when the layer is unidirectional.
    /// </summary>
    FinalHidden,
}

/// <summary>The nonlinearity of an Elman <see cref="RNNAttribute"/>, PyTorch's <c>nonlinearity</c>.</summary>
public enum RnnNonlinearity
{
    /// <summary><c>'tanh'</c>, the default.</summary>
    Tanh,

    /// <summary><c>'relu'</c>.</summary>
    ReLU,
}

/// <summary>
/// What <see cref="RNNAttribute"/>, <see cref="LSTMAttribute"/> and <see cref="GRUAttribute"/> share: the options of
/// PyTorch's <c>nn.RNN</c>, <c>nn.LSTM</c> and <c>nn.GRU</c> with <c>batch_first=True</c>. The input is a sequence
/// [T, input_size] per sample (the batch excluded); input_size is inferred from it. The initial hidden (and cell) state
/// is zero: it cannot be passed in yet. Parameters have PyTorch's names, shapes and gate order
/// (<c>weight_ih_l{k}</c> [gates·hidden_size, in], <c>weight_hh_l{k}</c> [gates·hidden_size, hidden_size],
/// <c>bias_ih_l{k}</c>, <c>bias_hh_l{k}</c>, with <c>_reverse</c> for the backward direction), all initialised from
/// U(−1/√hidden_size, 1/√hidden_size), so a PyTorch <c>state_dict</c> loads directly.
/// </summary>
public abstract class RecurrentAttribute : LayerAttribute
{
    /// <summary>Declares a recurrent layer with <paramref name="hiddenSize"/> features in its hidden state.</summary>
    /// <param name="hiddenSize">PyTorch's <c>hidden_size</c>; must be positive.</param>
    protected RecurrentAttribute(int hiddenSize) => HiddenSize = hiddenSize;

    /// <summary>The features of the hidden state (PyTorch's <c>hidden_size</c>).</summary>
    public int HiddenSize { get; }

    /// <summary>Stacked layers, each reading the previous one's sequence (PyTorch's <c>num_layers</c>, default 1).</summary>
    public int NumLayers { get; set; } = OptionDefaults.RecurrentNumLayers;

    /// <summary>Whether the layers have <c>bias_ih</c> and <c>bias_hh</c> (default true).</summary>
    public bool Bias { get; set; } = OptionDefaults.RecurrentBias;

    /// <summary>
    /// Dropout on the output of every layer but the last, in training only (PyTorch's <c>dropout</c>, default 0), drawn
    /// from the network's seed as <see cref="DropoutAttribute"/> is.
    /// </summary>
    public double Dropout { get; set; } = OptionDefaults.RecurrentDropout;

    /// <summary>A second direction that reads the sequence from the end, its hidden states beside the forward ones (default false).</summary>
    public bool Bidirectional { get; set; } = OptionDefaults.RecurrentBidirectional;

    /// <summary>What the layer outputs (default: the whole sequence).</summary>
    public RecurrentOutput Output { get; set; }
}

/// <summary>
/// An Elman recurrent layer, PyTorch's <c>nn.RNN</c>: <c>h_t = tanh(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh)</c> (or
/// ReLU), with <c>h_{−1} = 0</c>. See <see cref="RecurrentAttribute"/> for the options.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RNNAttribute : RecurrentAttribute
{
    /// <summary>Declares an Elman RNN with <paramref name="hiddenSize"/> hidden features.</summary>
    /// <param name="hiddenSize">PyTorch's <c>hidden_size</c>; must be positive.</param>
    public RNNAttribute(int hiddenSize) : base(hiddenSize) { }

    /// <summary>The nonlinearity (default tanh).</summary>
    public RnnNonlinearity Nonlinearity { get; set; }
}

/// <summary>
/// A long short-term memory layer, PyTorch's <c>nn.LSTM</c>, gates in PyTorch's order i, f, g, o:
/// <c>i = σ(·), f = σ(·), g = tanh(·), o = σ(·)</c> of <c>x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh</c>;
/// <c>c_t = f⊙c_{t−1} + i⊙g</c>, <c>h_t = o⊙tanh(c_t)</c>, with <c>h_{−1} = c_{−1} = 0</c>. See
/// <see cref="RecurrentAttribute"/> for the options.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LSTMAttribute : RecurrentAttribute
{
    /// <summary>Declares an LSTM with <paramref name="hiddenSize"/> hidden features.</summary>
    /// <param name="hiddenSize">PyTorch's <c>hidden_size</c>; must be positive.</param>
    public LSTMAttribute(int hiddenSize) : base(hiddenSize) { }
}

/// <summary>
/// A gated recurrent unit, PyTorch's <c>nn.GRU</c>, gates in PyTorch's order r, z, n:
/// <c>r = σ(x·W_irᵀ + b_ir + h·W_hrᵀ + b_hr)</c>, <c>z = σ(x·W_izᵀ + b_iz + h·W_hzᵀ + b_hz)</c>,
/// <c>n = tanh(x·W_inᵀ + b_in + r⊙(h·W_hnᵀ + b_hn))</c> (b_hn inside the reset product, as PyTorch),
/// <c>h_t = (1 − z)⊙n + z⊙h_{t−1}</c>, with <c>h_{−1} = 0</c>. See <see cref="RecurrentAttribute"/> for the options.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GRUAttribute : RecurrentAttribute
{
    /// <summary>Declares a GRU with <paramref name="hiddenSize"/> hidden features.</summary>
    /// <param name="hiddenSize">PyTorch's <c>hidden_size</c>; must be positive.</param>
    public GRUAttribute(int hiddenSize) : base(hiddenSize) { }
}
