// A CPU emulator of the CUDA libraries SourceGenNN binds (cudart, cublas, nvrtc, the driver API), exporting the same
// symbols with the same signatures. It lets the whole GPU path run, end to end, on a machine without a GPU:
// - "device" memory is host memory. Each cudaMalloc block ends at a guard page (an overrun faults at once), starts
//   filled with NaN bytes (a read of memory nobody wrote shows up in the results), and is registered: copies, SGEMM
//   operands and kernel pointer arguments are checked against the registered blocks and their extents;
// - NVRTC compiles the generated CUDA C as host C++ (with emu_prelude.h, through `c++`), plus one launch trampoline per
//   `extern "C" __global__` kernel; the "CUBIN" is the path of the shared object, which cuModuleLoadData dlopens;
// - cuLaunchKernel runs the grid on the CPU (emu_prelude.h says how threads and barriers are scheduled);
// - cublasSgemm_v2 and cublasSgemmStridedBatched are a column-major reference SGEMM in double precision;
// - stream capture records every operation on the capturing stream into a graph, which cudaGraphLaunch replays
//   (several streams may capture at once; thread-local captures refuse only their own thread's unsafe calls):
//   kernel arguments and SGEMM scalars are captured by value, copies read their source at replay, as on a GPU.
//   Synchronising, synchronous copies, allocating, and copies from pageable memory during capture are refused and
//   invalidate the capture, as CUDA refuses them.
// Operations run on the calling thread. By default each runs when it is issued. With FAKE_CUDA_DEFER=1 the ones on a
// stream are queued, and run in order only when something waits for that stream (a synchronize, a synchronous copy,
// cudaFree), so a host that reads or overwrites pinned memory without waiting sees what a GPU would give it.
// What it cannot show: real NVRTC (and its dialect), the real launch limits and memory model, real cuBLAS, timings.
//
// Built into every soname the resolver looks for by fake_cuda_smoke.sh. Environment:
//   FAKE_CUDA_DEVICES   the device count (default 1)
//   FAKE_CUDA_REVERSE   1: run blocks and threads in reverse order (a different legal schedule)
//   FAKE_CUDA_CXX       the C++ compiler (default c++)
//   FAKE_CUDA_NO_NVRTC  1: NVRTC fails every compilation with a log
//   FAKE_CUDA_DRIVER_VERSION  what cuDriverGetVersion reports (default 13000, CUDA 13.0)
//   FAKE_CUDA_SMS       the multiprocessor count reported (default 132); 1 makes the grid-stride loops go round
//   FAKE_CUDA_DEFER     1: queue stream operations until the stream is waited for (see above)
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int env_int(const char* name, int fallback) { const char* s = getenv(name); return s && *s ? atoi(s) : fallback; }
static int devices(void) { return env_int("FAKE_CUDA_DEVICES", 1); }
static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;

#define FAIL(code, ...) do { fprintf(stderr, "fake_cuda: " __VA_ARGS__); fputc('\n', stderr); return (code); } while (0)

// ---- registered memory blocks
enum { MEM_DEVICE = 1, MEM_PINNED = 2 };
typedef struct { char* ptr; size_t size; char* map; size_t mapSize; int kind; } Block;
static Block* blocks;
static int blockCount, blockCapacity;

static Block* find_block(const void* p)
{
    for (int i = 0; i < blockCount; i++)
        if ((const char*)p >= blocks[i].ptr && (const char*)p < blocks[i].ptr + (blocks[i].size ? blocks[i].size : 1)) return &blocks[i];
    return NULL;
}

// The kind of the block that holds [p, p + n), 0 when p is in no block (pageable host memory), -1 when the range
// starts in a block and runs past its end.
static int range_kind(const void* p, size_t n)
{
    Block* b = find_block(p);
    if (!b) return 0;
    return (const char*)p + n <= b->ptr + b->size ? b->kind : -1;
}

static void add_block(char* ptr, size_t size, char* map, size_t mapSize, int kind)
{
    if (blockCount == blockCapacity)
    {
        blockCapacity = blockCapacity ? 2 * blockCapacity : 64;
        blocks = realloc(blocks, (size_t)blockCapacity * sizeof(Block));
    }
    blocks[blockCount++] = (Block){ptr, size, map, mapSize, kind};
}

static int remove_block(void* p, int kind)
{
    for (int i = 0; i < blockCount; i++)
        if (blocks[i].ptr == p && blocks[i].kind == kind)
        {
            if (blocks[i].map) munmap(blocks[i].map, blocks[i].mapSize);
            else free(blocks[i].ptr);
            blocks[i] = blocks[--blockCount];
            return 0;
        }
    return -1;
}

// ---- graphs: recorded operations
enum { OP_KERNEL = 1, OP_COPY, OP_SET, OP_GEMM };
typedef struct Function Function;
typedef struct
{
    int type;
    Function* fn; unsigned grid[3], block[3]; unsigned char* args; // OP_KERNEL: packed arguments
    void* dst; const void* src; size_t bytes; int value;            // OP_COPY, OP_SET
    int ta, tb, m, n, k, lda, ldb, ldc; float alpha, beta; const float* A; const float* B; float* C; // OP_GEMM
    long long strideA, strideB, strideC; int batch;                 // OP_GEMM: batch products, each operand strideX floats on
} Op;
typedef struct { Op* ops; int count, capacity; } Graph;

