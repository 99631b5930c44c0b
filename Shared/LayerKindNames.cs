// Shared source: compiled into the generator (netstandard2.0, internal) and the runtime (public), so that a kind name or
// an option default is written once. SOURCEGENNN_GENERATOR is defined by the generator's project.
#if SOURCEGENNN_GENERATOR
namespace SourceGenNN.Generator;
#else
namespace SourceGenNN;
#endif

/// <summary>
/// The name of every layer kind, as <see cref="LayerDescription.Kind"/> holds it and as the attribute is written
/// (<c>[Dense]</c> is <see cref="Dense"/>). The generator writes these names into every description; the GPU executor
/// and the weight-file fingerprint read them.
/// </summary>
#if SOURCEGENNN_GENERATOR
internal
#else
public
#endif
static class LayerKindNames
{
    /// <summary><c>nn.Linear</c> on the last axis.</summary>
    public const string Dense = "Dense";
    /// <summary><c>nn.Dropout</c>.</summary>
    public const string Dropout = "Dropout";
    /// <summary><c>nn.Identity</c>.</summary>
    public const string Identity = "Identity";
    /// <summary><c>nn.Sigmoid</c>.</summary>
    public const string Sigmoid = "Sigmoid";
    /// <summary><c>nn.Tanh</c>.</summary>
    public const string Tanh = "Tanh";
    /// <summary><c>nn.ReLU</c>.</summary>
    public const string ReLU = "ReLU";
    /// <summary><c>nn.LeakyReLU</c>.</summary>
    public const string LeakyReLU = "LeakyReLU";
    /// <summary><c>nn.PReLU</c>.</summary>
    public const string PReLU = "PReLU";
    /// <summary><c>nn.ELU</c>.</summary>
    public const string ELU = "ELU";
    /// <summary><c>nn.RReLU</c>.</summary>
    public const string RReLU = "RReLU";
    /// <summary><c>nn.Softmax</c>.</summary>
    public const string Softmax = "Softmax";
    /// <summary><c>nn.GELU</c> (exact).</summary>
    public const string GELU = "GELU";
    /// <summary><c>nn.SiLU</c>.</summary>
    public const string SiLU = "SiLU";
    /// <summary><c>nn.LayerNorm</c>.</summary>
    public const string LayerNorm = "LayerNorm";
    /// <summary><c>nn.Flatten</c>.</summary>
    public const string Flatten = "Flatten";
    /// <summary>A view with another per-sample shape (<c>nn.Unflatten</c>, <c>Tensor.view</c>).</summary>
    public const string Reshape = "Reshape";
    /// <summary>The element-wise sum of tensors of one shape (a residual connection).</summary>
    public const string Add = "Add";
    /// <summary><c>torch.cat</c> along one dimension.</summary>
    public const string Concat = "Concat";
    /// <summary><c>nn.BatchNorm1d</c>: [C] or [C, L] samples.</summary>
    public const string BatchNorm1d = "BatchNorm1d";
    /// <summary><c>nn.BatchNorm2d</c>: [C, H, W] samples.</summary>
    public const string BatchNorm2d = "BatchNorm2d";
    /// <summary><c>nn.Conv1d</c>: [C, L] samples.</summary>
    public const string Conv1d = "Conv1d";
    /// <summary><c>nn.Conv2d</c>: [C, H, W] samples.</summary>
    public const string Conv2d = "Conv2d";
    /// <summary><c>nn.ConvTranspose1d</c>: [C, L] samples.</summary>
    public const string ConvTranspose1d = "ConvTranspose1d";
    /// <summary><c>nn.ConvTranspose2d</c>: [C, H, W] samples.</summary>
    public const string ConvTranspose2d = "ConvTranspose2d";
    /// <summary><c>nn.MaxPool1d</c>: [C, L] samples.</summary>
    public const string MaxPool1d = "MaxPool1d";
    /// <summary><c>nn.MaxPool2d</c>: [C, H, W] samples.</summary>
    public const string MaxPool2d = "MaxPool2d";
    /// <summary><c>nn.AvgPool1d</c>: [C, L] samples.</summary>
    public const string AvgPool1d = "AvgPool1d";
    /// <summary><c>nn.AvgPool2d</c>: [C, H, W] samples.</summary>
    public const string AvgPool2d = "AvgPool2d";
    /// <summary><c>nn.AdaptiveAvgPool2d</c>: [C, H, W] samples; output size (1, 1) is global average pooling.</summary>
    public const string AdaptiveAvgPool2d = "AdaptiveAvgPool2d";
    /// <summary><c>nn.Dropout2d</c>: whole channels of [C, H, W] samples.</summary>
    public const string Dropout2d = "Dropout2d";
    /// <summary><c>nn.RNN</c> (Elman, tanh or ReLU) over a sequence [T, F].</summary>
    public const string RNN = "RNN";
    /// <summary><c>nn.LSTM</c> over a sequence [T, F].</summary>
    public const string LSTM = "LSTM";
    /// <summary><c>nn.GRU</c> over a sequence [T, F].</summary>
    public const string GRU = "GRU";
    /// <summary><c>nn.MultiheadAttention(batch_first=True)</c>: self- or cross-attention over [T, E] samples.</summary>
    public const string MultiheadAttention = "MultiheadAttention";
    /// <summary><c>F.scaled_dot_product_attention</c> on its own, over [T, E] samples split into heads.</summary>
    public const string ScaledDotProductAttention = "ScaledDotProductAttention";
    /// <summary>A learned position table added to [T, E] samples (<c>nn.Embedding(T, E)</c> of the positions 0..T−1).</summary>
    public const string PositionalEmbedding = "PositionalEmbedding";
    /// <summary>The fixed sinusoidal position table of "Attention Is All You Need", added to [T, E] samples.</summary>
    public const string SinusoidalPositionalEncoding = "SinusoidalPositionalEncoding";
    /// <summary><c>torch.mean(x, dim)</c>: the mean over one dimension, which is removed.</summary>
    public const string Mean = "Mean";
    /// <summary>
    /// <c>nn.TransformerEncoderLayer(batch_first=True)</c>: not a kind of its own but a composite, declared by one attribute
    /// and expanded into the layers PyTorch's module runs (<see cref="Composites"/>).
    /// </summary>
    public const string TransformerEncoderLayer = "TransformerEncoderLayer";

