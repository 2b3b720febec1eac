using MetaSpike.Losses;
using TorchSharp;
using static MetaSpike.Tests.Losses.ArgumentAssert;
using static TorchSharp.torch;

namespace MetaSpike.Tests.Losses;

public class MetricsTests
{
    [Fact]
    public void Accuracy_from_logits_and_from_predictions()
    {
        using var _ = NewDisposeScope();
        var logits = tensor(new double[,] { { 0.1, 0.9 }, { 0.8, 0.2 }, { 0.3, 0.7 } }, ScalarType.Float32);
        Assert.Equal(2.0 / 3, Metrics.Accuracy(logits, tensor(new long[] { 1, 1, 1 })));
        Assert.Equal(1.0, Metrics.Accuracy(logits, tensor(new long[] { 1, 0, 1 })));
        Assert.Equal(0.5, Metrics.Accuracy(tensor(new long[] { 2, 0, 1, 1 }), tensor(new int[] { 2, 1, 1, 0 })));
        Assert.Equal(0.0, Metrics.Accuracy(tensor(new int[] { 3 }), tensor(new long[] { 4 })));
    }

    [Fact]
    public void Confusion_matrix_counts_true_label_rows_and_predicted_columns()
    {
        using var _ = NewDisposeScope();
        var predictions = tensor(new long[] { 0, 1, 2, 2, 1, 0 });
        var labels = tensor(new long[] { 0, 1, 2, 1, 1, 2 });
        var counts = Metrics.ConfusionMatrix(predictions, labels, 3);
        Assert.Equal(new long[,] { { 1, 0, 0 }, { 0, 2, 1 }, { 1, 0, 1 } }, counts);

        var cm = ConfusionMatrix.From(predictions, labels, 4);
        Assert.Equal(4, cm.Classes);
        Assert.Equal(6, cm.Total);
        Assert.Equal(2, cm[1, 1]);
        Assert.Equal(4.0 / 6, cm.Accuracy);
        Assert.Equal(1.0, cm.Recall(0));
        Assert.Equal(2.0 / 3, cm.Recall(1));
        Assert.Equal(0.5, cm.Recall(2));
        Assert.True(double.IsNaN(cm.Recall(3)));
        Assert.Throws<ArgumentOutOfRangeException>(() => cm.Recall(4));

        var twice = cm.Add(cm);
        Assert.Equal(12, twice.Total);
        Assert.Equal(4, twice[1, 1]);
        Assert.Equal(6, cm.Total);

        var text = new ConfusionMatrix(counts).ToString().Split('\n');
        Assert.Equal(5, text.Length);
        Assert.Equal(["true\\pred", "0", "1", "2", "recall"], text[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["1", "0", "2", "1", "0.667"], text[2].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("accuracy 0.667 (6 samples)", text[4]);
    }

    [Fact]
    public void Confusion_matrix_wrapper_validates_counts()
    {
        Throws(() => new ConfusionMatrix(new long[2, 3]), "square", "2 x 3");
        Throws(() => new ConfusionMatrix(new long[,] { { 1, -1 }, { 0, 0 } }), ">= 0", "-1");
        Throws(() => new ConfusionMatrix(new long[2, 2]).Add(new ConfusionMatrix(new long[3, 3])), "3 classes", "2");
        Assert.True(double.IsNaN(new ConfusionMatrix(new long[2, 2]).Accuracy));
    }

    [Fact]
    public void Metrics_reject_bad_input()
    {
        using var _ = NewDisposeScope();
        var logits = zeros(3, 2);
        var labels = tensor(new long[] { 0, 1, 1 });
        Throws(() => Metrics.Accuracy(logits, tensor(new long[] { 0, 2, 1 })), "Metrics.Accuracy", "[0, 2)", "2");
        Throws(() => Metrics.Accuracy(zeros(3, 2, 2), labels), "Metrics.Accuracy", "[3, 2, 2]", "[B, C]");
        Throws(() => Metrics.Accuracy(zeros(4, 2), labels), "Metrics.Accuracy", "B = 3", "[4, 2]");
        Throws(() => Metrics.Accuracy(zeros(3), labels), "Metrics.Accuracy", "integer predictions [B]", "[3]");
        Throws(() => Metrics.Accuracy(logits, zeros(3)), "Metrics.Accuracy", "labels", "integer");
        Throws(() => Metrics.Accuracy(tensor(new long[] { 0 }), tensor(new long[] { -1 })), "Metrics.Accuracy", "-1");
        Throws(() => Metrics.Accuracy(tensor(new float[,] { { 0, float.NaN } }), tensor(new long[] { 0 })), "Metrics.Accuracy", "NaN");
        Throws(() => Metrics.Accuracy(zeros(0, 2), zeros(0, ScalarType.Int64)), "Metrics.Accuracy", "empty");

        var predictions = tensor(new long[] { 0, 1, 2, 2, 1, 0 });
        Throws(() => Metrics.ConfusionMatrix(predictions, tensor(new long[] { 0, 1, 2, 1, 1, 3 }), 3), "Metrics.ConfusionMatrix", "labels[5] = 3", "[0, 3)");
        Throws(() => Metrics.ConfusionMatrix(predictions, tensor(new long[] { 0, -1, 2, 1, 1, 0 }), 3), "labels[1] = -1");
        Throws(() => Metrics.ConfusionMatrix(predictions, tensor(new long[] { 0, 1, 0, 1, 1, 0 }), 2), "predictions[2] = 2", "[0, 2)");
        Throws(() => Metrics.ConfusionMatrix(predictions, tensor(new long[] { 0, 1 }), 3), "Metrics.ConfusionMatrix", "[2]", "[6]");
        Throws(() => Metrics.ConfusionMatrix(predictions.to_type(ScalarType.Float32), labels.expand(2, 3).reshape(6), 3), "predictions", "integer");
        Throws(() => Metrics.ConfusionMatrix(predictions, predictions, 0), "classes", ">= 1");
    }
}
