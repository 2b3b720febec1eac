namespace MetaSpike.Data.Generators;

/// <summary>
/// The shape of one glyph class: 1-4 pen strokes, each a chain of 1-2 cubic Bézier segments in character units
/// ([-1, 1] box, y down). Later strokes often start on an earlier one, as strokes of a character touch.
/// </summary>
internal sealed class GlyphSkeleton
{
    private GlyphSkeleton(double[][] strokes) => Strokes = strokes;

    /// <summary>Per stroke, the control points x0, y0, x1, y1, ... (3 per segment + 1).</summary>
    public double[][] Strokes { get; }

    public static GlyphSkeleton Create(Random rng)
    {
        double r = rng.NextDouble();
        var strokes = new double[r < 0.2 ? 1 : r < 0.55 ? 2 : r < 0.85 ? 3 : 4][];
        for (int s = 0; s < strokes.Length; s++)
        {
            int segments = strokes.Length == 1 || rng.NextDouble() < 0.35 ? 2 : 1;
            var p = new double[2 * (3 * segments + 1)];
            (p[0], p[1]) = s > 0 && rng.NextDouble() < 0.5
                ? PointOn(strokes[rng.Next(s)], rng.NextDouble())
                : (rng.Uniform(-0.8, 0.8), rng.Uniform(-0.8, 0.8));
            double angle = rng.Uniform(0, 2 * Math.PI);
            for (int g = 0; g < segments; g++)
            {
                int o = 6 * g;
                bool smooth = g > 0 && rng.NextDouble() < 0.5;
                // A second segment either bends on smoothly or turns a corner, as pen strokes do.
                if (g > 0) angle += smooth ? rng.Uniform(-0.6, 0.6) : (rng.Next(2) * 2 - 1) * rng.Uniform(1.6, 2.6);
                double length = rng.Uniform(0.6, 1.5);
                double x3 = Math.Clamp(p[o] + length * Math.Cos(angle), -0.95, 0.95);
                double y3 = Math.Clamp(p[o + 1] + length * Math.Sin(angle), -0.95, 0.95);
                double cx = x3 - p[o], cy = y3 - p[o + 1];
                double b1 = rng.Uniform(-0.45, 0.45), b2 = rng.Uniform(-0.45, 0.45);
                double x1 = p[o] + cx / 3 - cy * b1, y1 = p[o + 1] + cy / 3 + cx * b1;
                if (smooth)
                {
                    // C1 continuity: the first handle continues the previous segment's last one.
                    double hx = p[o] - p[o - 2], hy = p[o + 1] - p[o - 1];
                    double scale = Math.Sqrt(cx * cx + cy * cy) / 3 / Math.Max(Math.Sqrt(hx * hx + hy * hy), 1e-9);
                    (x1, y1) = (p[o] + hx * scale, p[o + 1] + hy * scale);
                }
                p[o + 2] = Math.Clamp(x1, -1.1, 1.1);
                p[o + 3] = Math.Clamp(y1, -1.1, 1.1);
                p[o + 4] = Math.Clamp(p[o] + 2 * cx / 3 - cy * b2, -1.1, 1.1);
                p[o + 5] = Math.Clamp(p[o + 1] + 2 * cy / 3 + cx * b2, -1.1, 1.1);
                (p[o + 6], p[o + 7]) = (x3, y3);
                angle = Math.Atan2(cy, cx);
            }
            strokes[s] = p;
        }
        Normalize(strokes);
        return new GlyphSkeleton(strokes);
    }

    /// <summary>Centres the glyph and scales its larger extent to 1.7 (at most 3x), so that characters fill their box.</summary>
    private static void Normalize(double[][] strokes)
    {
        double x0 = double.MaxValue, y0 = double.MaxValue, x1 = double.MinValue, y1 = double.MinValue;
        foreach (var p in strokes)
        {
            for (int j = 0; j <= 32; j++)
            {
                var (x, y) = PointOn(p, j / 32.0);
                (x0, y0, x1, y1) = (Math.Min(x0, x), Math.Min(y0, y), Math.Max(x1, x), Math.Max(y1, y));
            }
        }
        double scale = Math.Min(3, 1.7 / Math.Max(Math.Max(x1 - x0, y1 - y0), 1e-9));
        double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
        foreach (var p in strokes)
        {
            for (int i = 0; i < p.Length; i += 2)
            {
                p[i] = (p[i] - cx) * scale;
                p[i + 1] = (p[i + 1] - cy) * scale;
            }
        }
    }