// A stream: its capture, if one is in progress, and (FAKE_CUDA_DEFER=1) the operations queued on it, which run
// in order when something waits for the stream. Without deferral every operation runs when it is issued.
typedef struct
{
    int capturing, mode, broken; // mode: cudaStreamCaptureMode, 0 global, 1 thread-local, 2 relaxed
    pthread_t thread;            // the thread that began the capture
    Graph* graph;                // what the capture has recorded
    Graph pending;               // deferred operations
} Stream;
enum { MAX_STREAMS = 256 };
static Stream* streams[MAX_STREAMS];
static int streamCount;
static int defer(void) { return env_int("FAKE_CUDA_DEFER", 0); }

static void push(Graph* g, Op op)
{
    if (g->count == g->capacity)
    {
        g->capacity = g->capacity ? 2 * g->capacity : 32;
        g->ops = realloc(g->ops, (size_t)g->capacity * sizeof(Op));
    }
    g->ops[g->count++] = op;
}

// Where an operation issued on stream st goes: into its capture, into its queue (FAKE_CUDA_DEFER), or NULL: run now.
static Graph* queue_of(Stream* st) { return st && st->capturing ? st->graph : st && defer() ? &st->pending : NULL; }

// An operation that CUDA refuses while a capture is in progress: every capture in global mode, and a thread-local
// capture begun by this thread. The capture is invalidated.
static int refused_in_capture(const char* what)
{
    int refused = 0;
    for (int i = 0; i < streamCount; i++)
    {
        Stream* st = streams[i];
        if (!st->capturing || st->mode == 2 || (st->mode == 1 && !pthread_equal(st->thread, pthread_self()))) continue;
        st->broken = 1;
        refused = 1;
    }
    if (refused) fprintf(stderr, "fake_cuda: %s during stream capture (cudaErrorStreamCaptureUnsupported)\n", what);
    return refused;
}

static int exec_op(Op* op);
static void free_op(Op* op) { free(op->args); op->args = NULL; }

// Runs the operations queued on st, in order. An error in one is reported here, as a GPU reports it at the sync.
static int flush(Stream* st)
{
    if (!st) return 0;
    int rc = 0;
    for (int i = 0; i < st->pending.count; i++)
    {
        if (!rc) rc = exec_op(&st->pending.ops[i]);
        free_op(&st->pending.ops[i]);
    }
    st->pending.count = 0;
    return rc ? 719 : 0; // cudaErrorLaunchFailure
}

static int flush_all(void)
{
    int rc = 0;
    for (int i = 0; i < streamCount; i++) rc = flush(streams[i]) || rc ? 719 : 0;
    return rc;
}

// ---- cudart
int cudaGetDeviceCount(int* c) { *c = devices(); return devices() > 0 ? 0 : 100; }
int cudaSetDevice(int d) { return d >= 0 && d < devices() ? 0 : 101; }
int cudaFree(void* p);
int cudaDeviceGetAttribute(int* v, int attr, int d)
{
    if (d < 0 || d >= devices()) return 101;
    // 75/76: compute capability major/minor (an H100: 9.0); 16: multiprocessor count
    *v = attr == 75 ? 9 : attr == 76 ? 0 : attr == 16 ? env_int("FAKE_CUDA_SMS", 132) : 0;
    return 0;
}
int cudaDeviceSynchronize(void)
{
    pthread_mutex_lock(&gate);
    int rc = refused_in_capture("cudaDeviceSynchronize") ? 900 : flush_all();
    pthread_mutex_unlock(&gate);
    return rc;
}
int cudaDriverGetVersion(int* v) { *v = env_int("FAKE_CUDA_DRIVER_VERSION", 13000); return 0; }
int cudaRuntimeGetVersion(int* v) { *v = 13000; return 0; }

int cudaMalloc(void** p, size_t n)
{
    pthread_mutex_lock(&gate);
    int refused = refused_in_capture("cudaMalloc");
    pthread_mutex_unlock(&gate);
    if (refused) return 900;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t body = (n + page - 1) / page * page;
    char* map = mmap(NULL, body + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) return 2;
    mprotect(map + body, page, PROT_NONE);            // the guard page right after the block
    char* ptr = map + body - (n + 15) / 16 * 16;       // 16-byte aligned, ending at most 15 bytes before the guard
    memset(map, 0xFF, body);                           // NaN in every float: uninitialised reads show
    pthread_mutex_lock(&gate);
    add_block(ptr, n, map, body + page, MEM_DEVICE);
    pthread_mutex_unlock(&gate);
    *p = ptr;
    return 0;
}

int cudaFree(void* p)
{
    if (!p) return 0;
    pthread_mutex_lock(&gate);
    flush_all(); // cudaFree waits for the device
    int rc = remove_block(p, MEM_DEVICE);
    pthread_mutex_unlock(&gate);
    if (rc) FAIL(1, "cudaFree(%p): not a pointer cudaMalloc returned", p);
    return 0;
}

int cudaMallocHost(void** p, size_t n)
{
    *p = malloc(n ? n : 1);
    if (!*p) return 2;
    pthread_mutex_lock(&gate);
    add_block(*p, n, NULL, 0, MEM_PINNED);
    pthread_mutex_unlock(&gate);
    return 0;
}

int cudaFreeHost(void* p)
{
    if (!p) return 0;
    pthread_mutex_lock(&gate);
    flush_all(); // cudaFreeHost waits for the device
    int rc = remove_block(p, MEM_PINNED);
    pthread_mutex_unlock(&gate);
    if (rc) FAIL(1, "cudaFreeHost(%p): not a pointer cudaMallocHost returned", p);
    return 0;
}

