// A CPU stand-in for the CUDA libraries, exporting the names the bindings use, to run the P/Invoke flow (resolver,
// LibraryImport signatures, error paths, the row-major SGEMM mapping through cublasSgemm_v2) on a machine without a GPU.
// "Device" memory is host memory. Kernels cannot run: NVRTC compilation fails with NVRTC_ERROR_COMPILATION and a log.
// Built into several sonames by fake_cuda_smoke.sh. FAKE_CUDA_DEVICES sets the device count (default 1).
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

static int devices(void) { const char* s = getenv("FAKE_CUDA_DEVICES"); return s ? atoi(s) : 1; }

// ---- cudart
int cudaGetDeviceCount(int* c) { *c = devices(); return 0; }
int cudaSetDevice(int d) { return d < devices() ? 0 : 101; }
int cudaDeviceGetAttribute(int* v, int attr, int d) { *v = attr == 75 ? 9 : attr == 76 ? 0 : attr == 16 ? 132 : 0; return 0; }
int cudaDeviceSynchronize(void) { return 0; }
int cudaDriverGetVersion(int* v) { *v = 13000; return 0; }
int cudaRuntimeGetVersion(int* v) { *v = 13000; return 0; }
int cudaMalloc(void** p, size_t n) { *p = malloc(n ? n : 1); return *p ? 0 : 2; }
int cudaFree(void* p) { free(p); return 0; }
int cudaMallocHost(void** p, size_t n) { *p = malloc(n ? n : 1); return *p ? 0 : 2; }
int cudaFreeHost(void* p) { free(p); return 0; }
int cudaMemcpy(void* d, const void* s, size_t n, int k) { memcpy(d, s, n); return 0; }
int cudaMemcpyAsync(void* d, const void* s, size_t n, int k, void* st) { memcpy(d, s, n); return 0; }
int cudaMemsetAsync(void* p, int v, size_t n, void* st) { memset(p, v, n); return 0; }
int cudaStreamCreateWithFlags(void** s, unsigned f) { *s = malloc(1); return 0; }
int cudaStreamDestroy(void* s) { free(s); return 0; }
int cudaStreamSynchronize(void* s) { return 0; }
int cudaGetLastError(void) { return 0; }
const char* cudaGetErrorName(int e) { return e == 0 ? "cudaSuccess" : "cudaErrorFake"; }
const char* cudaGetErrorString(int e) { return "fake runtime error text"; }
int cudaStreamBeginCapture(void* s, int m) { return 900; }
int cudaStreamEndCapture(void* s, void** g) { *g = 0; return 900; }
int cudaGraphInstantiateWithFlags(void** e, void* g, unsigned long long f) { return 900; }
int cudaGraphLaunch(void* e, void* s) { return 900; }
int cudaGraphExecDestroy(void* e) { return 0; }
int cudaGraphDestroy(void* g) { return 0; }

// ---- cublas: a real column-major SGEMM on host memory
int cublasCreate_v2(void** h) { *h = malloc(1); return 0; }
int cublasDestroy_v2(void* h) { free(h); return 0; }
int cublasSetStream_v2(void* h, void* s) { return 0; }
int cublasSetWorkspace_v2(void* h, void* w, size_t n) { return 0; }
int cublasSetMathMode(void* h, int m) { return 0; }
int cublasGetVersion_v2(void* h, int* v) { *v = 130000; return 0; }
const char* cublasGetStatusString(int s) { return s == 0 ? "success" : "fake cublas status"; }
int cublasSgemm_v2(void* h, int ta, int tb, int m, int n, int k, const float* alpha, const float* A, int lda,
                   const float* B, int ldb, const float* beta, float* C, int ldc)
{
    if (m < 0 || n < 0 || k < 0 || lda < (ta ? k : m) || ldb < (tb ? n : k) || ldc < m) return 7; // INVALID_VALUE
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            double s = 0;
            for (int p = 0; p < k; p++)
                s += (double)(ta ? A[p + (size_t)i * lda] : A[i + (size_t)p * lda]) * (tb ? B[j + (size_t)p * ldb] : B[p + (size_t)j * ldb]);
            C[i + (size_t)j * ldc] = (float)(*alpha * s + (*beta == 0 ? 0 : *beta * C[i + (size_t)j * ldc]));
        }
    return 0;
}
int cublasLtCreate(void** h) { *h = 0; return 0; }

// ---- nvrtc: compilation always fails, with a log
static const char* kLog = "fake_cuda: no NVRTC here; the kernels cannot be compiled.\n";
int nvrtcVersion(int* a, int* b) { *a = 13; *b = 0; return 0; }
int nvrtcGetNumSupportedArchs(int* n) { *n = 1; return 0; }
int nvrtcGetSupportedArchs(int* a) { a[0] = 90; return 0; }
int nvrtcCreateProgram(void** p, const char* src, const char* name, int n, const char** h, const char** i) { *p = malloc(1); return 0; }
int nvrtcCompileProgram(void* p, int n, const char** o) { return 6; }
int nvrtcGetProgramLogSize(void* p, size_t* n) { *n = strlen(kLog) + 1; return 0; }
int nvrtcGetProgramLog(void* p, char* log) { strcpy(log, kLog); return 0; }
int nvrtcGetCUBINSize(void* p, size_t* n) { *n = 0; return 4; }
int nvrtcGetCUBIN(void* p, char* c) { return 4; }
int nvrtcGetPTXSize(void* p, size_t* n) { *n = 0; return 4; }
int nvrtcGetPTX(void* p, char* c) { return 4; }
int nvrtcDestroyProgram(void** p) { free(*p); *p = 0; return 0; }
const char* nvrtcGetErrorString(int r) { return r == 6 ? "NVRTC_ERROR_COMPILATION" : "NVRTC_ERROR_FAKE"; }

// ---- driver
int cuInit(unsigned f) { return 0; }
int cuDriverGetVersion(int* v) { *v = 13000; return 0; }
int cuDeviceGet(int* d, int o) { *d = o; return 0; }
int cuDeviceGetName(char* name, int len, int d) { snprintf(name, len, "Fake CUDA device %d", d); return 0; }
int cuModuleLoadData(void** m, const void* image) { return 200; }
int cuModuleGetFunction(void** f, void* m, const char* name) { return 500; }
int cuModuleUnload(void* m) { return 0; }
int cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, unsigned sh, void* s, void** p, void** e) { return 719; }
int cuGetErrorName(int e, const char** s) { *s = e == 0 ? "CUDA_SUCCESS" : "CUDA_ERROR_FAKE"; return 0; }
int cuGetErrorString(int e, const char** s) { *s = "fake driver error text"; return 0; }
