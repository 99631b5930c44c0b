using SourceGenNN;

namespace SourceGenNN.Tests.Networks;

// Attention networks declared as a user would. Sizes are small so that finite differences over every parameter and
// input stay fast; head sizes (4, 3) and lengths (5, 6) are not multiples of any vector width, to exercise the tails.

/// <summary>Self-attention (one in_proj product), a residual, LayerNorm, mean pooling over the tokens, a head.</summary>
[Network(5, 8)]
[MultiheadAttention(2, Name = "attn")]
[Add("input")]
[LayerNorm]
[Mean(1)]
[Dense(3)]
public partial class SelfAttentionNet { }

/// <summary>Learned positions, causal self-attention with a key-padding length per sample, flattened into a head.</summary>
[Network(6, 6)]
[Input("lengths", 1)]
[PositionalEmbedding(Name = "pos", InitStd = 0.5)]
[MultiheadAttention(2, IsCausal = true, KeyLengths = "lengths", Name = "attn")]
[Flatten]
[Dense(3)]
public partial class CausalMaskedAttentionNet { }

/// <summary>
/// Cross-attention: queries from the input [4, 8] (with the sinusoidal encoding added), keys and values from the second
/// input "memory" [6, 5]: kdim = vdim = 5 ≠ 8, so q_proj_weight, k_proj_weight and v_proj_weight.
/// </summary>
[Network(4, 8)]
[Input("memory", 6, 5)]
[SinusoidalPositionalEncoding]
[MultiheadAttention(2, Key = "memory", Value = "memory", Name = "cross")]
[Flatten]
[Dense(2)]
public partial class CrossAttentionNet { }

/// <summary>
/// Cross-attention with kdim = vdim = E (one in_proj_weight, keys and values from one product), keys from an earlier
/// layer, a key-padding length per sample, and dropout on the weights; 4 heads of 2 features.
/// </summary>
[Network(3, 8)]
[Input("memory", 5, 6)]
[Input("memoryLengths", 1)]
[Dense(8, Name = "mem", Input = "memory")] [Tanh(Name = "memAct")]
[MultiheadAttention(4, Input = "input", Key = "memAct", Value = "memAct", KeyLengths = "memoryLengths", Dropout = 0.25, Name = "cross")]
[Mean(-1)]
public partial class PackedCrossAttentionNet { }

/// <summary>Scaled dot-product attention on its own, 2 heads, causal, the keys also the values' source.</summary>
[Network(5, 6)]
[Dense(8, Name = "q")]
[Dense(8, Name = "k", Input = "input")]
[ScaledDotProductAttention(Input = "q", Key = "k", Value = "k", NumHeads = 2, IsCausal = true, Name = "sdpa")]
[Flatten]
[Dense(2)]
public partial class SdpaNet { }

/// <summary>Two encoder layers: post-norm without dropout, then pre-norm with dropout and GELU; mean pooling, a head.</summary>
[Network(5, 8)]
[TransformerEncoderLayer(8, 2, DimFeedforward = 12, Dropout = 0.0, Name = "enc")]
[TransformerEncoderLayer(8, 2, DimFeedforward = 12, Dropout = 0.2, NormFirst = true, Activation = TransformerActivation.GELU)]
[Mean(1)]
[Dense(3)]
public partial class EncoderNet { }

/// <summary>The benchmark's W8 network: one encoder layer d 64, 4 heads, ff 128 over 16 tokens, mean, Linear(64→10).</summary>
[Network(16, 64)]
[TransformerEncoderLayer(64, 4, DimFeedforward = 128, Dropout = 0.0, Name = "enc")]
[Mean(1)]
[Dense(10)]
public partial class TransformerW8Net { }