static const char* kind_name(int k) { return k == MEM_DEVICE ? "device" : k == MEM_PINNED ? "pinned host" : k == 0 ? "pageable host" : "out of bounds"; }

// cudaMemcpyKind: 0 host-to-host, 1 host-to-device, 2 device-to-host, 3 device-to-device, 4 default (inferred).
static int check_copy(const char* call, void* d, const void* s, size_t n, int kind)
{
    int dk = range_kind(d, n), sk = range_kind(s, n);
    if (dk < 0 || sk < 0) FAIL(1, "%s: %zu bytes from %p (%s) to %p (%s) run past the end of a block", call, n, s, kind_name(sk), d, kind_name(dk));
    int wantD = kind == 1 || kind == 3, wantS = kind == 2 || kind == 3;
    if (kind < 0 || kind > 4) FAIL(1, "%s: unknown cudaMemcpyKind %d", call, kind);
    if (kind != 4 && ((dk == MEM_DEVICE) != wantD || (sk == MEM_DEVICE) != wantS))
        FAIL(1, "%s: kind %d but the destination is %s memory and the source is %s memory", call, kind, kind_name(dk), kind_name(sk));
    return 0;
}

int cudaMemcpy(void* d, const void* s, size_t n, int kind)
{
    pthread_mutex_lock(&gate);
    int refused = refused_in_capture("cudaMemcpy (synchronous)"), rc = refused ? 900 : check_copy("cudaMemcpy", d, s, n, kind);
    if (!rc) rc = flush_all(); // the legacy default stream waits for the others
    if (!rc) memmove(d, s, n);
    pthread_mutex_unlock(&gate);
    return rc;
}

int cudaMemcpyAsync(void* d, const void* s, size_t n, int kind, void* stream)
{
    Stream* st = stream;
    pthread_mutex_lock(&gate);
    int rc = check_copy("cudaMemcpyAsync", d, s, n, kind);
    int pageable = (kind == 1 && range_kind(s, n) != MEM_PINNED) || (kind == 2 && range_kind(d, n) != MEM_PINNED);
    Graph* queue = queue_of(st);
    if (!rc && pageable && st && st->capturing)
    {
        st->broken = 1;
        fprintf(stderr, "fake_cuda: cudaMemcpyAsync from or to pageable host memory during stream capture\n");
        rc = 900;
    }
    else if (!rc && queue && !pageable) push(queue, (Op){.type = OP_COPY, .dst = d, .src = s, .bytes = n});
    else if (!rc)
    {
        // Pageable host memory: CUDA stages the copy and returns once the host side is done with, so it runs now.
        rc = flush(st);
        if (!rc) memmove(d, s, n);
    }
    pthread_mutex_unlock(&gate);
    return rc;
}

int cudaMemsetAsync(void* p, int v, size_t n, void* stream)
{
    Stream* st = stream;
    pthread_mutex_lock(&gate);
    if (range_kind(p, n) != MEM_DEVICE) { pthread_mutex_unlock(&gate); FAIL(1, "cudaMemsetAsync: %zu bytes at %p are not device memory", n, p); }
    Op op = {.type = OP_SET, .dst = p, .bytes = n, .value = v};
    Graph* queue = queue_of(st);
    if (queue) push(queue, op);
    else exec_op(&op);
    pthread_mutex_unlock(&gate);
    return 0;
}

int cudaStreamCreateWithFlags(void** s, unsigned f)
{
    pthread_mutex_lock(&gate);
    if (streamCount == MAX_STREAMS) { pthread_mutex_unlock(&gate); FAIL(2, "cudaStreamCreateWithFlags: more than %d streams", MAX_STREAMS); }
    Stream* st = calloc(1, sizeof(Stream));
    streams[streamCount++] = st;
    pthread_mutex_unlock(&gate);
    *s = st;
    return 0;
}
int cudaStreamDestroy(void* s)
{
    Stream* st = s;
    if (!st) return 0;
    pthread_mutex_lock(&gate);
    if (st->capturing) { pthread_mutex_unlock(&gate); FAIL(1, "cudaStreamDestroy during its capture"); }
    flush(st);
    for (int i = 0; i < streamCount; i++)
        if (streams[i] == st) { streams[i] = streams[--streamCount]; break; }
    pthread_mutex_unlock(&gate);
    free(st->pending.ops);
    free(st);
    return 0;
}
int cudaStreamSynchronize(void* s)
{
    Stream* st = s;
    pthread_mutex_lock(&gate);
    int rc;
    if (st && st->capturing) { st->broken = 1; fprintf(stderr, "fake_cuda: cudaStreamSynchronize on a capturing stream\n"); rc = 900; }
    else rc = refused_in_capture("cudaStreamSynchronize") ? 900 : st ? flush(st) : flush_all();
    pthread_mutex_unlock(&gate);
    return rc;
}
int cudaGetLastError(void) { return 0; }
const char* cudaGetErrorName(int e)
{
    switch (e)
    {
        case 0: return "cudaSuccess";
        case 1: return "cudaErrorInvalidValue";
        case 2: return "cudaErrorMemoryAllocation";
        case 100: return "cudaErrorNoDevice";
        case 101: return "cudaErrorInvalidDevice";
        case 900: return "cudaErrorStreamCaptureUnsupported";
        case 901: return "cudaErrorStreamCaptureInvalidated";
        default: return "cudaErrorUnknown";
    }
}
const char* cudaGetErrorString(int e) { return "fake_cuda runtime error (the reason is on standard error)"; }

