// Checks that fake_cuda's own checks fire: each case makes a mistake a GPU would punish and expects the emulator to
// refuse it or to compute the wrong answer, as a GPU could. Linked against the emulator by fake_cuda_smoke.sh.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cudaMalloc(void** p, size_t n);
int cudaMallocHost(void** p, size_t n);
int cudaMemcpy(void* d, const void* s, size_t n, int kind);
int cudaMemcpyAsync(void* d, const void* s, size_t n, int kind, void* st);
int cudaStreamCreateWithFlags(void** s, unsigned f);
int cudaStreamBeginCapture(void* s, int mode);
int cudaStreamEndCapture(void* s, void** g);
int cudaStreamSynchronize(void* s);
int cublasCreate_v2(void** h);
int cublasSgemm_v2(void* h, int ta, int tb, int m, int n, int k, const float* alpha, const float* A, int lda,
                   const float* B, int ldb, const float* beta, float* C, int ldc);
int cublasSgemmStridedBatched(void* h, int ta, int tb, int m, int n, int k, const float* alpha, const float* A, int lda, long long strideA,
                              const float* B, int ldb, long long strideB, const float* beta, float* C, int ldc, long long strideC, int batchCount);
int nvrtcCreateProgram(void** p, const char* src, const char* name, int n, const char** h, const char** i);
int nvrtcCompileProgram(void* p, int n, const char** o);
int nvrtcGetCUBINSize(void* p, size_t* n);
int nvrtcGetCUBIN(void* p, char* c);
int cuModuleLoadData(void** m, const void* image);
int cuModuleGetFunction(void** f, void* m, const char* name);
int cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, unsigned sh, void* s, void** p, void** e);

static int failures;
static void expect(const char* what, int ok)
{
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok) failures++;
}

// A block sum over shared memory, with and without the barrier between the stores and the reads.
static const char* kSource =
    "extern \"C\" __global__ void sum_ok(const float* x, float* out)\n"
    "{\n"
    "    __shared__ float sh[64];\n"
    "    sh[threadIdx.x] = x[threadIdx.x];\n"
    "    __syncthreads();\n"
    "    for (int w = 32; w > 0; w >>= 1) { if ((int)threadIdx.x < w) sh[threadIdx.x] += sh[threadIdx.x + w]; __syncthreads(); }\n"
    "    if (threadIdx.x == 0) out[0] = sh[0];\n"
    "}\n"
    "extern \"C\" __global__ void sum_racy(const float* x, float* out)\n"
    "{\n"
    "    __shared__ float sh[64];\n"
    "    sh[threadIdx.x] = x[threadIdx.x];\n"
    "    for (int w = 32; w > 0; w >>= 1) { if ((int)threadIdx.x < w) sh[threadIdx.x] += sh[threadIdx.x + w]; }\n"
    "    __syncthreads();\n"
    "    if (threadIdx.x == 0) out[0] = sh[0];\n"
    "}\n"
    "extern \"C\" __global__ void scale(float* x, int n, float a)\n"
    "{\n"
    "    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) x[i] *= a;\n"
    "}\n";

static float run_sum(void* module, const char* name, float* dx, float* dout)
{
    void* f;
    if (cuModuleGetFunction(&f, module, name)) return -1;
    void* args[] = {&dx, &dout};
    if (cuLaunchKernel(f, 1, 1, 1, 64, 1, 1, 0, 0, args, 0)) return -2;
    float r;
    cudaMemcpy(&r, dout, sizeof r, 2);
    return r;
}

