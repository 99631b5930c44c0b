using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SourceGenNN.Kernels;

// The cells of the recurrent layers: one step of one sample, the gate nonlinearities and the state update fused in one
// pass over the hidden features. Each cell's math is written once, generic over the lanes it runs on (16, 8, 4 or 1
// float), and the loop in RecurrentLoop picks the widest lanes the machine has, then finishes the tail one at a time.

/// <summary>A few floats processed together: the vector widths and the scalar, behind one set of operators.</summary>
internal interface ILanes<TSelf> where TSelf : struct, ILanes<TSelf>
{
    static abstract int Count { get; }

    static abstract unsafe TSelf Load(float* p);

    unsafe void Store(float* p);

    static abstract TSelf Create(float value);

    static abstract TSelf operator +(TSelf a, TSelf b);

    static abstract TSelf operator -(TSelf a, TSelf b);

    static abstract TSelf operator *(TSelf a, TSelf b);

    /// <summary>a·b + c, rounded once (the same on every width, so a column's value does not depend on its tile).</summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf c);

    /// <summary>1 / (1 + e⁻ᶻ), as <see cref="SigmoidOperator"/>.</summary>
    static abstract TSelf Sigmoid(TSelf z);

    /// <summary>tanh(z), as <see cref="TanhOperator"/>.</summary>
    static abstract TSelf Tanh(TSelf z);

    /// <summary>max(0, z) with NaN kept, as <see cref="ReluOperator"/>.</summary>
    static abstract TSelf Relu(TSelf z);

    /// <summary>1 where <paramref name="h"/> = relu(z) is positive (z &gt; 0), else 0: ReLU's derivative from its output.</summary>
    static abstract TSelf ReluDerivative(TSelf h);
}