int cudaStreamBeginCapture(void* s, int mode)
{
    Stream* st = s;
    if (!st) FAIL(1, "cudaStreamBeginCapture: the legacy default stream cannot be captured");
    if (mode < 0 || mode > 2) FAIL(1, "cudaStreamBeginCapture: unknown mode %d", mode);
    pthread_mutex_lock(&gate);
    if (st->capturing) { pthread_mutex_unlock(&gate); FAIL(1, "cudaStreamBeginCapture: the stream is already capturing"); }
    st->capturing = 1;
    st->mode = mode;
    st->broken = 0;
    st->thread = pthread_self();
    st->graph = calloc(1, sizeof(Graph));
    pthread_mutex_unlock(&gate);
    return 0;
}

static void free_graph(Graph* g)
{
    if (!g) return;
    for (int i = 0; i < g->count; i++) free_op(&g->ops[i]);
    free(g->ops);
    free(g);
}

int cudaStreamEndCapture(void* s, void** graph)
{
    Stream* st = s;
    pthread_mutex_lock(&gate);
    if (!st || !st->capturing) { pthread_mutex_unlock(&gate); FAIL(1, "cudaStreamEndCapture: the stream is not capturing"); }
    Graph* g = st->graph;
    int broken = st->broken;
    st->capturing = 0;
    st->graph = NULL;
    pthread_mutex_unlock(&gate);
    if (broken) { free_graph(g); *graph = NULL; return 901; }
    *graph = g;
    return 0;
}

static Graph* copy_graph(const Graph* g);
int cudaGraphInstantiateWithFlags(void** e, void* g, unsigned long long f)
{
    if (!g) FAIL(1, "cudaGraphInstantiateWithFlags: null graph");
    *e = copy_graph(g);
    return 0;
}
static Op copy_op(const Op* op);
int cudaGraphLaunch(void* e, void* s)
{
    Stream* st = s;
    Graph* g = e;
    if (!g) FAIL(1, "cudaGraphLaunch: null executable graph");
    pthread_mutex_lock(&gate);
    if (st && st->capturing) { pthread_mutex_unlock(&gate); FAIL(1, "cudaGraphLaunch into a capture is not emulated"); }
    Graph* queue = queue_of(st);
    int rc = 0;
    for (int i = 0; i < g->count && !rc; i++)
    {
        if (queue) push(queue, copy_op(&g->ops[i])); // the graph's nodes join the stream's queue
        else rc = exec_op(&g->ops[i]) ? 719 : 0;
    }
    pthread_mutex_unlock(&gate);
    return rc;
}
int cudaGraphExecDestroy(void* e) { free_graph(e); return 0; }
int cudaGraphDestroy(void* g) { free_graph(g); return 0; }

// ---- cublas: a column-major reference SGEMM, with the operands checked against the registered blocks
typedef struct { void* stream; void* workspace; size_t workspaceSize; } CublasHandle;
int cublasCreate_v2(void** h) { *h = calloc(1, sizeof(CublasHandle)); return 0; }
int cublasDestroy_v2(void* h) { free(h); return 0; }
int cublasSetStream_v2(void* h, void* s) { ((CublasHandle*)h)->stream = s; return 0; }
int cublasSetWorkspace_v2(void* h, void* w, size_t n)
{
    if (n && range_kind(w, n) != MEM_DEVICE) FAIL(7, "cublasSetWorkspace_v2: %zu bytes at %p are not device memory", n, w);
    ((CublasHandle*)h)->workspace = w;
    ((CublasHandle*)h)->workspaceSize = n;
    return 0;
}
int cublasSetMathMode(void* h, int m) { return m == 0 || m == 1 || m == 2 || m == 3 || m == 16 ? 0 : 7; }
int cublasGetVersion_v2(void* h, int* v) { *v = 130000; return 0; }
const char* cublasGetStatusString(int s) { return s == 0 ? "success" : "fake_cuda cublas status (the reason is on standard error)"; }

static void gemm(int ta, int tb, int m, int n, int k, float alpha, const float* A, int lda, const float* B, int ldb,
                 float beta, float* C, int ldc)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            double s = 0;
            for (int p = 0; p < k; p++)
                s += (double)(ta ? A[p + (size_t)i * lda] : A[i + (size_t)p * lda]) * (tb ? B[j + (size_t)p * ldb] : B[p + (size_t)j * ldb]);
            // beta == 0: C is not read (it may hold NaN), as cuBLAS promises
            C[i + (size_t)j * ldc] = (float)(alpha * s + (beta == 0 ? 0 : (double)beta * C[i + (size_t)j * ldc]));
        }
}

// A column-major rows x cols operand with leading dimension ld, repeated batch times stride floats apart, must lie
// inside one device block.
static int check_operand(const char* call, const char* name, const float* p, int rows, int cols, int ld, long long stride, int batch)
{
    if (rows == 0 || cols == 0 || batch == 0) return 0;
    size_t bytes = ((size_t)(batch - 1) * (size_t)stride + (size_t)(cols - 1) * ld + rows) * sizeof(float);
    int kind = range_kind(p, bytes);
    if (kind != MEM_DEVICE)
        FAIL(7, "%s: operand %s (%d x %d, ld %d, %d of them %lld floats apart, %zu bytes at %p) %s%s", call, name, rows, cols, ld, batch, stride,
             bytes, (const void*)p, kind < 0 ? "runs past the end of its device block" : "is in ", kind < 0 ? "" : kind_name(kind));
    return 0;
}

