using MetaSpike.Losses;
using TorchSharp;
using static MetaSpike.Tests.Losses.ArgumentAssert;
using static MetaSpike.Tests.TensorAssert;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Losses;

public class LossTests
{
    public static TheoryData<ScalarType> FloatTypes() => new() { ScalarType.Float32, ScalarType.Float64 };

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void Cross_entropy_of_a_hand_worked_example_and_its_gradient(ScalarType dtype)
    {
        using var _ = NewDisposeScope();
        var logits = tensor(new double[] { 1, 2, 0, 0 }, dtype).reshape(2, 2).requires_grad_();
        var labels = tensor(new long[] { 1, 0 });

        var loss = Loss.CrossEntropy(logits, labels);
        Assert.Equal(dtype, loss.dtype);
        Assert.Empty(loss.shape);

        double z0 = Math.Exp(1) + Math.Exp(2);
        double l0 = -Math.Log(Math.Exp(2) / z0);
        double l1 = -Math.Log(Math.Exp(0) / 2);
        var (rel, abs) = Tolerance(dtype);
        Close((l0 + l1) / 2, Values(loss)[0], rel, abs, "mean loss");

        loss.backward();
        // (softmax - onehot) / B
        double[] expected = [Math.Exp(1) / z0 / 2, (Math.Exp(2) / z0 - 1) / 2, (0.5 - 1) / 2, 0.5 / 2];
        var grad = Values(logits.grad!);
        for (int i = 0; i < 4; i++) Close(expected[i], grad[i], rel, abs, $"grad[{i}]");

        Close(l0 + l1, Loss.CrossEntropy(logits, labels, Reduction.Sum).ToDouble(), rel, abs, "sum");
        var none = Loss.CrossEntropy(logits, labels, Reduction.None);
        Assert.Equal(new long[] { 2 }, none.shape);
        Close(l0, Values(none)[0], rel, abs, "sample 0");
        Close(l1, Values(none)[1], rel, abs, "sample 1");
    }

    [Fact]
    public void Cross_entropy_picks_the_label_column_of_each_row()
    {
        using var _ = NewDisposeScope();
        double[,] z = { { 0.3, -1.2, 2.0, 0.1 }, { 1.5, 0.2, -0.7, 0.0 }, { -0.4, 0.9, 0.9, 3.1 } };
        long[] y = [2, 0, 3];
        var data = new double[12];
        double expected = 0;
        for (int b = 0; b < 3; b++)
        {
            double sum = 0;
            for (int c = 0; c < 4; c++) { data[b * 4 + c] = z[b, c]; sum += Math.Exp(z[b, c]); }
            expected += Math.Log(sum) - z[b, y[b]];
        }
        // Int32 labels are accepted as well as Int64.
        var loss = Loss.CrossEntropy(tensor(data, ScalarType.Float64).reshape(3, 4), tensor(y).to_type(ScalarType.Int32));
        Close(expected / 3, loss.ToDouble(), 1e-12, 1e-14, "mean loss");
    }

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void Cross_entropy_stays_finite_for_large_logits(ScalarType dtype)
    {
        using var _ = NewDisposeScope();
        var logits = tensor(new double[] { 1000, 0, -1000, 1000, 1000, 0 }, dtype).reshape(2, 3).requires_grad_();
        var loss = Loss.CrossEntropy(logits, tensor(new long[] { 1, 2 }), Reduction.None);
        Close(1000, Values(loss)[0], 1e-6, 0, "sample 0");
        Close(1000 + Math.Log(2), Values(loss)[1], 1e-6, 0, "sample 1");
        loss.sum().backward();
        AllFinite(logits.grad!, "gradient");
    }

    [Fact]
    public void Cross_entropy_rejects_bad_input()
    {
        using var _ = NewDisposeScope();
        var logits = tensor(new double[] { 1, 2, 0, 0 }).reshape(2, 2);
        var labels = tensor(new long[] { 1, 0 });
        Throws(() => Loss.CrossEntropy(logits.reshape(4), labels), "Loss.CrossEntropy", "[B, C]", "[4]");
        Throws(() => Loss.CrossEntropy(logits, tensor(new long[] { 1, 0, 1 })), "Loss.CrossEntropy", "labels", "[3]", "[2, 2]");
        Throws(() => Loss.CrossEntropy(logits, tensor(new long[] { 1, 2 })), "Loss.CrossEntropy", "[0, 2)", "2");
        Throws(() => Loss.CrossEntropy(logits, tensor(new long[] { -1, 0 })), "Loss.CrossEntropy", "[0, 2)", "-1");
        Throws(() => Loss.CrossEntropy(logits, tensor(new double[] { 1, 0 })), "Loss.CrossEntropy", "integer", "Float64");
        Throws(() => Loss.CrossEntropy(logits.to_type(ScalarType.Int64), labels), "Loss.CrossEntropy", "floating-point");
        Throws(() => Loss.CrossEntropy(tensor(new double[] { 1, double.NaN, 0, 0 }).reshape(2, 2), labels), "Loss.CrossEntropy", "NaN");
        Throws(() => Loss.CrossEntropy(zeros(0, 2), zeros(0, ScalarType.Int64)), "Loss.CrossEntropy", "empty");
        Assert.Throws<ArgumentOutOfRangeException>(() => Loss.CrossEntropy(logits, labels, (Reduction)42));
    }

    [Theory]
    [MemberData(nameof(FloatTypes))]
    public void Mse_values_reductions_and_gradient(ScalarType dtype)
    {
        using var _ = NewDisposeScope();
        var prediction = tensor(new double[] { 1, 2, 3 }, dtype).requires_grad_();
        var target = tensor(new double[] { 1, 0, 5 }, ScalarType.Float64);

        var mean = Loss.Mse(prediction, target);
        Assert.Equal(dtype, mean.dtype);
        Close(8.0 / 3, mean.ToDouble(), 1e-6, 0, "mean");
        Close(8, Loss.Mse(prediction, target, Reduction.Sum).ToDouble(), 1e-6, 0, "sum");
        Assert.Equal(new double[] { 0, 4, 4 }, Values(Loss.Mse(prediction, target, Reduction.None)));

        mean.backward();
        // d/dp mean((p - t)^2) = 2 (p - t) / n
        double[] expected = [0, 4.0 / 3, -4.0 / 3];
        var grad = Values(prediction.grad!);
        for (int i = 0; i < 3; i++) Close(expected[i], grad[i], 1e-6, 0, $"grad[{i}]");
    }

    [Fact]
    public void Mse_rejects_bad_input()
    {
        using var _ = NewDisposeScope();
        Throws(() => Loss.Mse(zeros(2, 3), zeros(3, 2)), "Loss.Mse", "[2, 3]", "[3, 2]");
        Throws(() => Loss.Mse(zeros(3), zeros(3, ScalarType.Int64)), "Loss.Mse", "target", "floating-point");
        Throws(() => Loss.Mse(zeros(0), zeros(0)), "Loss.Mse", "empty");
    }
}
