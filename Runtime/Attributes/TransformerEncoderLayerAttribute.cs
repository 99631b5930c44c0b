using System;

namespace SourceGenNN;

/// <summary>The activation of a transformer layer's feed-forward block (PyTorch's <c>activation</c>).</summary>
public enum TransformerActivation
{
    /// <summary><c>"relu"</c>, PyTorch's default.</summary>
    ReLU,
    /// <summary><c>"gelu"</c> (exact).</summary>
    GELU,
}

/// <summary>
/// A transformer encoder layer, PyTorch's <c>nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout,
/// activation, layer_norm_eps, batch_first=True, norm_first)</c>, over [T, d_model] samples. One attribute declares the
/// layers the module runs, named as its submodules, so a PyTorch <c>state_dict</c> loads directly
/// (<c>enc.self_attn.in_proj_weight</c>, <c>enc.linear1.weight</c>, <c>enc.norm1.weight</c>, ...):
/// <code>
/// norm_first = false:  x = norm1(x + dropout1(self_attn(x)));  x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))
/// norm_first = true:   x = x + dropout1(self_attn(norm1(x)));  x = x + dropout2(linear2(dropout(activation(linear1(norm2(x))))))
/// </code>
/// The summary lists them (<c>enc.self_attn</c> MultiheadAttention, <c>enc.dropout1</c>, <c>enc.add1</c> for the
/// residual sum, <c>enc.norm1</c>, <c>enc.linear1</c>, <c>enc.activation</c>, <c>enc.dropout</c>, <c>enc.linear2</c>,
/// <c>enc.dropout2</c>, <c>enc.add2</c>, <c>enc.norm2</c>; the dropouts only when <see cref="Dropout"/> &gt; 0), and
/// other layers read the block's output by its name. The default name is the attribute's index, as in
/// <c>nn.Sequential</c>.
/// </summary>
/// <example>
/// <code>
/// [Network(16, 64)]
/// [TransformerEncoderLayer(64, 4, DimFeedforward = 128, Dropout = 0.1, Name = "enc")]
/// [Mean(1)]
/// [Dense(10)]
/// public partial class TinyTransformer { }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class TransformerEncoderLayerAttribute : LayerAttribute
{
    /// <summary>Declares an encoder layer of <paramref name="dModel"/> features and <paramref name="nhead"/> heads.</summary>
    /// <param name="dModel">The features of each position: the input's last dimension.</param>
    /// <param name="nhead">The attention heads; <paramref name="dModel"/> must be divisible by it.</param>
    public TransformerEncoderLayerAttribute(int dModel, int nhead)
    {
        DModel = dModel;
        NHead = nhead;
    }

    /// <summary>The features of each position (<c>d_model</c>).</summary>
    public int DModel { get; }

    /// <summary>The attention heads (<c>nhead</c>).</summary>
    public int NHead { get; }

    /// <summary>The feed-forward block's hidden width (<c>dim_feedforward</c>; default 2048).</summary>
    public int DimFeedforward { get; set; } = OptionDefaults.TransformerDimFeedforward;

    /// <summary>The dropout probability after the attention, in the feed-forward block and on the attention weights (default 0.1).</summary>
    public double Dropout { get; set; } = OptionDefaults.TransformerDropout;

    /// <summary>The feed-forward activation (default ReLU).</summary>
    public TransformerActivation Activation { get; set; }

    /// <summary>The eps of both layer norms (default 1e-5).</summary>
    public double LayerNormEps { get; set; } = OptionDefaults.TransformerLayerNormEps;

    /// <summary>Normalise before each block instead of after its residual sum (default false).</summary>
    public bool NormFirst { get; set; } = OptionDefaults.TransformerNormFirst;

    /// <summary>A causal mask on the self-attention (PyTorch's <c>is_causal</c>; default false).</summary>
    public bool IsCausal { get; set; } = OptionDefaults.AttentionCausal;

    /// <summary>A network input of shape [1] holding each sample's number of valid positions (<c>src_key_padding_mask</c>).</summary>
    public string? KeyLengths { get; set; }
}
