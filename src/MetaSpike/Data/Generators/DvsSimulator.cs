using MetaSpike.Data.Transforms;

namespace MetaSpike.Data.Generators;

/// <summary>
/// A simulated dynamic vision sensor: turns a sequence of intensity frames into events. Each pixel keeps a
/// reference log intensity; between two frames its log intensity is interpolated linearly in time, and every
/// crossing of reference ± threshold emits an ON (1) or OFF (0) event at the crossing's sub-step time and moves the
/// reference by one threshold. Thresholds differ per pixel (mismatch drawn once from the sensor's seed) and a pixel
/// fires at most once per refractory period. The thresholds are fixed at construction, so one simulator can serve
/// several threads.
/// </summary>
public sealed class DvsSimulator
{
    private readonly float[] _on;
    private readonly float[] _off;

    /// <summary>Creates a sensor and draws its per-pixel thresholds.</summary>
    /// <param name="width">Sensor width (1 .. 65536).</param>
    /// <param name="height">Sensor height (1 .. 65536).</param>
    /// <param name="seed">Seed of the threshold mismatch.</param>
    /// <param name="options">Sensor settings (defaults: <see cref="DvsOptions"/>).</param>
    /// <exception cref="ArgumentException">A size or setting out of range.</exception>
    public DvsSimulator(int width, int height, int seed, DvsOptions? options = null)
    {
        if (width is < 1 or > ushort.MaxValue + 1) throw new ArgumentException($"the sensor width must be in 1 .. 65536, got {width}.", nameof(width));
        if (height is < 1 or > ushort.MaxValue + 1) throw new ArgumentException($"the sensor height must be in 1 .. 65536, got {height}.", nameof(height));
        if ((long)width * height > Array.MaxLength) throw new ArgumentException($"a {width} x {height} sensor has too many pixels.", nameof(height));
        Options = options ?? new DvsOptions();
        Options.Validate(nameof(options));
        (Width, Height) = (width, height);
        var rng = new Random(seed);
        _on = new float[width * height];
        _off = new float[width * height];
        for (int i = 0; i < _on.Length; i++)
        {
            _on[i] = (float)Math.Max(Options.MinThreshold, Options.OnThreshold + Options.ThresholdSigma * rng.NextGaussian());
            _off[i] = (float)Math.Max(Options.MinThreshold, Options.OffThreshold + Options.ThresholdSigma * rng.NextGaussian());
        }
    }

    /// <summary>Sensor width.</summary>
    public int Width { get; }

    /// <summary>Sensor height.</summary>
    public int Height { get; }

    /// <summary>The settings.</summary>
    public DvsOptions Options { get; }

    /// <summary>The ON threshold drawn for pixel (x, y).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The pixel is outside the sensor.</exception>
    public float OnThresholdAt(int x, int y) => _on[PixelIndex(x, y)];

    /// <summary>The OFF threshold drawn for pixel (x, y).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The pixel is outside the sensor.</exception>
    public float OffThresholdAt(int x, int y) => _off[PixelIndex(x, y)];

