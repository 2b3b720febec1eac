namespace MetaSpike.Data.Generators;

/// <summary>Settings of <see cref="SaccadeRecorder"/> (defaults after N-MNIST).</summary>
public sealed record SaccadeOptions
{
    /// <summary>Sensor width (default 34: a 28-pixel image with 3 pixels of room on each side).</summary>
    public int SensorWidth { get; init; } = 34;

    /// <summary>Sensor height (default 34).</summary>
    public int SensorHeight { get; init; } = 34;

    /// <summary>Duration of each of the three saccades in ms (default 100).</summary>
    public double SaccadeMs { get; init; } = 100;

    /// <summary>Side of the saccade triangle in pixels (default 4): the image moves within ± half of it around the centre.</summary>
    public double Amplitude { get; init; } = 4;

    /// <summary>Frame step of the rendering in µs (default 1000).</summary>
    public long StepUs { get; init; } = 1000;

    /// <summary>Screen intensity of pixel value 0 (default 0.1: a monitor's black is not dark).</summary>
    public double Black { get; init; } = 0.1;

    /// <summary>Screen intensity of pixel value 255 (default 1).</summary>
    public double White { get; init; } = 1.0;

    /// <summary>The sensor (default <see cref="DvsOptions"/>).</summary>
    public DvsOptions Dvs { get; init; } = new();

    /// <summary>Throws when a setting is out of range.</summary>
    internal void Validate(string argument)
    {
        if (SensorWidth is < 1 or > ushort.MaxValue + 1 || SensorHeight is < 1 or > ushort.MaxValue + 1)
            throw new ArgumentException($"the sensor size must be in 1 .. 65536, got {SensorWidth} x {SensorHeight}.", argument);
        if (!(SaccadeMs > 0) || !double.IsFinite(SaccadeMs)) throw new ArgumentException($"SaccadeMs must be positive, got {SaccadeMs}.", argument);
        if (!(Amplitude >= 0) || !double.IsFinite(Amplitude)) throw new ArgumentException($"Amplitude must not be negative, got {Amplitude}.", argument);
        if (StepUs < 1) throw new ArgumentException($"StepUs must be at least 1, got {StepUs}.", argument);
        if (!(Black >= 0) || !(White > Black) || !double.IsFinite(White))
            throw new ArgumentException($"need 0 ≤ Black < White, got Black {Black}, White {White}.", argument);
        ArgumentNullException.ThrowIfNull(Dvs, argument);
        Dvs.Validate(argument);
    }
}

/// <summary>
/// The N-MNIST recording procedure, simulated: a still image, centred on the sensor, moves along three saccades
/// that form a triangle (right-down, left-down, then up back to the start; each with a smooth start and stop)
/// in front of a <see cref="DvsSimulator"/>, which sees the moving edges. Pixels between image pixels are
/// interpolated bilinearly; outside the image the screen is black.
/// </summary>
public sealed class SaccadeRecorder
{
    /// <summary>Creates the recorder and its sensor (threshold mismatch from <paramref name="seed"/>).</summary>
    /// <exception cref="ArgumentException">A setting out of range.</exception>
    public SaccadeRecorder(int seed, SaccadeOptions? options = null)
    {
        Options = options ?? new SaccadeOptions();
        Options.Validate(nameof(options));
        Sensor = new DvsSimulator(Options.SensorWidth, Options.SensorHeight, seed, Options.Dvs);
    }

    /// <summary>The settings.</summary>
    public SaccadeOptions Options { get; }

    /// <summary>The simulated sensor.</summary>
    public DvsSimulator Sensor { get; }

    /// <summary>Number of frames rendered per recording (three saccades, both ends included).</summary>
    public int FrameCount => (int)Math.Round(3 * Options.SaccadeMs * 1000 / Options.StepUs) + 1;

