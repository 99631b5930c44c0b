using System;
using System.Linq;
using SourceGenNN.Kernels;
using SourceGenNN.Testing;
using Xunit;

namespace SourceGenNN.Tests.Networks;

/// <summary>
/// Convolution, pooling and channel dropout: generated forward passes against the double-precision reference (written
/// element by element from PyTorch's definitions, no im2col), every backward pass against central finite differences of
/// that reference, and the kernels' own promises (first maximum, batch independence, no allocation).
/// </summary>
public class ConvolutionTests
{
    public static TheoryData<string> Networks => new() { "block", "options", "depthwise", "sequence", "transposed", "pointwise", "w6" };

    private static INetwork Create(string name, ulong seed) => name switch
    {
        "block" => new ConvBlockNet(seed),
        "options" => new ConvOptionsNet(seed),
        "depthwise" => new DepthwiseNet(seed),
        "sequence" => new SequenceConvNet(seed),
        "transposed" => new TransposedNet(seed),
        "pointwise" => new PointwiseNet(seed),
        "w6" => new SmallCnn(seed),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void Forward_matches_reference(string name)
    {
        ForwardTests.CheckAgainstReference(Create(name, 3), 1, 1e-5);
        ForwardTests.CheckAgainstReference(Create(name, 4), 3, 1e-5);
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void A_second_forward_pass_gives_the_same_output(string name)
    {
        // Kernels that add onto their output (col2im) must start from the bias or zero every time, not from the last pass.
        var net = Create(name, 7);
        var x = ForwardTests.RandomInput(2 * net.InputSize, 8);
        var first = new float[2 * net.OutputSize];
        var second = new float[first.Length];
        net.Forward(x, first, 2, training: true);
        net.Forward(x, second, 2, training: true);
        Assert.Equal(first, second);
        net.Forward(x, second, 2);
        Assert.Equal(first, second);
    }

    [Theory]
    [InlineData("block")]
    [InlineData("options")]
    [InlineData("depthwise")]
    [InlineData("sequence")]
    [InlineData("transposed")]
    [InlineData("pointwise")]
    public void Backward_matches_finite_differences(string name) => GradientTests.CheckGradients(Create(name, 5), 2, 100);

    [Fact]
    public void Summary_shows_a_convolution_as_pytorch_prints_it_channels_first()
    {
        // PyTorch's repr: Conv2d(4, 6, kernel_size=(3, 2), stride=(2, 1), ...). The channels lead, the options follow
        // with a comma and a space, and the fingerprint the weight files check does not change with the display.
        string s = new ConvOptionsNet().Summary();
        Assert.Contains("Conv2d(4, 6, kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2, bias=false)", s);
        Assert.Contains("Conv2d(2, 3, kernel_size=(3, 3), padding=(1, 1))", new ConvBlockNet().Summary());
        Assert.Contains("kernel_size=(3, 3),padding=(1, 1)", new ConvBlockNet().Description.Layers[0].Arguments);
    }

    [Fact]
    public void Small_cnn_backward_matches_finite_differences_on_a_sample_of_parameters()
    {
        // 9,098 parameters and 784 inputs: every parameter of the first convolution, every 7th of the second, every
        // 31st of the dense layer and every 37th input (the small networks above difference every one of each kind).
        var net = new SmallCnn(seed: 2);
        const int batch = 1;
        var x = ForwardTests.RandomInput(batch * 784, 3);
        var r = ForwardTests.RandomInput(batch * 10, 4);
        var pass = FiniteDifferences.Run(net, x, r, batch);
        int second = net.Description.FindParameter("3.weight")!.Offset, dense = net.Description.FindParameter("7.weight")!.Offset;
        FiniteDifferences.AssertMatch(pass.Parameters, pass.Gradients, pass.Loss, k => $"parameter {k}", next: k => k + (k >= dense ? 31 : k >= second ? 7 : 1));
        FiniteDifferences.AssertMatch(pass.Input, pass.InputGradient, pass.Loss, k => $"d/dx[{k}]", next: k => k + 37);
    }

    [Fact]
    public void Conv_and_batch_norm_in_training_backward_matches_finite_differences_through_the_batch_statistics()
    {
        var net = new ConvBatchNormNet(seed: 4);
        const int batch = 3;
        var x = ForwardTests.RandomInput(batch * ConvBatchNormNet.InputSize, 90, scale: 2f);
        var r = ForwardTests.RandomInput(batch * 2, 91);
        var pass = FiniteDifferences.Run(net, x, r, batch, referenceTraining: true);
        FiniteDifferences.AssertMatch(pass.Parameters, pass.Gradients, pass.Loss, k => $"parameter {k}");
        FiniteDifferences.AssertMatch(pass.Input, pass.InputGradient, pass.Loss, k => $"d/dx[{k}]");
    }

    [Fact]
    public void Channel_dropout_in_training_backward_matches_finite_differences_with_the_same_draws()
    {
        // RandomStep fixed: the same channels are dropped in every pass, so the training-mode network is a fixed function.
        var net = new ChannelDropoutNet(seed: 6);
        const int batch = 3;
        const ulong step = 777;
        var x = ForwardTests.RandomInput(batch * ChannelDropoutNet.InputSize, 50);
        var r = ForwardTests.RandomInput(batch * 2, 51);
        var pass = FiniteDifferences.Run(net, x, r, batch, referenceTraining: true, step: step);
        FiniteDifferences.AssertMatch(pass.Parameters, pass.Gradients, pass.Loss, k => $"parameter {k}");
        FiniteDifferences.AssertMatch(pass.Input, pass.InputGradient, pass.Loss, k => $"d/dx[{k}]");
    }

    [Fact]
    public void Channel_dropout_zeroes_whole_channels_about_p_of_the_time_and_scales_the_others()
    {
        var net = new ChannelDropoutNet(seed: 1);
        const int batch = 200;
        var x = ForwardTests.RandomInput(batch * ChannelDropoutNet.InputSize, 3);
        net.Forward(x, new float[batch * 2], batch, training: true);
        var field = typeof(ChannelDropoutNet).GetField("_l1Mask", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        var mask = ((SourceGenNN.Kernels.AlignedBuffer)field.GetValue(net)!).Span.ToArray().Take(batch * 4).ToArray();
        Assert.InRange(mask.Count(m => m == 0f) / (double)mask.Length, 0.4 - 0.06, 0.4 + 0.06); // 800 draws: σ ≈ 0.017
        Assert.All(mask.Where(m => m != 0f), m => Assert.Equal(1f / 0.6f, m, 5));
        // The output of layer 1 is the convolution's output times its channel's mask value, element by element.
        var conv = typeof(ChannelDropoutNet).GetField("_out0", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        var dropped = typeof(ChannelDropoutNet).GetField("_out1", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        var a = ((SourceGenNN.Kernels.AlignedBuffer)conv.GetValue(net)!).Span.ToArray();
        var b = ((SourceGenNN.Kernels.AlignedBuffer)dropped.GetValue(net)!).Span.ToArray();
        for (int i = 0; i < batch * ChannelDropoutNet.InputSize / 3 * 4; i++) Assert.Equal(a[i] * mask[i / 20], b[i]);
        // Evaluation is the identity.
        net.Forward(x, new float[batch * 2], batch, training: false);
        a = ((SourceGenNN.Kernels.AlignedBuffer)conv.GetValue(net)!).Span.ToArray();
        b = ((SourceGenNN.Kernels.AlignedBuffer)dropped.GetValue(net)!).Span.ToArray();
        Assert.Equal(a.Take(batch * 80), b.Take(batch * 80));
    }

    [Fact]
    public void Batch_forward_equals_one_sample_at_a_time_bit_for_bit()
    {
        // One sample (and group) at a time through the products: the batch size cannot change a result.
        var net = new SmallCnn(seed: 9);
        var x = ForwardTests.RandomInput(5 * 784, 4);
        var batched = new float[5 * 10];
        net.Forward(x, batched, 5);
        var single = new float[10];
        for (int n = 0; n < 5; n++)
        {
            net.Forward(x.AsSpan(n * 784, 784), single);
            Assert.Equal(batched.AsSpan(n * 10, 10).ToArray(), single);
        }
    }

    [Fact]
    public void Same_seed_gives_the_same_bits_after_training_steps()
    {
        float[] Train()
        {
            var net = new SmallCnn(seed: 12);
            var trainer = new SourceGenNN.Training.Trainer(net, new SourceGenNN.Training.CrossEntropy(), new SourceGenNN.Training.Adam(net, 1e-3f));
            var x = ForwardTests.RandomInput(8 * 784, 5);
            var y = Enumerable.Range(0, 8).Select(i => (float)(i % 10)).ToArray();
            for (int i = 0; i < 3; i++) trainer.TrainStep(x, y, 8);
            return net.Parameters.ToArray();
        }
        Assert.Equal(Train(), Train());
    }

    [Fact]
    public void Max_pooling_sends_the_gradient_to_the_first_maximum_of_each_window()
    {
        // One 2×4 plane, windows 2×2 with stride 2: ties in the first window (both 5s), none in the second.
        var w = new SlidingWindow(input: (2, 4), output: (1, 2), kernel: (2, 2), stride: (2, 2), padding: (0, 0), dilation: (1, 1));
        float[] x = { 1, 5, 2, 3, 5, 0, 9, 4 };
        var y = new float[2];
        Pooling.MaxForward(w, 1, x, y, 1);
        Assert.Equal(new[] { 5f, 9f }, y);
        var dx = new float[8];
        Pooling.MaxBackward(w, 1, x, new[] { 1f, 2f }, dx, 1);
        Assert.Equal(new[] { 0f, 1f, 0f, 0f, 0f, 0f, 2f, 0f }, dx);
    }

    [Fact]
    public void Max_pooling_with_overlapping_windows_adds_the_gradients_of_a_shared_maximum()
    {
        // A 1×5 sequence, kernel 3, stride 1: the 9 is the maximum of all three windows.
        var w = new SlidingWindow(input: (1, 5), output: (1, 3), kernel: (1, 3), stride: (1, 1), padding: (0, 0), dilation: (1, 1));
        float[] x = { 1, 2, 9, 3, 4 };
        var dx = new float[5];
        Pooling.MaxBackward(w, 1, x, new[] { 1f, 10f, 100f }, dx, 1);
        Assert.Equal(new[] { 0f, 0f, 111f, 0f, 0f }, dx);
    }

    [Fact]
    public void The_pointwise_path_equals_the_im2col_path()
    {
        // A 1×1 convolution without padding reads the input as its own column matrix; with padding 0 but a 1×1 kernel
        // over a plane of another size (a stride of 2) it goes through im2col. Both against the same sums.
        var rng = new Random(3);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var x = R(2 * 6 * 5 * 4);
        var weight = R(4 * 3);
        var bias = R(4);
        var pointwise = new SlidingWindow(input: (5, 4), output: (5, 4), kernel: (1, 1), stride: (1, 1), padding: (0, 0), dilation: (1, 1));
        Assert.True(pointwise.IsPointwise);
        var y = new float[2 * 4 * 20];
        Convolution.Forward(pointwise, 6, 4, 2, x, weight, bias, y, default, 2);
        for (int n = 0; n < 2; n++)
            for (int o = 0; o < 4; o++)
                for (int p = 0; p < 20; p++)
                {
                    int g = o / 2;
                    double s = bias[o];
                    for (int c = 0; c < 3; c++) s += weight[o * 3 + c] * x[((n * 6) + g * 3 + c) * 20 + p];
                    Assert.Equal(s, y[(n * 4 + o) * 20 + p], 5);
                }
        var strided = new SlidingWindow(input: (5, 4), output: (3, 2), kernel: (1, 1), stride: (2, 2), padding: (0, 0), dilation: (1, 1));
        Assert.False(strided.IsPointwise);
        var ys = new float[2 * 4 * 6];
        Convolution.Forward(strided, 6, 4, 2, x, weight, bias, ys, new float[Convolution.ColumnsLength(strided, 3)], 2);
        for (int n = 0; n < 2; n++)
            for (int o = 0; o < 4; o++)
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 2; j++)
                        Assert.Equal(y[(n * 4 + o) * 20 + 2 * i * 4 + 2 * j], ys[(n * 4 + o) * 6 + i * 2 + j], 5);
    }

    public static TheoryData<int, int, int, int, int> Geometries => new()
    {
        // height, width, kernel, padding, dilation: rows narrower than one vector, exactly one, one and a bit, several.
        { 3, 5, 3, 1, 1 }, { 4, 16, 3, 0, 1 }, { 5, 17, 3, 2, 1 }, { 2, 33, 5, 2, 2 }, { 3, 40, 4, 3, 1 }, { 1, 9, 1, 0, 1 },
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Convolution_kernels_match_plain_loops_for_any_row_width(int height, int width, int kernel, int padding, int dilation)
    {
        // Forward (im2col), and backward's weight and input gradients (col2im gathers rows in vectors), against the
        // definition written as loops: every width a vector path handles in full, in part, or with a tail.
        const int batch = 2, cin = 3, cout = 2;
        int oh = height + 2 * padding - dilation * (kernel - 1), ow = width + 2 * padding - dilation * (kernel - 1);
        if (oh <= 0) return;
        var w = new SlidingWindow(input: (height, width), output: (oh, ow), kernel: (kernel, kernel), stride: (1, 1), padding: (padding, padding), dilation: (dilation, dilation));
        var rng = new Random(height * 100 + width);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var x = R(batch * cin * height * width);
        var weight = R(cout * cin * kernel * kernel);
        var bias = R(cout);
        var dy = R(batch * cout * oh * ow);
        var y = new float[dy.Length];
        var columns = new float[Convolution.ColumnsLength(w, cin)];
        Convolution.Forward(w, cin, cout, 1, x, weight, bias, y, columns, batch);
        var dx = new float[x.Length];
        var dw = new float[weight.Length];
        var db = new float[cout];
        Convolution.Backward(w, cin, cout, 1, x, weight, dy, dx, dw, db, columns, batch, accumulate: false);

        var ey = new double[y.Length];
        var edx = new double[x.Length];
        var edw = new double[weight.Length];
        for (int n = 0; n < batch; n++)
            for (int o = 0; o < cout; o++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        int yi = ((n * cout + o) * oh + i) * ow + j;
                        ey[yi] = bias[o];
                        for (int c = 0; c < cin; c++)
                            for (int p = 0; p < kernel; p++)
                                for (int q = 0; q < kernel; q++)
                                {
                                    int r = i - padding + p * dilation, t = j - padding + q * dilation;
                                    if (r < 0 || r >= height || t < 0 || t >= width) continue;
                                    int xi = ((n * cin + c) * height + r) * width + t, wi = ((o * cin + c) * kernel + p) * kernel + q;
                                    ey[yi] += weight[wi] * x[xi];
                                    edx[xi] += weight[wi] * dy[yi];
                                    edw[wi] += x[xi] * dy[yi];
                                }
                    }
        static void Close(double[] expected, float[] actual, string what)
        {
            for (int i = 0; i < actual.Length; i++)
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * (1 + Math.Abs(expected[i])), $"{what}[{i}]: {actual[i]}, expected {expected[i]}");
        }
        Close(ey, y, "y");
        Close(edx, dx, "dx");
        Close(edw, dw, "dW");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(33)]
    public void Two_by_two_max_pooling_matches_the_definition_for_any_width_with_ties_and_nans(int outWidth)
    {
        // The 2×2, stride-2 path (branch-free, 16 windows at a time with AVX-512, 8 with AVX2) against the definition: the first maximum in
        // row-major order wins a tie, a NaN wins (the last one), an odd input width leaves a column out.
        const int planes = 3, outHeight = 2;
        int width = 2 * outWidth + outWidth % 2, height = 2 * outHeight + 1;
        var w = new SlidingWindow(input: (height, width), output: (outHeight, outWidth), kernel: (2, 2), stride: (2, 2), padding: (0, 0), dilation: (1, 1));
        var rng = new Random(outWidth);
        var x = Enumerable.Range(0, planes * height * width).Select(_ => (float)rng.Next(-3, 4)).ToArray(); // many ties
        x[5] = float.NaN;
        x[width + 4] = float.NaN;
        var y = new float[planes * outHeight * outWidth];
        var dy = Enumerable.Range(0, y.Length).Select(i => (float)(i + 1)).ToArray();
        Pooling.MaxForward(w, planes, x, y, 1);
        var dx = Enumerable.Repeat(99f, x.Length).ToArray();
        Pooling.MaxBackward(w, planes, x, dy, dx, 1);
        var edx = new float[x.Length];
        for (int c = 0; c < planes; c++)
            for (int i = 0; i < outHeight; i++)
                for (int j = 0; j < outWidth; j++)
                {
                    int best = -1;
                    float m = 0;
                    for (int p = 0; p < 2; p++)
                        for (int q = 0; q < 2; q++)
                        {
                            int at = (c * height + 2 * i + p) * width + 2 * j + q;
                            if (best < 0 || x[at] > m || float.IsNaN(x[at])) { m = x[at]; best = at; }
                        }
                    int o = (c * outHeight + i) * outWidth + j;
                    Assert.Equal(m, y[o]);
                    edx[best] += dy[o];
                }
        Assert.Equal(edx, dx);
    }

    [Fact]
    public void Kernels_refuse_buffers_that_are_too_short()
    {
        var w = new SlidingWindow(input: (4, 4), output: (4, 4), kernel: (3, 3), stride: (1, 1), padding: (1, 1), dilation: (1, 1));
        var x = new float[2 * 16];
        var weight = new float[3 * 2 * 9];
        Convolution.Forward(w, 2, 3, 1, x, weight, default, new float[3 * 16], new float[18 * 16], 1); // fits
        Assert.Throws<ArgumentException>(() => Convolution.Forward(w, 2, 3, 1, x, weight, default, new float[3 * 16 - 1], new float[18 * 16], 1));
        Assert.Throws<ArgumentException>(() => Convolution.Forward(w, 2, 3, 1, x, weight, default, new float[3 * 16], new float[18 * 16 - 1], 1));
        Assert.Throws<ArgumentException>(() => Convolution.Forward(w, 2, 3, 1, x, weight, default, new float[3 * 16], new float[18 * 16], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Convolution.Forward(w, 2, 3, 2, x, weight, default, new float[3 * 16], new float[18 * 16], 1));
        Assert.Throws<ArgumentException>(() => Pooling.MaxForward(w, 2, x, new float[31], 1));
    }
}
