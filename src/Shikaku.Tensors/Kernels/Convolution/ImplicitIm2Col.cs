using Shikaku.Kernels.Gemm;

namespace Shikaku.Kernels.Conv;

/// <summary>
/// The left GEMM operand of a convolution, read straight from the NHWC image while packing
/// (implicit im2col): row m is the window of output pixel m (n, oh, ow) and column p is tap
/// (kh, kw, ci) of that window, so the patch matrix is never materialised.
/// <para>A column range is walked in segments that are contiguous in the image: one (kh, kw) tap
/// of Cg channels, or, without groups or horizontal dilation, a whole kernel row of KW*C values.
/// Rows that fall in the padding read from a row of zeros; rows that straddle the left/right border
/// are gathered into a small scratch row first.</para>
/// </summary>
internal readonly unsafe struct ImplicitIm2Col : IPackA
{
    private readonly float* _x;
    private readonly int _h, _w, _c;
    private readonly ConvGeometry _g;
    private readonly int _channelOffset;
    private readonly int _groupChannels;
    private readonly bool _rowSegments;
    private readonly int _segmentLength;

    public ImplicitIm2Col(float* x, int h, int w, int c, in ConvGeometry g, int groupChannels, int channelOffset)
    {
        _x = x;
        (_h, _w, _c, _g, _groupChannels, _channelOffset) = (h, w, c, g, groupChannels, channelOffset);
        _rowSegments = groupChannels == c && g.DilationW == 1;
        _segmentLength = _rowSegments ? g.KW * c : groupChannels;
    }

    public void Pack(int i0, int mc, int p0, int kc, int mr, float* dest)
    {
        float** rows = stackalloc float*[mr];
        long* image = stackalloc long[mr];
        int* ih0 = stackalloc int[mr];
        int* iw0 = stackalloc int[mr];
        float* scratch = stackalloc float[mr * kc];
        int ohw = _g.OutH * _g.OutW;
        long imageSize = (long)_h * _w * _c;
        for (int ir = 0; ir < mc; ir += mr)
        {
            int count = Math.Min(mr, mc - ir);
            for (int i = 0; i < count; i++)
            {
                int m = i0 + ir + i;
                int n = m / ohw, r = m - n * ohw;
                int oh = r / _g.OutW, ow = r - oh * _g.OutW;
                image[i] = n * imageSize;
                ih0[i] = oh * _g.StrideH - _g.PadTop;
                iw0[i] = ow * _g.StrideW - _g.PadLeft;
            }
            for (int p = p0; p < p0 + kc;)
            {
                int segment = p / _segmentLength, offset = p - segment * _segmentLength;
                int length = Math.Min(_segmentLength - offset, p0 + kc - p);
                int kh = _rowSegments ? segment : segment / _g.KW;
                int kw = _rowSegments ? 0 : segment - kh * _g.KW;
                for (int i = 0; i < mr; i++)
                {
                    int ih = i < count ? ih0[i] + kh * _g.DilationH : -1;
                    if (ih < 0 || ih >= _h)
                    {
                        rows[i] = PackRows.Zeros;
                        continue;
                    }
                    float* rowStart = _x + image[i] + (long)ih * _w * _c;
                    if (_rowSegments)
                    {
                        int first = iw0[i];
                        if (first >= 0 && first + _g.KW <= _w)
                        {
                            rows[i] = rowStart + (long)first * _c + offset;
                        }
                        else
                        {
                            float* s = scratch + i * kc;
                            for (int e = 0; e < length; e++)
                            {
                                int tap = (offset + e) / _c, ci = offset + e - tap * _c;
                                int iw = first + tap;
                                s[e] = iw >= 0 && iw < _w ? rowStart[(long)iw * _c + ci] : 0f;
                            }
                            rows[i] = s;
                        }
                    }
                    else
                    {
                        int iw = iw0[i] + kw * _g.DilationW;
                        rows[i] = iw < 0 || iw >= _w ? PackRows.Zeros : rowStart + (long)iw * _c + _channelOffset + offset;
                    }
                }
                PackRows.Interleave(rows, mr, length, dest + (p - p0) * mr);
                p += length;
            }
            dest += kc * mr;
        }
    }
}
