using System.Numerics;
using Shikaku.Vision.Geometry;

namespace Shikaku.Vision.Mesh;

/// <summary>
/// A pinhole camera: <see cref="Focal"/> in pixels and the principal point (<see cref="Cx"/>, <see cref="Cy"/>). Camera
/// axes as OpenCV's: x to the image's right, y down, z forward from the lens.
/// </summary>
/// <example><code>var camera = PinholeCamera.ForImage(1920, 1280); // MediaPipe's 63-degree vertical field of view</code></example>
public sealed record PinholeCamera(double Focal, double Cx, double Cy)
{
    /// <summary>MediaPipe's face-geometry default: a phone camera's vertical field of view, in degrees.</summary>
    public const double DefaultVerticalFieldOfView = 63;

    /// <summary>A camera centred on a <paramref name="width"/> x <paramref name="height"/> image with the given vertical field of view.</summary>
    public static PinholeCamera ForImage(int width, int height, double verticalFieldOfView = DefaultVerticalFieldOfView)
    {
        if (width < 1 || height < 1) throw new ArgumentOutOfRangeException(nameof(width), $"An image of {width}x{height} has no pixels.");
        if (!(verticalFieldOfView is > 1 and < 179))
            throw new ArgumentOutOfRangeException(nameof(verticalFieldOfView), verticalFieldOfView, "The vertical field of view must be between 1 and 179 degrees.");
        return new(height / 2.0 / Math.Tan(verticalFieldOfView * Math.PI / 360), width / 2.0, height / 2.0);
    }

    /// <summary>Where a point in camera coordinates lands in the image.</summary>
    public Point2D Project(Point3D p) => new(Focal * p.X / p.Z + Cx, Focal * p.Y / p.Z + Cy);
}

/// <summary>
/// A head's pose relative to the camera: the rotation that turns a face model (x to the image's right, y up, z towards
/// the camera, as MediaPipe's canonical face) from facing the camera to the photo's pose, and where the model's origin
/// is in camera coordinates (centimetres for a metric model).
/// </summary>
/// <param name="Yaw">Degrees; positive when the nose points to the image's right.</param>
/// <param name="Pitch">Degrees; positive when the nose points up.</param>
/// <param name="Roll">Degrees; positive when the face is turned counter-clockwise in the image.</param>
/// <param name="Translation">The model's origin in camera coordinates (x right, y down, z forward).</param>
/// <param name="Rotation">The face rotation, 3x3 row-major, in the model's axes: Rz(roll) Ry(yaw) Rx(-pitch).</param>
/// <param name="RmsError">Root-mean-square distance in pixels between the landmarks and the model's projected points.</param>
/// <param name="Points">How many landmarks were fitted.</param>
public sealed record HeadPose(double Yaw, double Pitch, double Roll, Point3D Translation, double[] Rotation, double RmsError, int Points)
{
    /// <summary>Model coordinates to camera coordinates: flip y and z (model y up and z towards the camera), rotate, translate.</summary>
    public Point3D ToCamera(Point3D p)
    {
        var r = Rotation;
        double x = r[0] * p.X + r[1] * p.Y + r[2] * p.Z, y = r[3] * p.X + r[4] * p.Y + r[5] * p.Z, z = r[6] * p.X + r[7] * p.Y + r[8] * p.Z;
        return new Point3D(x + Translation.X, -y + Translation.Y, -z + Translation.Z);
    }

    /// <summary>
    /// The 4x4 transform from model to camera coordinates (row vectors, as <see cref="System.Numerics"/>: p' = p M), the
    /// matrix a 3-D viewer places the mesh with.
    /// </summary>
    public Matrix4x4 Transform
    {
        get
        {
            var r = Rotation;
            return new Matrix4x4(
                (float)r[0], (float)-r[3], (float)-r[6], 0,
                (float)r[1], (float)-r[4], (float)-r[7], 0,
                (float)r[2], (float)-r[5], (float)-r[8], 0,
                (float)Translation.X, (float)Translation.Y, (float)Translation.Z, 1);
        }
    }

    /// <summary>The rotation of a pose given by its angles in degrees (the inverse of how <see cref="Fit"/> reads them).</summary>
    public static double[] RotationFromAngles(double yaw, double pitch, double roll)
    {
        double a = -pitch * Math.PI / 180, b = yaw * Math.PI / 180, c = roll * Math.PI / 180;
        double ca = Math.Cos(a), sa = Math.Sin(a), cb = Math.Cos(b), sb = Math.Sin(b), cc = Math.Cos(c), sc = Math.Sin(c);
        // Rz(c) Ry(b) Rx(a)
        return
        [
            cc * cb, cc * sb * sa - sc * ca, cc * sb * ca + sc * sa,
            sc * cb, sc * sb * sa + cc * ca, sc * sb * ca - cc * sa,
            -sb, cb * sa, cb * ca,
        ];
    }

