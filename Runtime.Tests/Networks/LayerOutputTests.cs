using System;
using System.Linq;
using SourceGenNN.Tests.Data;
using Xunit;

namespace SourceGenNN.Tests.Networks;

/// <summary>
/// <see cref="INetwork.LayerOutput"/>: every layer's output of the last pass, checked against the layers recomputed by
/// hand from the previous layer's output (Dense from its weights, Softmax, the views, the final output).
/// </summary>
public class LayerOutputTests
{
    [Fact]
    public void Each_layer_output_is_what_that_layer_computes_from_the_one_before()
    {
        var net = new SequenceNet(seed: 3); // [4, 5] → Dense(6) → LayerNorm → Softmax(dim 1) → PReLU → Reshape(6, 4) → LayerNorm → Flatten → Dense(3)
        const int batch = 2;
        var x = Enumerable.Range(0, batch * 20).Select(i => (float)Math.Sin(0.7 * i)).ToArray();
        var y = new float[batch * 3];
        net.Forward(x, y, batch);
        var d = net.Description;
        Assert.Equal(d.Layers.Count, d.Layers.Select((l, i) => net.LayerOutput(i).Length == batch * l.OutputSize).Count(ok => ok));

        // Layer 0, Dense(6) on the last axis of [4, 5]: y[n, t, o] = b[o] + Σᵢ x[n, t, i]·W[o, i].
        var w = Tensor(net, "0.weight");
        var b = Tensor(net, "0.bias");
        var dense = net.LayerOutput(0).ToArray();
        for (int n = 0; n < batch; n++)
            for (int t = 0; t < 4; t++)
                for (int o = 0; o < 6; o++)
                {
                    double sum = b[o];
                    for (int i = 0; i < 5; i++) sum += x[(n * 4 + t) * 5 + i] * w[o * 5 + i];
                    Assert.Equal(sum, dense[(n * 4 + t) * 6 + o], 1e-5);
                }

        // Layer 2, Softmax over dim 1 of [4, 6] (the sequence axis), from layer 1's output.
        var norm = net.LayerOutput(1).ToArray();
        var soft = net.LayerOutput(2).ToArray();
        for (int n = 0; n < batch; n++)
            for (int f = 0; f < 6; f++)
            {
                double z = Enumerable.Range(0, 4).Sum(t => Math.Exp(norm[(n * 4 + t) * 6 + f]));
                for (int t = 0; t < 4; t++)
                    Assert.Equal(Math.Exp(norm[(n * 4 + t) * 6 + f]) / z, soft[(n * 4 + t) * 6 + f], 1e-5);
            }

        // The views hold their input's values: Reshape(6, 4) of the PReLU's output, Flatten of the LayerNorm's.
        Assert.Equal(net.LayerOutput(3).ToArray(), net.LayerOutput(4).ToArray());
        Assert.Equal(net.LayerOutput(5).ToArray(), net.LayerOutput(6).ToArray());
        // The last layer's output is the network's.
        Assert.Equal(y, net.LayerOutput(d.Layers.Count - 1).ToArray());
    }

    [Fact]
    public void A_layer_index_out_of_range_names_the_parameter_and_the_range()
    {
        var net = new SequenceNet(seed: 3);
        Assert.Equal(0, net.LayerOutput(0).Length); // no pass yet
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => net.LayerOutput(8));
        Assert.Equal("layer", e.ParamName);
        Assert.Contains("from 0 to 7", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => net.LayerOutput(-1));
    }

    [Fact]
    public void A_network_that_does_not_implement_it_says_so()
    {
        INetwork other = new TestDoubles.LinearNetwork(3, 2);
        var e = Assert.Throws<NotSupportedException>(() => other.LayerOutput(0));
        Assert.Contains("LinearNetwork", e.Message);
    }

    private static float[] Tensor(INetwork net, string name)
    {
        var t = net.Description.FindParameter(name)!;
        return net.Parameters.Slice(t.Offset, t.Length).ToArray();
    }
}