static int overlaps(const void* a, size_t an, const void* b, size_t bn) { return (const char*)a < (const char*)b + bn && (const char*)b < (const char*)a + an; }

// The shared body of cublasSgemm_v2 (batch 1) and cublasSgemmStridedBatched: the checks, then the product enqueued.
static int sgemm(const char* call, void* h, int ta, int tb, int m, int n, int k, const float* alpha, const float* A, int lda, long long strideA,
                 const float* B, int ldb, long long strideB, const float* beta, float* C, int ldc, long long strideC, int batch)
{
    if (ta < 0 || ta > 1 || tb < 0 || tb > 1) FAIL(7, "%s: only CUBLAS_OP_N (0) and CUBLAS_OP_T (1) are emulated, got %d, %d", call, ta, tb);
    if (m < 0 || n < 0 || k < 0 || batch < 0) FAIL(7, "%s: negative size m=%d n=%d k=%d batch=%d", call, m, n, k, batch);
    if (strideA < 0 || strideB < 0 || strideC < 0) FAIL(7, "%s: negative stride %lld %lld %lld (not emulated)", call, strideA, strideB, strideC);
    if (lda < (ta ? (k > 1 ? k : 1) : (m > 1 ? m : 1)) || ldb < (tb ? (n > 1 ? n : 1) : (k > 1 ? k : 1)) || ldc < (m > 1 ? m : 1))
        FAIL(7, "%s: leading dimension too small: m=%d n=%d k=%d lda=%d ldb=%d ldc=%d ta=%d tb=%d", call, m, n, k, lda, ldb, ldc, ta, tb);
    size_t cItem = m && n ? ((size_t)(n - 1) * ldc + m) : 0;
    // cuBLAS leaves the result undefined when the outputs of two products overlap.
    if (batch > 1 && cItem && (size_t)strideC < cItem)
        FAIL(7, "%s: the %d results overlap (strideC %lld, each %zu floats)", call, batch, strideC, cItem);
    pthread_mutex_lock(&gate);
    int rc = check_operand(call, "A", A, ta ? k : m, ta ? m : k, lda, strideA, batch) || check_operand(call, "B", B, tb ? n : k, tb ? k : n, ldb, strideB, batch)
             || check_operand(call, "C", C, m, n, ldc, strideC, batch);
    size_t last = batch > 0 ? (size_t)batch - 1 : 0;
    size_t cBytes = cItem ? (last * (size_t)strideC + cItem) * sizeof(float) : 0;
    size_t aBytes = m && k ? (last * (size_t)strideA + (size_t)((ta ? m : k) - 1) * lda + (ta ? k : m)) * sizeof(float) : 0;
    size_t bBytes = n && k ? (last * (size_t)strideB + (size_t)((tb ? k : n) - 1) * ldb + (tb ? n : k)) * sizeof(float) : 0;
    if (!rc && k && batch && (overlaps(C, cBytes, A, aBytes) || overlaps(C, cBytes, B, bBytes)))
    {
        fprintf(stderr, "fake_cuda: %s: C overlaps A or B\n", call);
        rc = 7;
    }
    Stream* st = ((CublasHandle*)h)->stream;
    if (!rc)
    {
        // alpha and beta are host pointers (CUBLAS_POINTER_MODE_HOST): read now, captured by value.
        Op op = {.type = OP_GEMM, .ta = ta, .tb = tb, .m = m, .n = n, .k = k, .lda = lda, .ldb = ldb, .ldc = ldc,
                 .alpha = *alpha, .beta = *beta, .A = A, .B = B, .C = C, .strideA = strideA, .strideB = strideB, .strideC = strideC, .batch = batch};
        Graph* queue = queue_of(st);
        if (queue) push(queue, op);
        else exec_op(&op);
    }
    pthread_mutex_unlock(&gate);
    return rc ? 7 : 0;
}

int cublasSgemm_v2(void* h, int ta, int tb, int m, int n, int k, const float* alpha, const float* A, int lda,
                   const float* B, int ldb, const float* beta, float* C, int ldc)
{
    return sgemm("cublasSgemm_v2", h, ta, tb, m, n, k, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}

// batchCount products C_i = alpha·op(A_i)·op(B_i) + beta·C_i, X_i = X + i·strideX (cublas_api.h's signature).
int cublasSgemmStridedBatched(void* h, int ta, int tb, int m, int n, int k, const float* alpha, const float* A, int lda, long long strideA,
                              const float* B, int ldb, long long strideB, const float* beta, float* C, int ldc, long long strideC, int batchCount)
{
    return sgemm("cublasSgemmStridedBatched", h, ta, tb, m, n, k, alpha, A, lda, strideA, B, ldb, strideB, beta, C, ldc, strideC, batchCount);
}
int cublasLtCreate(void** h) { *h = 0; return 0; }

// ---- nvrtc: generated CUDA C compiled as host C++
typedef struct { char* source; char* log; char* image; } Program;

int nvrtcVersion(int* a, int* b) { *a = 13; *b = 0; return 0; }
int nvrtcGetNumSupportedArchs(int* n) { *n = 1; return 0; }
int nvrtcGetSupportedArchs(int* a) { a[0] = 90; return 0; }
int nvrtcCreateProgram(void** p, const char* src, const char* name, int n, const char** h, const char** i)
{
    if (!src) return 5; // NVRTC_ERROR_INVALID_INPUT
    Program* prog = calloc(1, sizeof(Program));
    prog->source = strdup(src);
    *p = prog;
    return 0;
}

static void append(char** buf, size_t* len, size_t* cap, const char* text, size_t n)
{
    if (*len + n + 1 > *cap)
    {
        while (*len + n + 1 > *cap) *cap = *cap ? 2 * *cap : 4096;
        *buf = realloc(*buf, *cap);
    }
    memcpy(*buf + *len, text, n);
    *len += n;
    (*buf)[*len] = 0;
}
#define APPENDF(...) do { char t_[4096]; int n_ = snprintf(t_, sizeof t_, __VA_ARGS__); \
    if (n_ < 0 || n_ >= (int)sizeof t_) { fprintf(stderr, "fake_cuda: a trampoline line is too long\n"); abort(); } \
    append(&out, &len, &cap, t_, (size_t)n_); } while (0)