    /// <summary>
    /// Fits <paramref name="model"/> (3-D points of a face model) to <paramref name="image"/> (where those points are
    /// in the photo, pixels): first a weighted similarity fit under a scaled orthographic camera (Procrustes: rotation,
    /// scale, shift, in closed form), then Levenberg-Marquardt on rotation and translation under the pinhole
    /// <paramref name="camera"/>, minimising the weighted squared reprojection error. The model keeps its size, so
    /// the distance follows from how large the face looks.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than 6 points, lengths that differ, a value that is not finite, a negative weight.</exception>
    /// <exception cref="PoseException">The points do not determine a pose (all on a line or a plane seen edge-on).</exception>
    public static HeadPose Fit(ReadOnlySpan<Point3D> model, ReadOnlySpan<Point2D> image, ReadOnlySpan<double> weights, PinholeCamera camera)
    {
        ArgumentNullException.ThrowIfNull(camera);
        int n = model.Length;
        if (n < 6) throw new ArgumentException($"A pose needs at least 6 landmarks; {n} were given.", nameof(model));
        if (image.Length != n || weights.Length != n)
            throw new ArgumentException($"{n} model points, {image.Length} image points and {weights.Length} weights: they must be as many.", nameof(image));
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            if (!(double.IsFinite(model[i].X) && double.IsFinite(model[i].Y) && double.IsFinite(model[i].Z) && double.IsFinite(image[i].X) && double.IsFinite(image[i].Y)))
                throw new ArgumentException($"Landmark {i} is not finite ({model[i]}, {image[i]}).", nameof(image));
            if (!(weights[i] >= 0) || !double.IsFinite(weights[i])) throw new ArgumentException($"Weight {i} is {weights[i]}; weights are finite and not negative.", nameof(weights));
            total += weights[i];
        }
        if (!(total > 0)) throw new ArgumentException("Every weight is 0.", nameof(weights));

        // Camera-axis model points: y and z flipped, so the camera rotation is a plain rotation of these.
        var p = new Point3D[n];
        for (int i = 0; i < n; i++) p[i] = new Point3D(model[i].X, -model[i].Y, -model[i].Z);
        var (rc, t) = ScaledOrthographic(p, image, weights, total, camera);
        Refine(p, image, weights, camera, ref rc, ref t);

