using System;
using System.Collections.Generic;
using System.Linq;
using SourceGenNN.Testing;
using Xunit;

namespace SourceGenNN.Tests.Networks;

/// <summary>
/// The central-difference check every gradient test runs: each chosen value v of <c>values</c> is moved to v ± h, the
/// loss is evaluated at both (in double precision, on the reference), and (L(v + h) − L(v − h)) / 2h must match the
/// backward pass's gradient within <c>atol + rtol·|fd|</c>. The value is restored after each pair.
/// </summary>
internal static class FiniteDifferences
{
    /// <param name="values">The parameters or inputs, as the loss reads them; changed and restored in place.</param>
    /// <param name="analytic">The backward pass's gradient with respect to <paramref name="values"/>.</param>
    /// <param name="loss">The loss at the current <paramref name="values"/>.</param>
    /// <param name="name">Names value k in a failure message (<c>d/dx[k]</c>).</param>
    /// <param name="next">The index after k (default k + 1), to check a sample of a large tensor.</param>
    /// <param name="include">Which indices to check (default all).</param>
    /// <param name="h">The step.</param>
    /// <param name="atol">The absolute tolerance.</param>
    /// <param name="rtol">The tolerance relative to the finite difference.</param>
    public static void AssertMatch(double[] values, IReadOnlyList<float> analytic, Func<double> loss, Func<int, string> name,
        Func<int, int>? next = null, Func<int, bool>? include = null, double h = 1e-6, double atol = 2e-4, double rtol = 2e-3)
    {
        for (int k = 0; k < values.Length; k = next?.Invoke(k) ?? k + 1)
        {
            if (include is not null && !include(k)) continue;
            double saved = values[k];
            values[k] = saved + h; double up = loss();
            values[k] = saved - h; double down = loss();
            values[k] = saved;
            double fd = (up - down) / (2 * h);
            Assert.True(Math.Abs(analytic[k] - fd) <= atol + rtol * Math.Abs(fd), $"{name(k)}: backward {analytic[k]}, finite differences {fd}");
        }
    }

    /// <summary>
    /// What a gradient test differences: the network's gradients from one training-mode forward and the backward pass
    /// of <c>L = Σ r ⊙ output</c>, the parameters and input as doubles, and <c>L</c> evaluated on the reference at them.
    /// </summary>
    /// <param name="Gradients">dL/dparameters from the network's backward pass.</param>
    /// <param name="InputGradient">dL/dinput from the network's backward pass.</param>
    /// <param name="Parameters">The parameters as the loss reads them (differenced in place).</param>
    /// <param name="Input">The input as the loss reads it (differenced in place).</param>
    /// <param name="Loss">L on the reference at the current <paramref name="Parameters"/> and <paramref name="Input"/>.</param>
    public sealed record Pass(float[] Gradients, float[] InputGradient, double[] Parameters, double[] Input, Func<double> Loss);

    /// <summary>
    /// Runs <paramref name="net"/> forward in training mode and backward with dL/doutput = <paramref name="r"/>, and
    /// returns its gradients with the loss to difference. With <paramref name="step"/> the network's
    /// <see cref="IRandomStream.RandomStep"/> is set first; the reference replays the same draws either way. The reference
    /// runs in training mode when <paramref name="referenceTraining"/> (batch statistics, dropout), from the state
    /// buffers the network had before the pass.
    /// </summary>
    public static Pass Run(INetwork net, float[] x, float[] r, int batch, bool referenceTraining = false, ulong? step = null)
    {
        var random = (IRandomStream)net;
        if (step is { } s) random.RandomStep = s;
        ulong at = random.RandomStep;
        var buffers = ReferenceNetwork.Widen(net.Buffers);
        var dx = new float[x.Length];
        net.ZeroGrad();
        net.Forward(x, new float[r.Length], batch, training: true);
        net.Backward(r, dx);
        var reference = new ReferenceNetwork(net);
        var p = net.Parameters.ToArray().Select(v => (double)v).ToArray();
        var xd = x.Select(v => (double)v).ToArray();
        double Loss() => reference.Evaluate(p, (double[])buffers.Clone(), xd, batch, referenceTraining, at).Select((o, i) => r[i] * o).Sum();
        return new Pass(net.Gradients.ToArray(), dx, p, xd, Loss);
    }

    /// <summary>The name of the parameter tensor that holds flat parameter index <paramref name="k"/>.</summary>
    public static string ParameterAt(INetwork net, int k) =>
        net.Description.Parameters.First(t => k >= t.Offset && k < t.Offset + t.Length).Name;
}