static char* trim(char* s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n') s++;
    char* e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n')) *--e = 0;
    return s;
}

// One trampoline per `extern "C" __global__ void NAME(T0 a0, T1 a1, ...)`: it unpacks cuLaunchKernel's argument
// pointers with the kernel's own parameter types, and a signature table gives the emulator each argument's size and
// whether it is a pointer. A kernel whose body uses __shared__ or __syncthreads runs its blocks as fibers.
static char* trampolines(const char* src)
{
    char* out = NULL; size_t len = 0, cap = 0;
    append(&out, &len, &cap, "", 0);
    const char* key = "extern \"C\" __global__ void ";
    for (const char* at = strstr(src, key); at; at = strstr(at + 1, key))
    {
        const char* nameStart = at + strlen(key);
        const char* open = strchr(nameStart, '(');
        const char* close = open ? strchr(open, ')') : NULL;
        const char* body = close ? strchr(close, '{') : NULL;
        if (!body) break;
        // The body ends at its matching brace.
        int depth = 0; const char* end = body;
        for (; *end; end++) { if (*end == '{') depth++; else if (*end == '}' && --depth == 0) break; }
        int fibers = 0;
        for (const char* w = body; w < end && !fibers; w++)
            if (!strncmp(w, "__shared__", 10) || !strncmp(w, "__syncthreads", 13)) fibers = 1;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(open - nameStart), nameStart);
        char params[2048];
        snprintf(params, sizeof params, "%.*s", (int)(close - open - 1), open + 1);
        char types[32][256]; int count = 0;
        for (char* save = NULL, *tok = strtok_r(params, ",", &save); tok && count < 32; tok = strtok_r(NULL, ",", &save))
        {
            char* p = trim(tok);
            char* e = p + strlen(p);
            while (e > p && (e[-1] == '_' || (e[-1] >= 'a' && e[-1] <= 'z') || (e[-1] >= 'A' && e[-1] <= 'Z') || (e[-1] >= '0' && e[-1] <= '9'))) e--;
            *e = 0; // drop the parameter's name
            snprintf(types[count++], 256, "%s", trim(p));
        }
        APPENDF("static void emu_body_%s(void** p) { %s(", name, name);
        for (int i = 0; i < count; i++) APPENDF("%s*(%s*)p[%d]", i ? ", " : "", types[i], i);
        APPENDF("); }\n");
        APPENDF("extern \"C\" int emu_launch_%s(void** p, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, int reverse)\n", name);
        APPENDF("{ return emu_run(\"%s\", emu_body_%s, p, gx, gy, gz, bx, by, bz, %d, reverse); }\n", name, name, fibers);
        APPENDF("extern \"C\" const int emu_signature_%s[] = { %d", name, count);
        for (int i = 0; i < count; i++) APPENDF(", (int)sizeof(%s), %d", types[i], strchr(types[i], '*') ? 1 : 0);
        APPENDF(" };\n");
    }
    return out;
}

static const char* prelude_path(void)
{
    static char path[4096];
    if (path[0]) return path;
    Dl_info info;
    if (dladdr((void*)&prelude_path, &info) && info.dli_fname)
    {
        snprintf(path, sizeof path, "%s", info.dli_fname);
        char* slash = strrchr(path, '/');
        if (slash) { strcpy(slash + 1, "emu_prelude.h"); return path; }
    }
    snprintf(path, sizeof path, "emu_prelude.h");
    return path;
}

static char* read_all(const char* path)
{
    FILE* f = fopen(path, "rb");
    if (!f) return strdup("");
    char* buf = NULL; size_t len = 0, cap = 0; char chunk[4096]; size_t n;
    append(&buf, &len, &cap, "", 0);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) append(&buf, &len, &cap, chunk, n);
    fclose(f);
    return buf;
}

