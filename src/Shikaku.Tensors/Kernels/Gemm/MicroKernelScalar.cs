namespace Shikaku.Kernels.Gemm;

/// <summary>4 x 4 tile in plain scalar code: correct everywhere, the floor every other kernel is tested against.</summary>
internal unsafe struct MicroKernelScalar : IMicroKernel
{
    public static int MR => 4;
    public static int NR => 4;

    public static void Run(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta, in FusedTail tail)
    {
        float* acc = stackalloc float[16];
        for (int i = 0; i < 16; i++) acc[i] = 0f;
        for (int p = 0; p < kc; p++)
        {
            for (int i = 0; i < 4; i++)
            {
                float ai = a[i];
                for (int j = 0; j < 4; j++) acc[i * 4 + j] += ai * b[j];
            }
            a += 4;
            b += 4;
        }
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
            {
                float* cij = c + i * ldc + j;
                float v = beta == 0f ? alpha * acc[i * 4 + j] : alpha * acc[i * 4 + j] + beta * *cij;
                *cij = tail.IsNone ? v : tail.Apply<V1, float>(v, j);
            }
    }
}