    /// <summary>The point at parameter <paramref name="u"/> in [0, 1] of a stroke's Bézier chain.</summary>
    public static (double X, double Y) PointOn(double[] p, double u)
    {
        int segments = (p.Length / 2 - 1) / 3;
        double s = Math.Clamp(u, 0, 1) * segments;
        int g = Math.Min((int)s, segments - 1);
        double t = s - g, m = 1 - t;
        double w0 = m * m * m, w1 = 3 * m * m * t, w2 = 3 * m * t * t, w3 = t * t * t;
        int o = 6 * g;
        return (w0 * p[o] + w1 * p[o + 2] + w2 * p[o + 4] + w3 * p[o + 6],
                w0 * p[o + 1] + w1 * p[o + 3] + w2 * p[o + 5] + w3 * p[o + 7]);
    }
}

/// <summary>
/// One written instance of a glyph: the class's strokes with writer noise and a slight affine transform, as
/// polylines in pixels, a timeline (speed, velocity profile, pauses), and an incremental renderer of the growing
/// anti-aliased trace and the pen tip.
/// </summary>
internal sealed class GlyphDrawing
{
    private const int PointsPerSegment = 16;
    private const double StampSpacing = 0.3;

    private readonly GlyphOptions _o;
    private readonly int _width, _height;
    private readonly double[][] _x, _y, _arc;
    private readonly double[] _startMs, _durationMs, _drawn;
    private readonly double _profile;
    private readonly float[] _trace;
    private (int X0, int Y0, int X1, int Y1) _tipBox = Empty, _dirty = Empty;

    private static readonly (int, int, int, int) Empty = (int.MaxValue, int.MaxValue, int.MinValue, int.MinValue);

    public GlyphDrawing(GlyphSkeleton glyph, Random rng, GlyphOptions options, int width, int height)
    {
        (_o, _width, _height) = (options, width, height);
        int strokes = glyph.Strokes.Length;
        (_x, _y, _arc) = (new double[strokes][], new double[strokes][], new double[strokes][]);
        double angle = rng.Uniform(-_o.MaxRotation, _o.MaxRotation), shear = rng.Uniform(-_o.MaxShear, _o.MaxShear);
        double sx = 1 + rng.Uniform(-_o.MaxScaleChange, _o.MaxScaleChange), sy = 1 + rng.Uniform(-_o.MaxScaleChange, _o.MaxScaleChange);
        double scale = _o.CharacterScale * Math.Min(width, height) / 2;
        double cos = Math.Cos(angle) * scale, sin = Math.Sin(angle) * scale;
        double ox = (width - 1) / 2.0 + rng.Uniform(-_o.MaxShiftPixels, _o.MaxShiftPixels);
        double oy = (height - 1) / 2.0 + rng.Uniform(-_o.MaxShiftPixels, _o.MaxShiftPixels);
        for (int s = 0; s < strokes; s++)
        {
            var p = (double[])glyph.Strokes[s].Clone();
            for (int i = 0; i < p.Length; i++) p[i] += _o.PointNoise * rng.NextGaussian();
            int segments = (p.Length / 2 - 1) / 3, n = segments * PointsPerSegment + 1;
            (_x[s], _y[s], _arc[s]) = (new double[n], new double[n], new double[n]);
            for (int j = 0; j < n; j++)
            {
                var (u, v) = GlyphSkeleton.PointOn(p, j / (double)(n - 1));
                // Scale, then shear, then rotate: the writer's slant and size.
                double a = sx * u + shear * sy * v, b = sy * v;
                _x[s][j] = ox + cos * a - sin * b;
                _y[s][j] = oy + sin * a + cos * b;
                if (j > 0) _arc[s][j] = _arc[s][j - 1] + Math.Sqrt(Square(_x[s][j] - _x[s][j - 1]) + Square(_y[s][j] - _y[s][j - 1]));
            }
        }
        // Timeline: strokes share the ink time by length; a bell-shaped speed profile within each stroke.
        double speed = 1 + rng.Uniform(-_o.SpeedVariation, _o.SpeedVariation);
        var pauses = new double[strokes];
        double pauseTotal = 0, lengthTotal = 0;
        for (int s = 0; s < strokes; s++)
        {
            pauses[s] = s == 0 ? 0 : _o.PauseMs * rng.Uniform(0.5, 1.5) * speed;
            pauseTotal += pauses[s];
            lengthTotal += Math.Max(_arc[s][^1], 1e-6);
        }
        double ink = Math.Max(_o.DrawMs * speed - pauseTotal, 0.5 * _o.DrawMs * speed);
        _profile = rng.Uniform(0.3, 0.8);
        (_startMs, _durationMs, _drawn) = (new double[strokes], new double[strokes], new double[strokes]);
        double t = _o.LeadMs;
        for (int s = 0; s < strokes; s++)
        {
            t += pauses[s];
            _startMs[s] = t;
            _durationMs[s] = ink * Math.Max(_arc[s][^1], 1e-6) / lengthTotal;
            t += _durationMs[s];
        }
        FrameCount = (int)Math.Ceiling((t + _o.TailMs) * 1000 / _o.StepUs) + 1;
        _trace = new float[width * height];
    }