internal readonly struct Lanes16(Vector512<float> v) : ILanes<Lanes16>
{
    private readonly Vector512<float> _v = v;
    public static int Count => 16;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe Lanes16 Load(float* p) => new(Vector512.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public unsafe void Store(float* p) => _v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes16 Create(float value) => new(Vector512.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes16 operator +(Lanes16 a, Lanes16 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes16 operator -(Lanes16 a, Lanes16 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes16 operator *(Lanes16 a, Lanes16 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes16 MultiplyAdd(Lanes16 a, Lanes16 b, Lanes16 c) => new(Vector512.FusedMultiplyAdd(a._v, b._v, c._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes16 Sigmoid(Lanes16 z) => new(default(SigmoidOperator).Invoke(z._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes16 Tanh(Lanes16 z) => new(default(TanhOperator).Invoke(z._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes16 Relu(Lanes16 z) => new(default(ReluOperator).Invoke(z._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes16 ReluDerivative(Lanes16 h) => new(Vector512.ConditionalSelect(Vector512.GreaterThan(h._v, Vector512<float>.Zero), Vector512.Create(1f), Vector512<float>.Zero));
}

internal readonly struct Lanes8(Vector256<float> v) : ILanes<Lanes8>
{
    private readonly Vector256<float> _v = v;
    public static int Count => 8;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe Lanes8 Load(float* p) => new(Vector256.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public unsafe void Store(float* p) => _v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes8 Create(float value) => new(Vector256.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes8 operator +(Lanes8 a, Lanes8 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes8 operator -(Lanes8 a, Lanes8 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes8 operator *(Lanes8 a, Lanes8 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes8 MultiplyAdd(Lanes8 a, Lanes8 b, Lanes8 c) => new(Vector256.FusedMultiplyAdd(a._v, b._v, c._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes8 Sigmoid(Lanes8 z) => new(default(SigmoidOperator).Invoke(z._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes8 Tanh(Lanes8 z) => new(default(TanhOperator).Invoke(z._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes8 Relu(Lanes8 z) => new(default(ReluOperator).Invoke(z._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes8 ReluDerivative(Lanes8 h) => new(Vector256.ConditionalSelect(Vector256.GreaterThan(h._v, Vector256<float>.Zero), Vector256.Create(1f), Vector256<float>.Zero));
}

internal readonly struct Lanes4(Vector128<float> v) : ILanes<Lanes4>
{
    private readonly Vector128<float> _v = v;
    public static int Count => 4;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe Lanes4 Load(float* p) => new(Vector128.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public unsafe void Store(float* p) => _v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes4 Create(float value) => new(Vector128.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes4 operator +(Lanes4 a, Lanes4 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes4 operator -(Lanes4 a, Lanes4 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes4 operator *(Lanes4 a, Lanes4 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes4 MultiplyAdd(Lanes4 a, Lanes4 b, Lanes4 c) => new(Vector128.FusedMultiplyAdd(a._v, b._v, c._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes4 Sigmoid(Lanes4 z) => new(default(SigmoidOperator).Invoke(z._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes4 Tanh(Lanes4 z) => new(default(TanhOperator).Invoke(z._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes4 Relu(Lanes4 z) => new(default(ReluOperator).Invoke(z._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes4 ReluDerivative(Lanes4 h) => new(Vector128.ConditionalSelect(Vector128.GreaterThan(h._v, Vector128<float>.Zero), Vector128.Create(1f), Vector128<float>.Zero));
}

internal readonly struct Lanes1(float v) : ILanes<Lanes1>
{
    private readonly float _v = v;
    public static int Count => 1;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe Lanes1 Load(float* p) => new(*p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public unsafe void Store(float* p) => *p = _v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes1 Create(float value) => new(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes1 operator +(Lanes1 a, Lanes1 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes1 operator -(Lanes1 a, Lanes1 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes1 operator *(Lanes1 a, Lanes1 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes1 MultiplyAdd(Lanes1 a, Lanes1 b, Lanes1 c) => new(MathF.FusedMultiplyAdd(a._v, b._v, c._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes1 Sigmoid(Lanes1 z) => new(default(SigmoidOperator).Invoke(z._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes1 Tanh(Lanes1 z) => new(default(TanhOperator).Invoke(z._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes1 Relu(Lanes1 z) => new(default(ReluOperator).Invoke(z._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes1 ReluDerivative(Lanes1 h) => new(h._v > 0f ? 1f : 0f);
}

/// <summary>
/// One step of one sample of a recurrent layer, on the hidden features [j, j + lanes). The pointers address rows of the
/// step's buffers; null means "before the first step" (a zero state).
/// </summary>
internal interface IRecurrentCell
{
    /// <summary>The gate blocks stacked in the weights: 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n).</summary>
    static abstract int Gates { get; }

    /// <summary>Whether the cell keeps hidden-size values per step besides the gates (LSTM's c_t; GRU's h_{t−1}·W_hnᵀ + b_hn).</summary>
    static abstract bool Keeps { get; }

    /// <summary>Whether dL/dh_{t−1} has a part besides the recurrent product (GRU's dh⊙z): <c>dhPrev</c> is then written.</summary>
    static abstract bool DirectPath { get; }

    /// <summary>
    /// Forward: <paramref name="gates"/> holds x_t·W_ihᵀ on entry and the gates' activations on exit (what the backward
    /// step reads); <paramref name="bias"/> is b_ih (null: none); <paramref name="recurrent"/> is h_{t−1}·W_hhᵀ + b_hh;
    /// h_t is written to <paramref name="h"/>.
    /// </summary>
    static abstract unsafe void Forward<TV>(int hidden, int j, float* gates, float* bias, float* recurrent, float* hPrev, float* keptPrev, float* kept, float* h)
        where TV : struct, ILanes<TV>;

    /// <summary>
    /// Backward: from dL/dh_t (<paramref name="dh"/>) and, for LSTM, the cell-state gradient carried from step t + 1
    /// (<paramref name="dState"/>, replaced by dL/dc_{t−1}), writes the gradients of the gates' pre-activations: on the
    /// input side (<paramref name="dGates"/>, for W_ih, b_ih and x) and on the hidden side (<paramref name="dRecurrent"/>,
    /// for W_hh, b_hh and h_{t−1}; the same buffer except for GRU), and GRU's direct part of dL/dh_{t−1}.
    /// </summary>
    static abstract unsafe void Backward<TV>(int hidden, int j, float* gates, float* kept, float* keptPrev, float* hPrev, float* h,
        float* dh, float* dState, float* dGates, float* dRecurrent, float* dhPrev) where TV : struct, ILanes<TV>;
}

/// <summary>What the cells share.</summary>
internal static class Cells
{
    /// <summary>x·W_ihᵀ + b_ih at element <paramref name="at"/> of the gates (no bias when <paramref name="bias"/> is null).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe TV Input<TV>(float* gates, float* bias, int at) where TV : struct, ILanes<TV> =>
        bias == null ? TV.Load(gates + at) : TV.Load(gates + at) + TV.Load(bias + at);
}

/// <summary>Elman RNN with tanh: h = tanh(a), a = x·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh.</summary>
internal readonly struct RnnTanhCell : IRecurrentCell
{
    public static int Gates => 1;
    public static bool Keeps => false;
    public static bool DirectPath => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Forward<TV>(int hidden, int j, float* gates, float* bias, float* recurrent, float* hPrev, float* keptPrev, float* kept, float* h)
        where TV : struct, ILanes<TV> =>
        TV.Tanh(Cells.Input<TV>(gates, bias, j) + TV.Load(recurrent + j)).Store(h + j);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Backward<TV>(int hidden, int j, float* gates, float* kept, float* keptPrev, float* hPrev, float* h,
        float* dh, float* dState, float* dGates, float* dRecurrent, float* dhPrev) where TV : struct, ILanes<TV>
    {
        var y = TV.Load(h + j);
        (TV.Load(dh + j) * (TV.Create(1f) - y * y)).Store(dGates + j); // tanh' = 1 − h²
    }
}

/// <summary>Elman RNN with ReLU: h = max(0, a).</summary>
internal readonly struct RnnReluCell : IRecurrentCell
{
    public static int Gates => 1;
    public static bool Keeps => false;
    public static bool DirectPath => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Forward<TV>(int hidden, int j, float* gates, float* bias, float* recurrent, float* hPrev, float* keptPrev, float* kept, float* h)
        where TV : struct, ILanes<TV> =>
        TV.Relu(Cells.Input<TV>(gates, bias, j) + TV.Load(recurrent + j)).Store(h + j);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Backward<TV>(int hidden, int j, float* gates, float* kept, float* keptPrev, float* hPrev, float* h,
        float* dh, float* dState, float* dGates, float* dRecurrent, float* dhPrev) where TV : struct, ILanes<TV> =>
        (TV.Load(dh + j) * TV.ReluDerivative(TV.Load(h + j))).Store(dGates + j); // 1 where a > 0, which is where h > 0
}

/// <summary>LSTM, gates i, f, g, o: c_t = f⊙c_{t−1} + i⊙g, h_t = o⊙tanh(c_t).</summary>
internal readonly struct LstmCell : IRecurrentCell
{
    public static int Gates => 4;
    public static bool Keeps => true;
    public static bool DirectPath => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Forward<TV>(int hidden, int j, float* gates, float* bias, float* recurrent, float* hPrev, float* keptPrev, float* kept, float* h)
        where TV : struct, ILanes<TV>
    {
        float* gi = gates + j, gf = gi + hidden, gg = gf + hidden, go = gg + hidden;
        float* ri = recurrent + j, rf = ri + hidden, rg = rf + hidden, ro = rg + hidden;
        var i = TV.Sigmoid(Cells.Input<TV>(gates, bias, j) + TV.Load(ri));
        var f = TV.Sigmoid(Cells.Input<TV>(gates, bias, hidden + j) + TV.Load(rf));
        var g = TV.Tanh(Cells.Input<TV>(gates, bias, 2 * hidden + j) + TV.Load(rg));
        var o = TV.Sigmoid(Cells.Input<TV>(gates, bias, 3 * hidden + j) + TV.Load(ro));
        var c = keptPrev == null ? i * g : f * TV.Load(keptPrev + j) + i * g;
        i.Store(gi);
        f.Store(gf);
        g.Store(gg);
        o.Store(go);
        c.Store(kept + j);
        (o * TV.Tanh(c)).Store(h + j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Backward<TV>(int hidden, int j, float* gates, float* kept, float* keptPrev, float* hPrev, float* h,
        float* dh, float* dState, float* dGates, float* dRecurrent, float* dhPrev) where TV : struct, ILanes<TV>
    {
        var one = TV.Create(1f);
        float* gi = gates + j;
        var i = TV.Load(gi);
        var f = TV.Load(gi + hidden);
        var g = TV.Load(gi + 2 * hidden);
        var o = TV.Load(gi + 3 * hidden);
        var tc = TV.Tanh(TV.Load(kept + j));
        var dhj = TV.Load(dh + j);
        // dc = dL/dc_t: from step t + 1 through f, and from h_t = o⊙tanh(c_t).
        var dc = TV.Load(dState + j) + dhj * o * (one - tc * tc);
        var cPrev = keptPrev == null ? TV.Create(0f) : TV.Load(keptPrev + j);
        (dc * f).Store(dState + j);
        float* di = dGates + j;
        (dc * g * i * (one - i)).Store(di);
        (dc * cPrev * f * (one - f)).Store(di + hidden);
        (dc * i * (one - g * g)).Store(di + 2 * hidden);
        (dhj * tc * o * (one - o)).Store(di + 3 * hidden);
    }
}

/// <summary>GRU, gates r, z, n: n = tanh(a_n + r⊙(h_{t−1}·W_hnᵀ + b_hn)), h_t = (1 − z)⊙n + z⊙h_{t−1}.</summary>
internal readonly struct GruCell : IRecurrentCell
{
    public static int Gates => 3;
    public static bool Keeps => true;
    public static bool DirectPath => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Forward<TV>(int hidden, int j, float* gates, float* bias, float* recurrent, float* hPrev, float* keptPrev, float* kept, float* h)
        where TV : struct, ILanes<TV>
    {
        float* gr = gates + j, gz = gr + hidden, gn = gz + hidden;
        float* rr = recurrent + j, rz = rr + hidden, rn = rz + hidden;
        var r = TV.Sigmoid(Cells.Input<TV>(gates, bias, j) + TV.Load(rr));
        var z = TV.Sigmoid(Cells.Input<TV>(gates, bias, hidden + j) + TV.Load(rz));
        var hn = TV.Load(rn);
        var n = TV.Tanh(Cells.Input<TV>(gates, bias, 2 * hidden + j) + r * hn);
        var y = hPrev == null ? (TV.Create(1f) - z) * n : (TV.Create(1f) - z) * n + z * TV.Load(hPrev + j);
        r.Store(gr);
        z.Store(gz);
        n.Store(gn);
        hn.Store(kept + j);
        y.Store(h + j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Backward<TV>(int hidden, int j, float* gates, float* kept, float* keptPrev, float* hPrev, float* h,
        float* dh, float* dState, float* dGates, float* dRecurrent, float* dhPrev) where TV : struct, ILanes<TV>
    {
        var one = TV.Create(1f);
        float* gr = gates + j;
        var r = TV.Load(gr);
        var z = TV.Load(gr + hidden);
        var n = TV.Load(gr + 2 * hidden);
        var hn = TV.Load(kept + j);
        var dhj = TV.Load(dh + j);
        var hp = hPrev == null ? TV.Create(0f) : TV.Load(hPrev + j);
        var dn = dhj * (one - z) * (one - n * n); // through tanh
        var dr = dn * hn * r * (one - r);
        var dz = dhj * (hp - n) * z * (one - z);
        (dhj * z).Store(dhPrev + j);
        float* di = dGates + j, dq = dRecurrent + j;
        dr.Store(di);
        dz.Store(di + hidden);
        dn.Store(di + 2 * hidden);
        dr.Store(dq);
        dz.Store(dq + hidden);
        (dn * r).Store(dq + 2 * hidden); // b_hn sits inside the reset product
    }
}