    /// <summary>Records an 8-bit image (0 = black, 255 = white), row-major.</summary>
    /// <param name="pixels">rows x columns bytes.</param>
    /// <param name="rows">Image height.</param>
    /// <param name="columns">Image width.</param>
    /// <param name="noise">Random source of the sensor's background activity (needed only when it is on).</param>
    /// <exception cref="ArgumentException">A size below 1 or a pixel count other than rows x columns.</exception>
    public EventStream Record(ReadOnlySpan<byte> pixels, int rows, int columns, Random? noise = null)
    {
        CheckSize(pixels.Length, rows, columns, nameof(pixels));
        var image = new float[pixels.Length];
        for (int i = 0; i < image.Length; i++) image[i] = pixels[i] / 255f;
        return Record(image, rows, columns, noise);
    }

    /// <summary>Records an 8-bit image given as [row, column].</summary>
    public EventStream Record(byte[,] image, Random? noise = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        int rows = image.GetLength(0), columns = image.GetLength(1);
        var values = new float[rows * columns];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                values[r * columns + c] = image[r, c] / 255f;
        return Record(values, rows, columns, noise);
    }

    /// <summary>Records an image of values in [0, 1] (0 = black), row-major.</summary>
    /// <exception cref="ArgumentException">A size below 1, a value count other than rows x columns, or a value outside [0, 1].</exception>
    public EventStream Record(float[] image, int rows, int columns, Random? noise = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        CheckSize(image.Length, rows, columns, nameof(image));
        for (int i = 0; i < image.Length; i++)
            if (!(image[i] >= 0 && image[i] <= 1)) throw new ArgumentException($"image value {i} is {image[i]}, not in [0, 1].", nameof(image));
        int width = Options.SensorWidth, height = Options.SensorHeight;
        float black = (float)Options.Black, range = (float)(Options.White - Options.Black);
        void Render(int k, float[] frame)
        {
            var (ox, oy) = OffsetAt(k * (double)Options.StepUs / 1000, rows, columns);
            for (int y = 0; y < height; y++)
            {
                double v = y - oy;
                int r0 = (int)Math.Floor(v);
                float fy = (float)(v - r0);
                for (int x = 0; x < width; x++)
                {
                    double u = x - ox;
                    int c0 = (int)Math.Floor(u);
                    float fx = (float)(u - c0);
                    float top = (1 - fx) * Pixel(r0, c0) + fx * Pixel(r0, c0 + 1);
                    float bottom = (1 - fx) * Pixel(r0 + 1, c0) + fx * Pixel(r0 + 1, c0 + 1);
                    frame[y * width + x] = black + range * ((1 - fy) * top + fy * bottom);
                }
            }
        }
        float Pixel(int r, int c) => (uint)r < (uint)rows && (uint)c < (uint)columns ? image[r * columns + c] : 0f;
        return Sensor.Simulate(FrameCount, Options.StepUs, Render, noise);
    }

    /// <summary>
    /// Where the image's top-left corner is (in sensor pixels) <paramref name="timeMs"/> into the recording: the
    /// triangle centre - A/2 (1, 1) → centre + A/2 (1, 0) → centre + A/2 (-1, 1) → back, A the amplitude.
    /// </summary>
    public (double X, double Y) OffsetAt(double timeMs, int rows, int columns)
    {
        double cx = (Options.SensorWidth - columns) / 2.0, cy = (Options.SensorHeight - rows) / 2.0, a = Options.Amplitude / 2;
        ReadOnlySpan<double> vx = [-a, a, -a, -a], vy = [-a, 0, a, -a];
        double s = Math.Clamp(timeMs / Options.SaccadeMs, 0, 3);
        int j = Math.Min((int)s, 2);
        double ease = (1 - Math.Cos(Math.PI * (s - j))) / 2;
        return (cx + vx[j] + ease * (vx[j + 1] - vx[j]), cy + vy[j] + ease * (vy[j + 1] - vy[j]));
    }

    private static void CheckSize(int length, int rows, int columns, string argument)
    {
        if (rows < 1 || columns < 1) throw new ArgumentException($"an image needs at least 1 x 1 pixels, got {rows} x {columns}.", argument);
        if (length != (long)rows * columns) throw new ArgumentException($"a {rows} x {columns} image has {(long)rows * columns} pixels, got {length}.", argument);
    }
}
