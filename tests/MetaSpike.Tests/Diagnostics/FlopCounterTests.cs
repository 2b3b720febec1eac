using MetaSpike.Diagnostics;
using MetaSpike.Layers;
using MetaSpike.Neurons;
using TorchSharp;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Diagnostics;

/// <summary>FLOP counts worked by hand, and output shapes against the layers' real outputs.</summary>
public class FlopCounterTests
{
    [Fact]
    public void The_conv_snn_of_workload_c_counts_as_worked_by_hand()
    {
        var layers = new List<nn.Module<Tensor, Tensor>>();
        long c = 2, h = 32, w = 16;
        foreach (var n in new long[] { 32, 64, 128 })
        {
            layers.Add(new Conv2d(c, n, 5, padding: 2));
            (c, h, w) = (n, h / 2, w / 2);
            layers.Add(new MaxPool2d(2));
            layers.Add(new Expon(new FeatureShape(c, h, w), 10.0));
            layers.Add(new Lif(new FeatureShape(c, h, w)));
        }
        layers.Add(new Flatten());
        layers.Add(new Linear(1024, 5));

        var counted = FlopCounter.Count(layers, [2, 32, 16]);

        // 2 · C_in · 25 · C_out · H · W on the unpooled map of each stage; 2 · 1024 · 5 for the head.
        long conv1 = 2L * 2 * 25 * 32 * 32 * 16, conv2 = 2L * 32 * 25 * 64 * 16 * 8, conv3 = 2L * 64 * 25 * 128 * 8 * 4, head = 2L * 1024 * 5;
        Assert.Equal(1_638_400, conv1);
        Assert.Equal(13_107_200, conv2);
        Assert.Equal(13_107_200, conv3);
        Assert.Equal([conv1, 0, 0, 0, conv2, 0, 0, 0, conv3, 0, 0, 0, 0, head], counted.Select(l => l.Flops));
        Assert.Equal(27_863_040, FlopCounter.Total(layers, [2, 32, 16]));
        Assert.Equal([128L, 4, 2], counted[^3].OutputShape);
        Assert.Equal([1024L], counted[^2].OutputShape);
        Assert.Equal([5L], counted[^1].OutputShape);
    }

    [Fact]
    public void Strided_convolution_and_pooling_shapes_match_the_layers_outputs()
    {
        var conv = new Conv2d(3, 4, 3, stride: 2);
        var pool = new AvgPool2d(2, stride: 1);
        var counted = FlopCounter.Count([conv, pool], [3, 9, 7]);

        // (9 - 3) / 2 + 1 = 4 rows, (7 - 3) / 2 + 1 = 3 columns: 2 · 3 · 9 · 4 · 4 · 3.
        Assert.Equal(2592, counted[0].Flops);
        using var y = pool.forward(conv.forward(zeros([1, 1, 3, 9, 7])));   // [T, batch, C, H, W]
        Assert.Equal(y.shape[2..], counted[1].OutputShape);
    }

    [Fact]
    public void A_linear_layer_counts_every_leading_row()
    {
        Assert.Equal(2L * 3 * 6 * 2, FlopCounter.Total([new Linear(6, 2)], [3, 6]));
    }

    [Fact]
    public void Shapes_that_do_not_fit_and_unknown_layers_are_rejected()
    {
        Assert.Contains("Linear", Assert.Throws<ArgumentException>(() => FlopCounter.Count([new Linear(10, 2)], [2, 32, 16])).Message);
        Assert.Contains("Conv2d", Assert.Throws<ArgumentException>(() => FlopCounter.Count([new Conv2d(3, 4, 3)], [2, 8, 8])).Message);
        Assert.Throws<ArgumentException>(() => FlopCounter.Count([new Conv2d(2, 4, 5)], [2, 3, 3]));
        Assert.Contains("Identity", Assert.Throws<ArgumentException>(() => FlopCounter.Count([nn.Identity()], [4])).Message);
        Assert.Throws<ArgumentException>(() => FlopCounter.Count([new Linear(4, 2)], []));
    }
}