int main(void)
{
    void *stream, *blas;
    float *d, *d2, *pinned, host[64];
    cudaStreamCreateWithFlags(&stream, 1);
    cublasCreate_v2(&blas);
    cudaMalloc((void**)&d, 64 * sizeof(float));
    cudaMalloc((void**)&d2, sizeof(float));
    cudaMallocHost((void**)&pinned, 64 * sizeof(float));
    for (int i = 0; i < 64; i++) host[i] = (float)(i + 1);

    // Copies
    expect("new device memory holds NaN", (cudaMemcpy(host, d, 4, 2), host[0] != host[0]));
    for (int i = 0; i < 64; i++) host[i] = (float)(i + 1);
    expect("a host-to-device copy into device memory is accepted", cudaMemcpy(d, host, 64 * sizeof(float), 1) == 0);
    expect("a host-to-device copy with the pointers swapped is refused", cudaMemcpy(host, d, 64 * sizeof(float), 1) != 0);
    expect("a copy past the end of a device block is refused", cudaMemcpy(d, host, 65 * sizeof(float), 1) != 0);

    // SGEMM operands
    float one = 1, zero = 0;
    expect("an SGEMM whose C lies in host memory is refused", cublasSgemm_v2(blas, 0, 0, 8, 8, 1, &one, d, 8, d, 1, &zero, host, 8) != 0);
    expect("an SGEMM whose B runs past its block is refused", cublasSgemm_v2(blas, 0, 0, 8, 8, 8, &one, d, 8, d2, 8, &zero, d2, 8) != 0);
    // Strided batched: d holds 1..64. Two products of a 1x2 row by a 2x1 column, A_i at d + 4i, B_i at d + 16 + 4i:
    // C_0 = 1*17 + 2*18 = 53, C_1 = 5*21 + 6*22 = 237 (column-major: A 1x2 has lda 1, B 2x1 has ldb 2).
    float* c;
    cudaMalloc((void**)&c, 2 * sizeof(float));
    float r[2] = {0, 0};
    expect("a strided batched SGEMM computes each product",
           cublasSgemmStridedBatched(blas, 0, 0, 1, 1, 2, &one, d, 1, 4, d + 16, 2, 4, &zero, c, 1, 1, 2) == 0
           && cudaMemcpy(r, c, sizeof r, 2) == 0 && r[0] == 53 && r[1] == 237);
    expect("a strided batched SGEMM whose last C runs past its block is refused",
           cublasSgemmStridedBatched(blas, 0, 0, 1, 1, 2, &one, d, 1, 4, d + 16, 2, 4, &zero, c, 1, 1, 3) != 0);
    expect("a strided batched SGEMM whose results overlap is refused",
           cublasSgemmStridedBatched(blas, 0, 0, 2, 1, 1, &one, d, 2, 2, d + 16, 1, 1, &zero, c, 2, 1, 2) != 0);

    // Capture
    cudaStreamBeginCapture(stream, 1);
    expect("a copy from pinned memory is captured", cudaMemcpyAsync(d, pinned, 16, 1, stream) == 0);
    expect("a copy from pageable memory during capture is refused", cudaMemcpyAsync(d, host, 16, 1, stream) == 900);
    void* graph;
    expect("the capture it broke ends invalidated", cudaStreamEndCapture(stream, &graph) == 901 && graph == 0);
    cudaStreamBeginCapture(stream, 0);
    expect("synchronising during capture is refused", cudaStreamSynchronize(stream) == 900);
    cudaStreamEndCapture(stream, &graph);

    // Kernels
    void* prog;
    const char* opts[] = {"--gpu-architecture=sm_90", "--fmad=true"};
    nvrtcCreateProgram(&prog, kSource, "selftest.cu", 0, 0, 0);
    int rc = nvrtcCompileProgram(prog, 2, opts);
    expect("the test kernels compile", rc == 0);
    if (rc) return 1;
    size_t n;
    nvrtcGetCUBINSize(prog, &n);
    char* image = malloc(n);
    nvrtcGetCUBIN(prog, image);
    void* module;
    expect("the module loads", cuModuleLoadData(&module, image) == 0);
    expect("a block sum with its barriers is right", run_sum(module, "sum_ok", d, d2) == 2080.0f);
    float racy = run_sum(module, "sum_racy", d, d2);
    printf("     (the block sum without the barrier gave %g)\n", racy);
    expect("a block sum missing a barrier is wrong", racy != 2080.0f);
    void* f;
    cuModuleGetFunction(&f, module, "scale");
    int count = 64;
    float a = 2;
    void* bad[] = {&pinned, &count, &a};
    expect("a kernel given a host pointer is refused", cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 0, 0, bad, 0) == 700);
    void* good[] = {&d, &count, &a};
    expect("a grid-stride kernel runs", cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 0, 0, good, 0) == 0 && (cudaMemcpy(host, d, 256, 2), host[63] == 128.0f));
    expect("a block over 1024 threads is refused", cuLaunchKernel(f, 1, 1, 1, 2048, 1, 1, 0, 0, good, 0) != 0);

    // Deferred streams: a copy from pinned memory reads its source when the stream runs, not when it is issued.
    setenv("FAKE_CUDA_DEFER", "1", 1);
    pinned[0] = 1;
    cudaMemcpyAsync(d, pinned, sizeof(float), 1, stream);
    pinned[0] = 7; // overwritten before anything waited for the copy: a GPU may well copy the 7
    cudaStreamSynchronize(stream);
    float got;
    cudaMemcpy(&got, d, sizeof got, 2);
    expect("with FAKE_CUDA_DEFER=1 a host that does not wait sees the race", got == 7.0f);
    unsetenv("FAKE_CUDA_DEFER");

    printf("fake_cuda self-test: %d failed\n", failures);
    return failures != 0;
}
