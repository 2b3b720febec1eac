namespace MetaSpike.OnlineLearning;

/// <summary>How an output error reaches the neurons below it.</summary>
public enum FeedbackMode
{
    /// <summary>Through the transposed output weights (the gradient's path; symmetric feedback).</summary>
    Symmetric,

    /// <summary>Through a fixed random matrix of the output weights' shape (random feedback alignment).</summary>
    Random,
}