int nvrtcCompileProgram(void* p, int n, const char** o)
{
    Program* prog = p;
    free(prog->log); prog->log = NULL;
    free(prog->image); prog->image = NULL;
    if (env_int("FAKE_CUDA_NO_NVRTC", 0))
    {
        prog->log = strdup("fake_cuda: NVRTC is switched off (FAKE_CUDA_NO_NVRTC=1); the kernels cannot be compiled.\n");
        return 6;
    }
    int arch = 0;
    for (int i = 0; i < n; i++)
        if (!strncmp(o[i], "--gpu-architecture=", 19)) arch = 1;
        else if (strcmp(o[i], "--fmad=true") && strcmp(o[i], "--fmad=false") && strncmp(o[i], "-default-device", 15))
        {
            char msg[512];
            snprintf(msg, sizeof msg, "fake_cuda: unknown NVRTC option '%s'\n", o[i]);
            prog->log = strdup(msg);
            return 7; // NVRTC_ERROR_INVALID_OPTION
        }
    if (!arch) { prog->log = strdup("fake_cuda: no --gpu-architecture option\n"); return 7; }

    char dir[] = "/tmp/fake_cuda_XXXXXX";
    if (!mkdtemp(dir)) { prog->log = strdup("fake_cuda: mkdtemp failed\n"); return 6; }
    char cpp[4200], so[4200], log[4200], cmd[16384];
    snprintf(cpp, sizeof cpp, "%s/kernels.cpp", dir);
    snprintf(so, sizeof so, "%s/kernels.so", dir);
    snprintf(log, sizeof log, "%s/log.txt", dir);
    FILE* f = fopen(cpp, "w");
    if (!f) { prog->log = strdup("fake_cuda: cannot write the source\n"); return 6; }
    char* tramp = trampolines(prog->source);
    fprintf(f, "#include \"%s\"\n#line 1 \"sourcegennn_kernels.cu\"\n%s\n// ---- fake_cuda launch trampolines\n%s", prelude_path(), prog->source, tramp);
    fclose(f);
    free(tramp);
    const char* cxx = getenv("FAKE_CUDA_CXX");
    snprintf(cmd, sizeof cmd, "%s -std=c++17 -O1 -g0 -shared -fPIC -Werror=return-type -o '%s' '%s' > '%s' 2>&1",
             cxx && *cxx ? cxx : "c++", so, cpp, log);
    int rc = system(cmd);
    prog->log = read_all(log);
    if (rc != 0) return 6; // NVRTC_ERROR_COMPILATION, with the compiler's output as the log
    size_t need = strlen("FAKECUBIN:") + strlen(so) + 1;
    prog->image = malloc(need);
    snprintf(prog->image, need, "FAKECUBIN:%s", so);
    return 0;
}
int nvrtcGetProgramLogSize(void* p, size_t* n) { Program* prog = p; *n = (prog->log ? strlen(prog->log) : 0) + 1; return 0; }
int nvrtcGetProgramLog(void* p, char* log) { Program* prog = p; strcpy(log, prog->log ? prog->log : ""); return 0; }
int nvrtcGetCUBINSize(void* p, size_t* n) { Program* prog = p; if (!prog->image) return 4; *n = strlen(prog->image) + 1; return 0; }
int nvrtcGetCUBIN(void* p, char* c) { Program* prog = p; if (!prog->image) return 4; strcpy(c, prog->image); return 0; }
int nvrtcGetPTXSize(void* p, size_t* n) { return nvrtcGetCUBINSize(p, n); }
int nvrtcGetPTX(void* p, char* c) { return nvrtcGetCUBIN(p, c); }
int nvrtcDestroyProgram(void** p)
{
    Program* prog = *p;
    if (prog) { free(prog->source); free(prog->log); free(prog->image); free(prog); }
    *p = 0;
    return 0;
}
const char* nvrtcGetErrorString(int r)
{
    switch (r)
    {
        case 0: return "NVRTC_SUCCESS";
        case 4: return "NVRTC_ERROR_INVALID_PROGRAM";
        case 5: return "NVRTC_ERROR_INVALID_INPUT";
        case 6: return "NVRTC_ERROR_COMPILATION";
        case 7: return "NVRTC_ERROR_INVALID_OPTION";
        default: return "NVRTC_ERROR_FAKE";
    }
}

// ---- driver: modules are shared objects; functions are their trampolines
struct Function
{
    int (*launch)(void**, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, int);
    const int* signature; // count, then (size, is-pointer) per argument
    char name[256];
};

int cuInit(unsigned f) { return 0; }
int cuDriverGetVersion(int* v) { *v = env_int("FAKE_CUDA_DRIVER_VERSION", 13000); return 0; }
int cuDeviceGet(int* d, int o) { if (o < 0 || o >= devices()) return 101; *d = o; return 0; }
int cuDeviceGetName(char* name, int len, int d) { snprintf(name, (size_t)len, "fake_cuda CPU emulator (device %d)", d); return 0; }
int cuModuleLoadData(void** m, const void* image)
{
    if (!image || strncmp(image, "FAKECUBIN:", 10)) FAIL(200, "cuModuleLoadData: not an image fake_cuda's NVRTC made");
    const char* so = (const char*)image + 10;
    void* h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (!h) FAIL(200, "cuModuleLoadData: %s", dlerror());
    // The module stays mapped: its folder can go.
    char path[4200];
    const char* names[] = {"kernels.so", "kernels.cpp", "log.txt"};
    const char* slash = strrchr(so, '/');
    int dirLen = slash ? (int)(slash - so) : 0;
    for (int i = 0; i < 3; i++) { snprintf(path, sizeof path, "%.*s/%s", dirLen, so, names[i]); unlink(path); }
    snprintf(path, sizeof path, "%.*s", dirLen, so);
    rmdir(path);
    *m = h;
    return 0;
}
int cuModuleGetFunction(void** f, void* m, const char* name)
{
    char sym[300];
    snprintf(sym, sizeof sym, "emu_launch_%s", name);
    void* launch = dlsym(m, sym);
    snprintf(sym, sizeof sym, "emu_signature_%s", name);
    const int* signature = dlsym(m, sym);
    if (!launch || !signature) return 500; // CUDA_ERROR_NOT_FOUND
    Function* fn = calloc(1, sizeof(Function));
    fn->launch = (int (*)(void**, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, int))launch;
    fn->signature = signature;
    snprintf(fn->name, sizeof fn->name, "%s", name);
    *f = fn;
    return 0;
}
int cuModuleUnload(void* m) { return 0; } // kept loaded: Function handles may outlive the module object

