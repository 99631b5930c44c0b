using System;
using SourceGenNN;

// The course's first network: 3 inputs; dense 3 (Xavier-normal) + sigmoid; dense 2 (Kaiming-normal) + ReLU;
// dense 2 + softmax. Declaration order is forward order; only the input size is written, every other shape is inferred.
var net = new SeedNetwork(seed: 42);
Console.WriteLine(net.Summary());

float[] x = { 0.5f, -1.0f, 2.0f };
float[] y = new float[SeedNetwork.OutputSize];
net.Forward(x, y);
Console.WriteLine($"Forward([0.5, -1, 2]) = [{string.Join(", ", Array.ConvertAll(y, v => v.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)))}]");

/// <summary>The seed network of the course material.</summary>
[Network(3)]
[Dense(3, WeightInit = Init.XavierNormal)]
[Sigmoid]
[Dense(2, WeightInit = Init.KaimingNormal)]
[ReLU]
[Dense(2)]
[Softmax]
public partial class SeedNetwork { }