        // Back to the model's axes: R = F Rc F with F = diag(1, -1, -1).
        double[] r = [rc[0], -rc[1], -rc[2], -rc[3], rc[4], rc[5], -rc[6], rc[7], rc[8]];
        double yaw = Math.Asin(Math.Clamp(-r[6], -1, 1)), pitch = -Math.Atan2(r[7], r[8]), roll = Math.Atan2(r[3], r[0]);
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            var q = camera.Project(Apply(rc, t, p[i]));
            sum += (q.X - image[i].X) * (q.X - image[i].X) + (q.Y - image[i].Y) * (q.Y - image[i].Y);
        }
        const double degrees = 180 / Math.PI;
        return new HeadPose(yaw * degrees, pitch * degrees, roll * degrees, t, r, Math.Sqrt(sum / n), n);
    }

    // q ~ A p + b by weighted least squares; A's rows are s times the camera rotation's first two rows.
    private static (double[] Rotation, Point3D Translation) ScaledOrthographic(Point3D[] p, ReadOnlySpan<Point2D> q, ReadOnlySpan<double> w, double total, PinholeCamera camera)
    {
        int n = p.Length;
        Point3D pm = default;
        double qx = 0, qy = 0;
        for (int i = 0; i < n; i++)
        {
            pm = pm.Add(p[i].Scale(w[i]));
            qx += w[i] * q[i].X;
            qy += w[i] * q[i].Y;
        }
        pm = pm.Scale(1 / total);
        qx /= total;
        qy /= total;
        var spp = new double[9];
        var sqp = new double[6];
        for (int i = 0; i < n; i++)
        {
            var d = p[i].Sub(pm);
            double[] v = [d.X, d.Y, d.Z];
            double ex = q[i].X - qx, ey = q[i].Y - qy;
            for (int a = 0; a < 3; a++)
            {
                for (int b = 0; b < 3; b++) spp[3 * a + b] += w[i] * v[a] * v[b];
                sqp[a] += w[i] * ex * v[a];
                sqp[3 + a] += w[i] * ey * v[a];
            }
        }
        var inv = Invert3(spp) ?? throw new PoseException("The landmarks' model points lie on a plane or a line, so they do not determine a rotation.");
        var a0 = new Point3D(Dot(sqp, 0, inv, 0), Dot(sqp, 0, inv, 1), Dot(sqp, 0, inv, 2));
        var a1 = new Point3D(Dot(sqp, 3, inv, 0), Dot(sqp, 3, inv, 1), Dot(sqp, 3, inv, 2));
        double s = (a0.Length() + a1.Length()) / 2;
        if (!(s > 1e-12)) throw new PoseException("The landmarks are all at one place in the image, so they do not determine a pose.");
        var r1 = a0.Scale(1 / a0.Length());
        var r2 = a1.Sub(r1.Scale(a1.Dot(r1)));
        if (!(r2.Length() > 1e-12)) throw new PoseException("The landmarks lie on a line in the image, so they do not determine a pose.");
        r2 = r2.Scale(1 / r2.Length());
        var r3 = r1.Cross(r2);
        double[] rc = [r1.X, r1.Y, r1.Z, r2.X, r2.Y, r2.Z, r3.X, r3.Y, r3.Z];
        // The mean model point lands at the mean image point at depth f / s.
        double z = camera.Focal / s;
        var centre = Rotate(rc, pm);
        var t = new Point3D((qx - camera.Cx) * z / camera.Focal - centre.X, (qy - camera.Cy) * z / camera.Focal - centre.Y, z - centre.Z);
        return (rc, t);
    }

    // Levenberg-Marquardt on (rotation as a left increment exp([d]x) Rc, translation).
    private static void Refine(Point3D[] p, ReadOnlySpan<Point2D> q, ReadOnlySpan<double> w, PinholeCamera camera, ref double[] rc, ref Point3D t)
    {
        double cost = Cost(p, q, w, camera, rc, t), lambda = 1e-3;
        var h = new double[36];
        var g = new double[6];
        var j = new double[12];
        for (int iteration = 0; iteration < 100; iteration++)
        {
            Array.Clear(h);
            Array.Clear(g);
            for (int i = 0; i < p.Length; i++)
            {
                var rp = Rotate(rc, p[i]);
                var c = rp.Add(t);
                if (!(c.Z > 1e-9)) continue;
                double f = camera.Focal, iz = 1 / c.Z;
                double ru = f * c.X * iz + camera.Cx - q[i].X, rv = f * c.Y * iz + camera.Cy - q[i].Y;
                // d(u, v)/dC, then dC/dd = -[R p]x and dC/dt = I.
                double ux = f * iz, uz = -f * c.X * iz * iz, vy = f * iz, vz = -f * c.Y * iz * iz;
                // -[rp]x = [[0, rp.Z, -rp.Y], [-rp.Z, 0, rp.X], [rp.Y, -rp.X, 0]]
                j[0] = uz * rp.Y; j[1] = ux * rp.Z - uz * rp.X; j[2] = -ux * rp.Y; j[3] = ux; j[4] = 0; j[5] = uz;
                j[6] = -vy * rp.Z + vz * rp.Y; j[7] = -vz * rp.X; j[8] = vy * rp.X; j[9] = 0; j[10] = vy; j[11] = vz;
                for (int a = 0; a < 6; a++)
                {
                    g[a] += w[i] * (j[a] * ru + j[6 + a] * rv);
                    for (int b = 0; b < 6; b++) h[6 * a + b] += w[i] * (j[a] * j[b] + j[6 + a] * j[6 + b]);
                }
            }
            bool improved = false;
            for (int attempt = 0; attempt < 12 && !improved; attempt++)
            {
                var damped = (double[])h.Clone();
                for (int a = 0; a < 6; a++) damped[7 * a] += lambda * Math.Max(h[7 * a], 1e-12);
                var step = Solve6(damped, g);
                if (step == null) { lambda *= 10; continue; }
                var nr = Multiply(Rodrigues(-step[0], -step[1], -step[2]), rc);
                var nt = new Point3D(t.X - step[3], t.Y - step[4], t.Z - step[5]);
                double nc = Cost(p, q, w, camera, nr, nt);
                if (nc < cost)
                {
                    improved = true;
                    bool converged = cost - nc < 1e-15 * Math.Max(cost, 1) || Math.Abs(step[0]) + Math.Abs(step[1]) + Math.Abs(step[2]) < 1e-13;
                    rc = nr;
                    t = nt;
                    cost = nc;
                    lambda = Math.Max(lambda / 3, 1e-12);
                    if (converged) return;
                }
                else lambda *= 4;
            }
            if (!improved) return;
        }
    }

    private static double Cost(Point3D[] p, ReadOnlySpan<Point2D> q, ReadOnlySpan<double> w, PinholeCamera camera, double[] rc, Point3D t)
    {
        double sum = 0;
        for (int i = 0; i < p.Length; i++)
        {
            var c = Rotate(rc, p[i]).Add(t);
            if (!(c.Z > 1e-9)) return double.PositiveInfinity; // behind the camera: not a pose
            var u = camera.Project(c);
            sum += w[i] * ((u.X - q[i].X) * (u.X - q[i].X) + (u.Y - q[i].Y) * (u.Y - q[i].Y));
        }
        return sum;
    }

    private static Point3D Apply(double[] r, Point3D t, Point3D p) => Rotate(r, p).Add(t);

    private static Point3D Rotate(double[] r, Point3D p) =>
        new(r[0] * p.X + r[1] * p.Y + r[2] * p.Z, r[3] * p.X + r[4] * p.Y + r[5] * p.Z, r[6] * p.X + r[7] * p.Y + r[8] * p.Z);

    private static double Dot(double[] row, int offset, double[] m, int column) =>
        row[offset] * m[column] + row[offset + 1] * m[3 + column] + row[offset + 2] * m[6 + column];

    private static double[] Multiply(double[] a, double[] b)
    {
        var c = new double[9];
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < 3; k++)
                c[3 * i + k] = a[3 * i] * b[k] + a[3 * i + 1] * b[3 + k] + a[3 * i + 2] * b[6 + k];
        return c;
    }

    // exp([v]x): the rotation by |v| radians about v.
    private static double[] Rodrigues(double x, double y, double z)
    {
        double angle = Math.Sqrt(x * x + y * y + z * z);
        if (angle < 1e-15) return [1, -z, y, z, 1, -x, -y, x, 1];
        double kx = x / angle, ky = y / angle, kz = z / angle, c = Math.Cos(angle), s = Math.Sin(angle), v = 1 - c;
        return
        [
            c + kx * kx * v, kx * ky * v - kz * s, kx * kz * v + ky * s,
            ky * kx * v + kz * s, c + ky * ky * v, ky * kz * v - kx * s,
            kz * kx * v - ky * s, kz * ky * v + kx * s, c + kz * kz * v,
        ];
    }

    private static double[]? Invert3(double[] m)
    {
        double c0 = m[4] * m[8] - m[5] * m[7], c1 = m[5] * m[6] - m[3] * m[8], c2 = m[3] * m[7] - m[4] * m[6];
        double det = m[0] * c0 + m[1] * c1 + m[2] * c2;
        double scale = Math.Abs(m[0]) + Math.Abs(m[4]) + Math.Abs(m[8]);
        if (!(Math.Abs(det) > 1e-9 * scale * scale * scale)) return null;
        double d = 1 / det;
        return
        [
            c0 * d, (m[2] * m[7] - m[1] * m[8]) * d, (m[1] * m[5] - m[2] * m[4]) * d,
            c1 * d, (m[0] * m[8] - m[2] * m[6]) * d, (m[2] * m[3] - m[0] * m[5]) * d,
            c2 * d, (m[1] * m[6] - m[0] * m[7]) * d, (m[0] * m[4] - m[1] * m[3]) * d,
        ];
    }

    // Gaussian elimination with partial pivoting on a 6x6 system; null when it is singular.
    private static double[]? Solve6(double[] a, double[] b)
    {
        var m = (double[])a.Clone();
        var x = (double[])b.Clone();
        for (int col = 0; col < 6; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < 6; r++) if (Math.Abs(m[6 * r + col]) > Math.Abs(m[6 * pivot + col])) pivot = r;
            if (!(Math.Abs(m[6 * pivot + col]) > 1e-300)) return null;
            if (pivot != col)
            {
                for (int k = 0; k < 6; k++) (m[6 * col + k], m[6 * pivot + k]) = (m[6 * pivot + k], m[6 * col + k]);
                (x[col], x[pivot]) = (x[pivot], x[col]);
            }
            for (int r = col + 1; r < 6; r++)
            {
                double f = m[6 * r + col] / m[6 * col + col];
                for (int k = col; k < 6; k++) m[6 * r + k] -= f * m[6 * col + k];
                x[r] -= f * x[col];
            }
        }
        for (int r = 5; r >= 0; r--)
        {
            double s = x[r];
            for (int k = r + 1; k < 6; k++) s -= m[6 * r + k] * x[k];
            x[r] = s / m[6 * r + r];
        }
        return x;
    }
}

/// <summary>Landmarks from which no head pose follows (a face too small, flat or degenerate to fit).</summary>
public sealed class PoseException(string message) : ShikakuException(message);
