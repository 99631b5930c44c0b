namespace SourceGenNN.Tests.Training;

/// <summary>Multinomial logistic regression on the 8×8 digits.</summary>
[Network(64)]
[Dense(10)]
[Softmax]
public partial class DigitsSoftmax { }

/// <summary>A small MLP on the 8×8 digits, ending in raw logits.</summary>
[Network(64)]
[Dense(32)]
[ReLU]
[Dense(10)]
public partial class DigitsMlp { }

/// <summary>Logistic regression on the breast-cancer features.</summary>
[Network(30)]
[Dense(1)]
[Sigmoid]
public partial class CancerLogistic { }

/// <summary>Linear regression on the diabetes features.</summary>
[Network(10)]
[Dense(1)]
public partial class DiabetesLinear { }

/// <summary>The MNIST MLP of the samples.</summary>
[Network(784)]
[Dense(128)]
[ReLU]
[Dense(10)]
public partial class MnistMlp { }
