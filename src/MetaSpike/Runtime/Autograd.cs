using static TorchSharp.torch;

namespace MetaSpike.Runtime;

/// <summary>
/// A checked front to <c>torch.autograd.grad</c>. In TorchSharp 0.107.0 a bad call (an input that does not
/// require grad, a non-scalar output without grad_outputs, mismatched shapes) aborts the process instead of
/// throwing, so every precondition is checked here first and reported as an <see cref="ArgumentException"/>.
/// </summary>
public static class Autograd
{
    /// <summary>
    /// Gradients of <paramref name="outputs"/> with respect to <paramref name="inputs"/>. An input the outputs do
    /// not depend on gets zeros (never an undefined tensor); outputs that do not require grad contribute nothing.
    /// </summary>
    /// <param name="outputs">Differentiated tensors; scalars unless <paramref name="gradOutputs"/> is given.</param>
    /// <param name="inputs">Tensors to differentiate with respect to; each must require grad.</param>
    /// <param name="gradOutputs">Upstream gradients, one per output, each of the output's shape.</param>
    /// <param name="createGraph">Record the gradient computation, for higher-order derivatives.</param>
    /// <param name="retainGraph">Keep the graph for further backward passes (default: <paramref name="createGraph"/>).</param>
    public static Tensor[] Grad(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs,
        IReadOnlyList<Tensor>? gradOutputs = null, bool createGraph = false, bool? retainGraph = null)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0) throw new ArgumentException("at least one input is required.", nameof(inputs));
        for (int i = 0; i < inputs.Count; i++)
        {
            if (inputs[i] is null || inputs[i].IsInvalid) throw new ArgumentException($"input {i} is null or disposed.", nameof(inputs));
            if (!inputs[i].requires_grad) throw new ArgumentException($"input {i} (shape {inputs[i].ShapeText()}) does not require grad.", nameof(inputs));
        }
        if (gradOutputs is not null && gradOutputs.Count != outputs.Count)
            throw new ArgumentException($"{gradOutputs.Count} grad_outputs were given for {outputs.Count} outputs.", nameof(gradOutputs));

        var usedOutputs = new List<Tensor>();
        var usedGrads = new List<Tensor>();
        for (int o = 0; o < outputs.Count; o++)
        {
            var output = outputs[o];
            if (output is null || output.IsInvalid) throw new ArgumentException($"output {o} is null or disposed.", nameof(outputs));
            if (gradOutputs is null)
            {
                if (output.numel() != 1)
                    throw new ArgumentException($"output {o} has shape [{string.Join(", ", output.shape)}]; give grad_outputs for non-scalar outputs.", nameof(outputs));
            }
            else if (!gradOutputs[o].shape.SequenceEqual(output.shape))
            {
                throw new ArgumentException($"grad_output {o} has shape [{string.Join(", ", gradOutputs[o].shape)}], its output [{string.Join(", ", output.shape)}].", nameof(gradOutputs));
            }
            if (!output.requires_grad) continue;
            usedOutputs.Add(output);
            usedGrads.Add(gradOutputs?[o] ?? ones_like(output));
        }

        var result = new Tensor[inputs.Count];
        if (usedOutputs.Count > 0)
        {
            var grads = autograd.grad(usedOutputs, inputs.ToList(), usedGrads, retainGraph ?? createGraph, createGraph, allow_unused: true);
            for (int i = 0; i < inputs.Count; i++)
                result[i] = grads[i] is { IsInvalid: false } g ? g : zeros_like(inputs[i]);
        }
        else
        {
            for (int i = 0; i < inputs.Count; i++) result[i] = zeros_like(inputs[i]);
        }
        return result;
    }

    /// <summary>The gradient of a scalar <paramref name="output"/> with respect to one input.</summary>
    public static Tensor Grad(Tensor output, Tensor input, bool createGraph = false) =>
        Grad([output], [input], null, createGraph)[0];

    /// <summary>Whether an operation on these tensors would be recorded: grad mode is on and one of them requires grad.</summary>
    internal static bool Records(params ReadOnlySpan<Tensor?> tensors)
    {
        if (!is_grad_enabled()) return false;
        foreach (var t in tensors)
            if (t is { requires_grad: true }) return true;
        return false;
    }
}
