using System;
using System.Collections.Generic;
using System.Linq;
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

    /// <summary>The name of the parameter tensor that holds flat parameter index <paramref name="k"/>.</summary>
    public static string ParameterAt(INetwork net, int k) =>
        net.Description.Parameters.First(t => k >= t.Offset && k < t.Offset + t.Length).Name;
}