    public int FrameCount { get; }

    /// <summary>Draws frame <paramref name="k"/> into <paramref name="frame"/>, which holds frame k - 1.</summary>
    public void Render(int k, float[] frame)
    {
        if (k == 0) Array.Fill(frame, (float)_o.Background);
        double timeMs = k * (double)_o.StepUs / 1000;
        _dirty = _tipBox;
        (double X, double Y)? tip = null;
        for (int s = 0; s < _startMs.Length && timeMs >= _startMs[s]; s++)
        {
            double tau = Math.Min(1, (timeMs - _startMs[s]) / _durationMs[s]);
            double target = _arc[s][^1] * (tau - _profile * Math.Sin(2 * Math.PI * tau) / (2 * Math.PI));
            if (target > _drawn[s])
            {
                Stamp(s, _drawn[s], target);
                _drawn[s] = target;
            }
            if (tau < 1) tip = PointAt(s, target);
        }
        _tipBox = tip is { } p ? Box(p.X, p.Y, _o.TipRadius) : Empty;
        Grow(_tipBox);
        var (x0, y0, x1, y1) = _dirty;
        float background = (float)_o.Background, traceDepth = (float)(_o.Background - _o.TraceIntensity);
        float tipDepth = (float)(_o.Background - _o.TipIntensity);
        for (int y = y0; y <= y1; y++)
        {
            for (int x = x0; x <= x1; x++)
            {
                int i = y * _width + x;
                float value = background - traceDepth * _trace[i];
                if (tip is { } q) value = Math.Min(value, background - tipDepth * Coverage(x, y, q.X, q.Y, _o.TipRadius));
                frame[i] = value;
            }
        }
    }

    /// <summary>Inks stroke <paramref name="s"/> from arc length <paramref name="from"/> to <paramref name="to"/>.</summary>
    private void Stamp(int s, double from, double to)
    {
        int steps = Math.Max(1, (int)Math.Ceiling((to - from) / StampSpacing));
        for (int k = 0; k <= steps; k++)
        {
            var (px, py) = PointAt(s, from + (to - from) * k / steps);
            var box = Box(px, py, _o.PenRadius);
            Grow(box);
            for (int y = box.Y0; y <= box.Y1; y++)
            {
                for (int x = box.X0; x <= box.X1; x++)
                {
                    int i = y * _width + x;
                    _trace[i] = Math.Max(_trace[i], Coverage(x, y, px, py, _o.PenRadius));
                }
            }
        }
    }

    private (double X, double Y) PointAt(int s, double arc)
    {
        double[] a = _arc[s];
        int j = 1;
        while (j < a.Length - 1 && a[j] < arc) j++;
        double f = a[j] > a[j - 1] ? Math.Clamp((arc - a[j - 1]) / (a[j] - a[j - 1]), 0, 1) : 0;
        return (_x[s][j - 1] + f * (_x[s][j] - _x[s][j - 1]), _y[s][j - 1] + f * (_y[s][j] - _y[s][j - 1]));
    }

    /// <summary>Anti-aliased disc: 1 inside, 0 outside, a one-pixel linear ramp across the edge.</summary>
    private static float Coverage(int x, int y, double cx, double cy, double radius) =>
        (float)Math.Clamp(radius + 0.5 - Math.Sqrt(Square(x - cx) + Square(y - cy)), 0, 1);

    /// <summary>The pixels a disc can touch, clipped to the sensor (empty when outside).</summary>
    private (int X0, int Y0, int X1, int Y1) Box(double cx, double cy, double radius)
    {
        double reach = radius + 0.5;
        int x0 = Math.Max(0, (int)Math.Floor(cx - reach)), x1 = Math.Min(_width - 1, (int)Math.Ceiling(cx + reach));
        int y0 = Math.Max(0, (int)Math.Floor(cy - reach)), y1 = Math.Min(_height - 1, (int)Math.Ceiling(cy + reach));
        return x0 > x1 || y0 > y1 ? Empty : (x0, y0, x1, y1);
    }

    private void Grow((int X0, int Y0, int X1, int Y1) box) =>
        _dirty = (Math.Min(_dirty.X0, box.X0), Math.Min(_dirty.Y0, box.Y0), Math.Max(_dirty.X1, box.X1), Math.Max(_dirty.Y1, box.Y1));

    private static double Square(double v) => v * v;
}