    /// <summary>
    /// Simulates a sequence of frames: each is an intensity image (row-major, Width x Height, I + LogEpsilon &gt; 0)
    /// and its time in µs, times strictly increasing. The first frame sets the references and emits nothing.
    /// </summary>
    /// <param name="frames">The frames; an array may be reused from one frame to the next.</param>
    /// <param name="noise">Random source of background activity; required when <see cref="DvsOptions.NoiseRateHz"/> &gt; 0.</param>
    /// <exception cref="ArgumentException">A frame of the wrong size, a time not after the previous one, or an intensity whose log is not finite.</exception>
    public EventStream Simulate(IEnumerable<(long TimeUs, float[] Intensity)> frames, Random? noise = null)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var run = new Run(this, noise);
        foreach (var (time, intensity) in frames) run.Add(intensity, time);
        return run.Build();
    }

    /// <summary>
    /// Simulates <paramref name="frameCount"/> frames at times k * <paramref name="stepUs"/>: before each,
    /// <paramref name="render"/>(k, buffer) draws frame k into the buffer, which keeps the previous frame (so
    /// drawing can be incremental; it starts all zero).
    /// </summary>
    /// <exception cref="ArgumentException">A non-positive count or step, or an intensity whose log is not finite.</exception>
    public EventStream Simulate(int frameCount, long stepUs, Action<int, float[]> render, Random? noise = null)
    {
        ArgumentNullException.ThrowIfNull(render);
        if (frameCount < 1) throw new ArgumentException($"the frame count must be at least 1, got {frameCount}.", nameof(frameCount));
        if (stepUs < 1) throw new ArgumentException($"the frame step must be at least 1 µs, got {stepUs}.", nameof(stepUs));
        var buffer = new float[Width * Height];
        var run = new Run(this, noise);
        for (int k = 0; k < frameCount; k++)
        {
            render(k, buffer);
            run.Add(buffer, k * stepUs);
        }
        return run.Build();
    }

    private int PixelIndex(int x, int y)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(x);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(x, Width);
        ArgumentOutOfRangeException.ThrowIfNegative(y);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(y, Height);
        return y * Width + x;
    }

    /// <summary>The state of one simulation: per-pixel reference, last frame and last event time.</summary>
    private sealed class Run
    {
        private readonly DvsSimulator _sensor;
        private readonly Random? _noise;
        private readonly float[] _reference, _lastLog, _lastIntensity;
        private readonly long[] _lastEvent;
        private readonly EventStreamBuilder _events = new();
        private readonly float _epsilon;
        private long _time;
        private int _frames;

        public Run(DvsSimulator sensor, Random? noise)
        {
            if (sensor.Options.NoiseRateHz > 0 && noise is null)
                throw new ArgumentNullException(nameof(noise), "background activity is on (NoiseRateHz > 0): pass a Random.");
            (_sensor, _noise) = (sensor, noise);
            int n = sensor.Width * sensor.Height;
            (_reference, _lastLog, _lastIntensity, _lastEvent) = (new float[n], new float[n], new float[n], new long[n]);
            _epsilon = (float)sensor.Options.LogEpsilon;
        }

        public void Add(float[] intensity, long time)
        {
            ArgumentNullException.ThrowIfNull(intensity);
            if (intensity.Length != _reference.Length)
                throw new ArgumentException($"frame {_frames} has {intensity.Length} values; the {_sensor.Width} x {_sensor.Height} sensor needs {_reference.Length}.", nameof(intensity));
            if (_frames == 0) Start(intensity, time);
            else Step(intensity, time);
            _frames++;
        }

        public EventStream Build() => _events.Build(_sensor.Width, _sensor.Height);

        private float Log(float value, int pixel)
        {
            float shifted = value + _epsilon;
            if (!(shifted > 0) || float.IsInfinity(shifted))
                throw new ArgumentException($"frame {_frames}, pixel {pixel}: the intensity {value} + LogEpsilon has no finite log.", "intensity");
            return MathF.Log(shifted);
        }

        private void Start(float[] intensity, long time)
        {
            for (int i = 0; i < intensity.Length; i++)
            {
                _lastIntensity[i] = intensity[i];
                _reference[i] = _lastLog[i] = Log(intensity[i], i);
            }
            // Far enough in the past that the first crossing is never refractory, near enough not to overflow.
            Array.Fill(_lastEvent, long.MinValue / 4);
            _time = time;
        }

        private void Step(float[] intensity, long time)
        {
            if (time <= _time)
                throw new ArgumentException($"frame {_frames} is at {time} µs, not after the previous frame ({_time} µs).", nameof(time));
            int first = _events.Count;
            float[] on = _sensor._on, off = _sensor._off;
            for (int i = 0; i < intensity.Length; i++)
            {
                float before = _lastLog[i], after = before;
                if (intensity[i] != _lastIntensity[i])
                {
                    after = Log(intensity[i], i);
                    _lastIntensity[i] = intensity[i];
                    _lastLog[i] = after;
                }
                float reference = _reference[i];
                if (after - reference >= on[i] || reference - after >= off[i]) Fire(i, before, after, time);
            }
            AddNoise(time);
            _events.SortFrom(first);
            _time = time;
        }

        /// <summary>Emits pixel <paramref name="i"/>'s crossings between the previous frame and this one.</summary>
        private void Fire(int i, float before, float after, long time)
        {
            float reference = _reference[i], on = _sensor._on[i], off = _sensor._off[i];
            long last = _lastEvent[i], refractory = _sensor.Options.RefractoryUs;
            double span = time - _time;
            int x = i % _sensor.Width, y = i / _sensor.Width;
            while (true)
            {
                float level;
                int polarity;
                if (after - reference >= on) (level, polarity) = (reference + on, 1);
                else if (reference - after >= off) (level, polarity) = (reference - off, 0);
                else break;
                // A level already passed before this interval (held back by the refractory period) fires at its start.
                double fraction = after == before ? 0 : Math.Clamp((level - before) / (double)(after - before), 0, 1);
                long t = Math.Max(_time + (long)Math.Round(fraction * span), last + refractory);
                if (t > time) break;
                _events.Add(t, x, y, polarity);
                reference = level;
                last = t;
            }
            _reference[i] = reference;
            _lastEvent[i] = last;
        }

        private void AddNoise(long time)
        {
            double rate = _sensor.Options.NoiseRateHz;
            if (rate == 0) return;
            var rng = _noise!;
            int pixels = _reference.Length;
            int count = rng.NextPoisson(rate * pixels * (time - _time) * 1e-6);
            for (int k = 0; k < count; k++)
            {
                int i = rng.Next(pixels);
                _events.Add(_time + 1 + rng.NextInt64(time - _time), i % _sensor.Width, i / _sensor.Width, rng.Next(2));
            }
        }
    }
}
