namespace MetaSpike.Data.Generators;

/// <summary>
/// A generated 10-class grey-image set in MNIST's layout (28 x 28 bytes by default), for running image
/// classifiers offline: each class is a shape (bars, a diagonal, plus, cross, ring, disc, square outline,
/// filled square, triangle), drawn anti-aliased with a random centre, size, rotation, stroke width and contrast,
/// over pixel noise. Image i has class i mod 10 and depends only on (seed, i).
/// </summary>
public static class ShapeImages
{
    private const int ImagePurpose = 31;

    /// <summary>The class names, in label order.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["horizontal bar", "vertical bar", "diagonal", "plus", "cross", "ring", "disc", "square", "filled square", "triangle"];

    /// <summary>Generates <paramref name="count"/> images and their labels.</summary>
    /// <param name="count">Number of images (0 or more).</param>
    /// <param name="seed">Seed of the set; sets with different seeds share no images.</param>
    /// <param name="size">Image width and height in pixels (16 .. 256, default 28).</param>
    /// <param name="noise">Standard deviation of the Gaussian pixel noise, as a fraction of full scale (0 .. 1, default 0.2).</param>
    /// <exception cref="ArgumentException">A negative count, a size outside 16 .. 256 or a noise level outside [0, 1].</exception>
    public static (IdxImages Images, byte[] Labels) Generate(int count, int seed, int size = 28, double noise = 0.2)
    {
        if (count < 0) throw new ArgumentException($"the image count must not be negative, got {count}.", nameof(count));
        if (size is < 16 or > 256) throw new ArgumentException($"the image size must be in 16 .. 256, got {size}.", nameof(size));
        if (!(noise is >= 0 and <= 1)) throw new ArgumentException($"the noise level must be in [0, 1], got {noise}.", nameof(noise));
        var pixels = new byte[(long)count * size * size];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = (byte)(i % ClassNames.Count);
            Draw(labels[i], new Random(SeedMix.Derive(seed, ImagePurpose, i)), size, noise, pixels.AsSpan(i * size * size, size * size));
        }
        return (new IdxImages(count, size, size, pixels), labels);
    }

    private static void Draw(int label, Random rng, int size, double noise, Span<byte> image)
    {
        // Shape-local coordinates: the shape spans about [-1, 1]; `radius` pixels per unit.
        double radius = size * rng.Uniform(0.24, 0.36);
        double cx = size / 2.0 + rng.Uniform(-0.12, 0.12) * size, cy = size / 2.0 + rng.Uniform(-0.12, 0.12) * size;
        double angle = rng.Uniform(-0.35, 0.35), cos = Math.Cos(angle), sin = Math.Sin(angle);
        double halfWidth = rng.Uniform(0.7, 1.6);
        double contrast = rng.Uniform(0.55, 1.0);
        for (int r = 0; r < size; r++)
        {
            for (int c = 0; c < size; c++)
            {
                double dx = c + 0.5 - cx, dy = r + 0.5 - cy;
                double u = (cos * dx + sin * dy) / radius, v = (-sin * dx + cos * dy) / radius;
                // Distance to the shape in pixels: to the centre line of a stroke, or signed (negative inside) for a filled shape.
                double coverage = Filled(label)
                    ? Math.Clamp(0.5 - SignedDistance(label, u, v) * radius, 0, 1)
                    : Math.Clamp(halfWidth + 0.5 - StrokeDistance(label, u, v) * radius, 0, 1);
                double value = contrast * coverage + noise * rng.NextGaussian();
                image[r * size + c] = (byte)Math.Round(255 * Math.Clamp(value, 0, 1));
            }
        }
    }

    private static bool Filled(int label) => label is 6 or 8;

    private static double SignedDistance(int label, double u, double v) => label == 6
        ? Math.Sqrt(u * u + v * v) - 0.8
        : Math.Max(Math.Abs(u), Math.Abs(v)) - 0.72;

    private static double StrokeDistance(int label, double u, double v) => label switch
    {
        0 => Segment(u, v, -1, 0, 1, 0),
        1 => Segment(u, v, 0, -1, 0, 1),
        2 => Segment(u, v, -0.8, 0.8, 0.8, -0.8),
        3 => Math.Min(Segment(u, v, -1, 0, 1, 0), Segment(u, v, 0, -1, 0, 1)),
        4 => Math.Min(Segment(u, v, -0.75, -0.75, 0.75, 0.75), Segment(u, v, -0.75, 0.75, 0.75, -0.75)),
        5 => Math.Abs(Math.Sqrt(u * u + v * v) - 0.85),
        7 => Math.Abs(Math.Max(Math.Abs(u), Math.Abs(v)) - 0.8),
        _ => Math.Min(Segment(u, v, 0, -0.9, 0.85, 0.7), Math.Min(Segment(u, v, 0.85, 0.7, -0.85, 0.7), Segment(u, v, -0.85, 0.7, 0, -0.9))),
    };

    /// <summary>Distance from (u, v) to the segment (x0, y0)-(x1, y1).</summary>
    private static double Segment(double u, double v, double x0, double y0, double x1, double y1)
    {
        double ex = x1 - x0, ey = y1 - y0;
        double t = Math.Clamp(((u - x0) * ex + (v - y0) * ey) / (ex * ex + ey * ey), 0, 1);
        double px = x0 + t * ex - u, py = y0 + t * ey - v;
        return Math.Sqrt(px * px + py * py);
    }
}