// The bytes of a launch's arguments, packed one after another.
static size_t args_size(const Function* fn)
{
    size_t total = 0;
    for (int a = 0; a < fn->signature[0]; a++) total += (size_t)fn->signature[1 + 2 * a];
    return total;
}

static int run_kernel(Function* fn, const unsigned* grid, const unsigned* block, void** params)
{
    int count = fn->signature[0];
    for (int i = 0; i < count; i++)
    {
        if (!fn->signature[2 + 2 * i]) continue;
        void* p = *(void**)params[i];
        if (p && range_kind(p, 1) != MEM_DEVICE)
            FAIL(700, "cuLaunchKernel(%s): argument %d (%p) points into %s memory, not a device block", fn->name, i, p, kind_name(range_kind(p, 1)));
    }
    int rc = fn->launch(params, grid[0], grid[1], grid[2], block[0], block[1], block[2], env_int("FAKE_CUDA_REVERSE", 0));
    if (rc) FAIL(701, "cuLaunchKernel(%s): block %u x %u x %u is empty or over 1024 threads", fn->name, block[0], block[1], block[2]);
    return 0;
}

int cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, unsigned sh, void* s, void** p, void** e)
{
    Function* fn = f;
    if (!fn) FAIL(400, "cuLaunchKernel: null function");
    if (sh) FAIL(1, "cuLaunchKernel(%s): dynamic shared memory is not emulated", fn->name);
    if (e) FAIL(1, "cuLaunchKernel(%s): 'extra' arguments are not emulated", fn->name);
    if (!p && fn->signature[0]) FAIL(1, "cuLaunchKernel(%s): null kernelParams for %d arguments", fn->name, fn->signature[0]);
    if (!gx || !gy || !gz || gy > 65535 || gz > 65535) FAIL(1, "cuLaunchKernel(%s): grid %u x %u x %u", fn->name, gx, gy, gz);
    unsigned grid[3] = {gx, gy, gz}, block[3] = {bx, by, bz};
    Stream* st = s;
    pthread_mutex_lock(&gate);
    Graph* queue = queue_of(st);
    if (queue)
    {
        // Capture (or queue) the arguments by value, as a graph node does.
        unsigned char* args = malloc(args_size(fn) + 1);
        size_t at = 0;
        for (int i = 0; i < fn->signature[0]; i++) { memcpy(args + at, p[i], (size_t)fn->signature[1 + 2 * i]); at += (size_t)fn->signature[1 + 2 * i]; }
        Op op = {.type = OP_KERNEL, .fn = fn, .args = args};
        memcpy(op.grid, grid, sizeof grid);
        memcpy(op.block, block, sizeof block);
        push(queue, op);
        pthread_mutex_unlock(&gate);
        return 0;
    }
    int rc = run_kernel(fn, grid, block, p);
    pthread_mutex_unlock(&gate);
    return rc;
}

static Op copy_op(const Op* op)
{
    Op c = *op;
    if (op->type == OP_KERNEL)
    {
        size_t total = args_size(op->fn);
        c.args = malloc(total + 1);
        memcpy(c.args, op->args, total);
    }
    return c;
}

static Graph* copy_graph(const Graph* g)
{
    Graph* c = calloc(1, sizeof(Graph));
    for (int i = 0; i < g->count; i++) push(c, copy_op(&g->ops[i]));
    return c;
}

// Runs one recorded operation; 0 or an error code. Copies read their source now, as a GPU reads it when it runs.
static int exec_op(Op* op)
{
    switch (op->type)
    {
        case OP_KERNEL:
        {
            void* params[64];
            size_t at = 0;
            for (int a = 0; a < op->fn->signature[0] && a < 64; a++) { params[a] = op->args + at; at += (size_t)op->fn->signature[1 + 2 * a]; }
            return run_kernel(op->fn, op->grid, op->block, params);
        }
        case OP_COPY: memmove(op->dst, op->src, op->bytes); return 0;
        case OP_SET: memset(op->dst, op->value, op->bytes); return 0;
        case OP_GEMM:
            for (int i = 0; i < op->batch; i++)
                gemm(op->ta, op->tb, op->m, op->n, op->k, op->alpha, op->A + i * op->strideA, op->lda, op->B + i * op->strideB, op->ldb, op->beta,
                     op->C + i * op->strideC, op->ldc);
            return 0;
    }
    return 1;
}

int cuGetErrorName(int e, const char** s)
{
    switch (e)
    {
        case 0: *s = "CUDA_SUCCESS"; break;
        case 1: *s = "CUDA_ERROR_INVALID_VALUE"; break;
        case 200: *s = "CUDA_ERROR_INVALID_IMAGE"; break;
        case 400: *s = "CUDA_ERROR_INVALID_HANDLE"; break;
        case 500: *s = "CUDA_ERROR_NOT_FOUND"; break;
        case 700: *s = "CUDA_ERROR_ILLEGAL_ADDRESS"; break;
        case 701: *s = "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"; break;
        default: *s = "CUDA_ERROR_UNKNOWN"; break;
    }
    return 0;
}
int cuGetErrorString(int e, const char** s) { *s = "fake_cuda driver error (the reason is on standard error)"; return 0; }