    /// <summary>Every kind, in the order the documentation lists them.</summary>
    public static readonly string[] All =
    {
        Dense, Dropout, Identity, Sigmoid, Tanh, ReLU, LeakyReLU, PReLU, ELU, RReLU, Softmax, GELU, SiLU,
        LayerNorm, Flatten, Reshape, Add, Concat, BatchNorm1d, BatchNorm2d,
        Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool2d, Dropout2d,
        RNN, LSTM, GRU,
        MultiheadAttention, ScaledDotProductAttention, PositionalEmbedding, SinusoidalPositionalEncoding, Mean,
    };

    /// <summary>
    /// Attributes that declare several layers at once, named as PyTorch's module names its submodules
    /// (<c>enc.self_attn</c>, <c>enc.linear1</c>, ...): a description holds the kinds they expand to, never these.
    /// </summary>
    public static readonly string[] Composites = { TransformerEncoderLayer };
}

/// <summary>
/// The default of every layer option, in one place: the attributes use them as their defaults and the generator applies
/// them to options a declaration leaves out. They are PyTorch's defaults wherever PyTorch has the option.
/// </summary>
#if SOURCEGENNN_GENERATOR
internal
#else
public
#endif
static class OptionDefaults
{
    /// <summary><c>nn.Linear(bias=True)</c>.</summary>
    public const bool DenseBias = true;
    /// <summary><c>nn.LayerNorm(elementwise_affine=True)</c>.</summary>
    public const bool LayerNormAffine = true;
    /// <summary><c>nn.BatchNorm*(eps=1e-5)</c>.</summary>
    public const double BatchNormEps = 1e-5;
    /// <summary><c>nn.BatchNorm*(momentum=0.1)</c>: running = (1 − momentum)·running + momentum·batch statistic.</summary>
    public const double BatchNormMomentum = 0.1;
    /// <summary><c>nn.BatchNorm*(affine=True)</c>.</summary>
    public const bool BatchNormAffine = true;
    /// <summary><c>nn.BatchNorm*(track_running_stats=True)</c>.</summary>
    public const bool BatchNormTrackRunningStats = true;
    /// <summary><c>nn.LeakyReLU(negative_slope=0.01)</c>.</summary>
    public const double LeakyReluSlope = 0.01;
    /// <summary><c>nn.ELU(alpha=1.0)</c>.</summary>
    public const double EluAlpha = 1.0;
    /// <summary><c>nn.RReLU(lower=1/8)</c>.</summary>
    public const double RReluLower = 0.125;
    /// <summary><c>nn.RReLU(upper=1/3)</c>.</summary>
    public const double RReluUpper = 1.0 / 3.0;
    /// <summary><c>nn.Dropout(p=0.5)</c>.</summary>
    public const double DropoutP = 0.5;
    /// <summary><c>nn.PReLU(init=0.25)</c>.</summary>
    public const double PReluInit = 0.25;
    /// <summary><c>nn.LayerNorm(eps=1e-5)</c>.</summary>
    public const double LayerNormEps = 1e-5;
    /// <summary><c>nn.Softmax(dim=-1)</c>: the last dimension.</summary>
    public const int SoftmaxDim = -1;
    /// <summary>Concatenation along the last dimension (<c>torch.cat(dim=-1)</c>).</summary>
    public const int ConcatDim = -1;
    /// <summary><c>nn.Flatten(start_dim=1)</c>: the first dimension after the batch.</summary>
    public const int FlattenStartDim = 1;
    /// <summary><c>nn.Flatten(end_dim=-1)</c>.</summary>
    public const int FlattenEndDim = -1;
    /// <summary><c>nn.Conv*d(stride=1)</c>.</summary>
    public const int ConvStride = 1;
    /// <summary><c>nn.Conv*d(padding=0)</c>, also the pooling layers' default padding.</summary>
    public const int ConvPadding = 0;
    /// <summary><c>nn.Conv*d(dilation=1)</c>, also <c>nn.MaxPool*d</c>'s.</summary>
    public const int ConvDilation = 1;
    /// <summary><c>nn.Conv*d(groups=1)</c>.</summary>
    public const int ConvGroups = 1;
    /// <summary><c>nn.Conv*d(bias=True)</c>.</summary>
    public const bool ConvBias = true;
    /// <summary><c>nn.ConvTranspose*d(output_padding=0)</c>.</summary>
    public const int ConvOutputPadding = 0;
    /// <summary><c>nn.MaxPool*d(ceil_mode=False)</c>, also <c>nn.AvgPool*d</c>'s.</summary>
    public const bool PoolCeilMode = false;
    /// <summary><c>nn.AvgPool*d(count_include_pad=True)</c>.</summary>
    public const bool AvgPoolCountIncludePad = true;
    /// <summary><c>nn.Dropout2d(p=0.5)</c>.</summary>
    public const double Dropout2dP = 0.5;
    /// <summary>Lower bound of <c>Init.Uniform</c> (<c>uniform_(a=0)</c>).</summary>
    public const double InitLow = 0.0;
    /// <summary>Upper bound of <c>Init.Uniform</c> (<c>uniform_(b=1)</c>).</summary>
    public const double InitHigh = 1.0;
    /// <summary>Mean of <c>Init.Normal</c> (<c>normal_(mean=0)</c>).</summary>
    public const double InitMean = 0.0;
    /// <summary>Standard deviation of <c>Init.Normal</c> (<c>normal_(std=1)</c>).</summary>
    public const double InitStd = 1.0;
    /// <summary>The gain of the Xavier initialisers (<c>gain=1</c>).</summary>
    public const double InitGain = 1.0;
    /// <summary><c>nn.LSTM(num_layers=1)</c>, and so for RNN and GRU.</summary>
    public const int RecurrentNumLayers = 1;
    /// <summary><c>nn.LSTM(bias=True)</c>.</summary>
    public const bool RecurrentBias = true;
    /// <summary><c>nn.LSTM(dropout=0)</c>: no dropout between stacked layers.</summary>
    public const double RecurrentDropout = 0.0;
    /// <summary><c>nn.LSTM(bidirectional=False)</c>.</summary>
    public const bool RecurrentBidirectional = false;
    /// <summary><c>nn.MultiheadAttention(bias=True)</c>: in_proj_bias and out_proj.bias.</summary>
    public const bool AttentionBias = true;
    /// <summary><c>nn.MultiheadAttention(dropout=0.0)</c>: dropout on the attention weights.</summary>
    public const double AttentionDropout = 0.0;
    /// <summary>No causal mask (<c>is_causal=False</c>).</summary>
    public const bool AttentionCausal = false;
    /// <summary>One head (<c>F.scaled_dot_product_attention</c> on [T, E] is one head).</summary>
    public const int AttentionHeads = 1;
    /// <summary><c>nn.TransformerEncoderLayer(dim_feedforward=2048)</c>.</summary>
    public const int TransformerDimFeedforward = 2048;
    /// <summary><c>nn.TransformerEncoderLayer(dropout=0.1)</c>.</summary>
    public const double TransformerDropout = 0.1;
    /// <summary><c>nn.TransformerEncoderLayer(layer_norm_eps=1e-5)</c>.</summary>
    public const double TransformerLayerNormEps = 1e-5;
    /// <summary><c>nn.TransformerEncoderLayer(norm_first=False)</c>: post-norm, as in "Attention Is All You Need".</summary>
    public const bool TransformerNormFirst = false;
    /// <summary><c>torch.mean(keepdim=False)</c>.</summary>
    public const bool MeanKeepDim = false;
    /// <summary>The standard deviation of a learned positional embedding's initial values (<c>nn.Embedding</c>'s N(0, 1)).</summary>
    public const double PositionalEmbeddingStd = 1.0;
}
