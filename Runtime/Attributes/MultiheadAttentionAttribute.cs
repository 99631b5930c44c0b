using System;

namespace SourceGenNN;

/// <summary>
/// Multi-head attention, PyTorch's <c>nn.MultiheadAttention(embed_dim, num_heads, dropout, bias, kdim, vdim,
/// batch_first=True)</c>: the queries come from the layer's input [T, E] (E = embed_dim), the keys and values from
/// <see cref="Key"/> [S, kdim] and <see cref="Value"/> [S, vdim] (both the input when unset: self-attention). Each is
/// projected to E features (<c>q = x·W_qᵀ + b_q</c>, ...), split into <c>num_heads</c> heads of E/num_heads features,
/// and each head computes <c>softmax(q·kᵀ/√(E/num_heads))·v</c>; the heads side by side go through <c>out_proj</c>.
/// The output is [T, E].
/// <para>
/// Parameters as PyTorch names them, so a <c>state_dict</c> loads directly: <c>in_proj_weight</c> [3E, E] (W_q, W_k and
/// W_v stacked) when kdim = vdim = E, else <c>q_proj_weight</c> [E, E], <c>k_proj_weight</c> [E, kdim] and
/// <c>v_proj_weight</c> [E, vdim]; <c>in_proj_bias</c> [3E]; <c>out_proj.weight</c> [E, E] and <c>out_proj.bias</c> [E].
/// Initialised as PyTorch does: the projections xavier_uniform_, out_proj.weight as nn.Linear's, the biases zero.
/// </para>
/// <para>
/// Masks: <see cref="IsCausal"/> lets query t see keys 0..t only; <see cref="KeyLengths"/> names a network input of
/// shape [1] holding, per sample, the number of valid key positions (PyTorch's <c>key_padding_mask</c> with the padding
/// at the end). The attention weights of the last forward pass can be read from the generated network
/// (<c>net.AttentionWeights("name")</c>, shape <c>AttentionShape("name")</c>).
/// </para>
/// </summary>
/// <example>
/// <code>
/// [Network(16, 64)]                                // 16 tokens of 64 features
/// [MultiheadAttention(4, Name = "attn")]           // self-attention, 4 heads of 16
/// [Add("input")] [LayerNorm]
/// public partial class Block { }
///
/// [Network(10, 32)]
/// [Input("memory", 12, 48)]                        // a second sequence: 12 positions of 48 features
/// [MultiheadAttention(4, Key = "memory", Value = "memory")]   // cross-attention: kdim = vdim = 48
/// public partial class Cross { }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MultiheadAttentionAttribute : LayerAttribute
{
    /// <summary>Declares multi-head attention with <paramref name="numHeads"/> heads.</summary>
    /// <param name="numHeads">The heads; the input's last dimension (embed_dim) must be divisible by it.</param>
    public MultiheadAttentionAttribute(int numHeads) => NumHeads = numHeads;

    /// <summary>The heads (PyTorch's <c>num_heads</c>).</summary>
    public int NumHeads { get; }

    /// <summary>The tensor the keys come from, [S, kdim]: a network input or an earlier layer (default: the layer's input).</summary>
    public string? Key { get; set; }

    /// <summary>The tensor the values come from, [S, vdim] (default: <see cref="Key"/>).</summary>
    public string? Value { get; set; }

    /// <summary>Whether the projections have biases (<c>in_proj_bias</c>, <c>out_proj.bias</c>; default true).</summary>
    public bool Bias { get; set; } = OptionDefaults.AttentionBias;

    /// <summary>The dropout probability on the attention weights, in training only (default 0).</summary>
    public double Dropout { get; set; } = OptionDefaults.AttentionDropout;

    /// <summary>Whether query t sees only keys 0..t (PyTorch's <c>is_causal</c>; default false). Needs T = S.</summary>
    public bool IsCausal { get; set; } = OptionDefaults.AttentionCausal;

    /// <summary>
    /// A network input of shape [1] that holds, per sample, the number of valid key positions (a whole number in
    /// [0, S]); the keys from there on are padding and get weight 0. Unset: every key is valid.
    /// </summary>
    public string? KeyLengths { get; set; }
}

/// <summary>
/// Scaled dot-product attention on its own, for a block built from Dense layers:
/// <c>softmax(q·kᵀ/√d)·v</c> per head, the queries from the layer's input [T, E], the keys from <see cref="Key"/>
/// [S, E] and the values from <see cref="Value"/> [S, Ev]. With <see cref="NumHeads"/> &gt; 1 each vector is split into
/// that many heads side by side (d = E/heads), as <c>nn.MultiheadAttention</c> splits its projections; the output
/// [T, Ev] holds the heads side by side. No parameters. PyTorch's <c>F.scaled_dot_product_attention</c> takes the
/// heads as a dimension ([N, heads, T, d]); here they share the last one.
/// </summary>
/// <example>
/// <code>
/// [Network(16, 32)]
/// [Dense(32, Name = "q")] [Dense(32, Name = "k", Input = "input")] [Dense(32, Name = "v", Input = "input")]
/// [ScaledDotProductAttention(Input = "q", Key = "k", Value = "v", NumHeads = 2, IsCausal = true)]
/// [Dense(32)]
/// public partial class MyAttention { }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ScaledDotProductAttentionAttribute : LayerAttribute
{
    /// <summary>The tensor of the keys, [S, E] (required).</summary>
    public string? Key { get; set; }

    /// <summary>The tensor of the values, [S, Ev] (default: <see cref="Key"/>).</summary>
    public string? Value { get; set; }

    /// <summary>The heads the last dimension is split into (default 1).</summary>
    public int NumHeads { get; set; } = OptionDefaults.AttentionHeads;

    /// <summary>The dropout probability on the attention weights, in training only (default 0).</summary>
    public double Dropout { get; set; } = OptionDefaults.AttentionDropout;

    /// <summary>Whether query t sees only keys 0..t (default false). Needs T = S.</summary>
    public bool IsCausal { get; set; } = OptionDefaults.AttentionCausal;

    /// <summary>A network input of shape [1] holding each sample's number of valid key positions (see <see cref="MultiheadAttentionAttribute.KeyLengths"/>).</summary>
    public string? KeyLengths { get; set; }
}
