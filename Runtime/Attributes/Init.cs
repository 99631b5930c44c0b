namespace SourceGenNN;

/// <summary>Parameter initialisers, with PyTorch's formulas and names (<c>torch.nn.init</c>).</summary>
public enum Init
{
    /// <summary>PyTorch's <c>nn.Linear</c> default: <c>kaiming_uniform_(a = sqrt(5))</c> for a weight, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for a bias.</summary>
    Default = 0,
    /// <summary>U(<c>InitLow</c>, <c>InitHigh</c>): <c>uniform_(a, b)</c>.</summary>
    Uniform,
    /// <summary>N(<c>InitMean</c>, <c>InitStd</c>²): <c>normal_(mean, std)</c>.</summary>
    Normal,
    /// <summary>Every element set to <c>InitValue</c>: <c>constant_(val)</c>.</summary>
    Constant,
    /// <summary>Every element 0: <c>zeros_</c>.</summary>
    Zeros,
    /// <summary>Every element 1: <c>ones_</c>.</summary>
    Ones,
    /// <summary>U(-b, b) with b = gain·sqrt(3 / fan_in): <c>kaiming_uniform_</c> (fan-in mode).</summary>
    KaimingUniform,
    /// <summary>N(0, std²) with std = gain / sqrt(fan_in): <c>kaiming_normal_</c> (fan-in mode).</summary>
    KaimingNormal,
    /// <summary>U(-a, a) with a = gain·sqrt(6 / (fan_in + fan_out)): <c>xavier_uniform_</c>.</summary>
    XavierUniform,
    /// <summary>N(0, std²) with std = gain·sqrt(2 / (fan_in + fan_out)): <c>xavier_normal_</c>.</summary>
    XavierNormal,
}

/// <summary>The nonlinearity whose gain a Kaiming initialiser uses (<c>torch.nn.init.calculate_gain</c>).</summary>
public enum Nonlinearity
{
    /// <summary>gain = sqrt(2 / (1 + negative_slope²)); PyTorch's default for Kaiming initialisers.</summary>
    LeakyReLU = 0,
    /// <summary>gain = sqrt(2).</summary>
    ReLU,
    /// <summary>gain = 1.</summary>
    Linear,
    /// <summary>gain = 1.</summary>
    Sigmoid,
    /// <summary>gain = 5/3.</summary>
    Tanh,
    /// <summary>gain = 3/4.</summary>
    SELU,
}
