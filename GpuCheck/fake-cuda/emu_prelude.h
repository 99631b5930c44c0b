// Prelude that fake_cuda.c's stand-in NVRTC puts in front of generated CUDA C before compiling it as host C++.
// It maps the CUDA dialect the generated kernels use onto C++, and runs a grid on the CPU:
// - blocks run one after another, in order (reversed with FAKE_CUDA_REVERSE=1);
// - a kernel that uses __shared__ or __syncthreads runs each block's threads as cooperative fibers (ucontext): every
//   thread runs until it reaches __syncthreads or returns, and the block moves on only when all have. That is a
//   legal CUDA schedule, so a kernel whose result depends on a missing barrier computes garbage here too, often;
// - any other kernel runs its threads as plain calls, one after another. If such a kernel reaches __syncthreads
//   after all, the process aborts with a message rather than compute something a GPU would not.
// __shared__ variables become function statics: one copy, shared by the block, as on a GPU. They are not cleared
// between blocks (a GPU does not clear them either).
// Compiled with: c++ -std=c++17 -O1 -shared -fPIC (see fake_cuda.c).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __shared__ static

struct dim3 { unsigned int x, y, z; };
static dim3 threadIdx, blockIdx, blockDim, gridDim;

static inline int min(int a, int b) { return a < b ? a : b; }
static inline int max(int a, int b) { return a > b ? a : b; }

enum { EMU_MAX_THREADS = 1024, EMU_STACK = 64 * 1024 };
enum { EMU_RUNNABLE = 0, EMU_AT_BARRIER = 1, EMU_DONE = 2 };

static int emu_fibers;                 // 1 while a block's threads run as fibers
static const char* emu_kernel = "";    // the running kernel's name, for messages
static ucontext_t emu_scheduler;
static ucontext_t emu_context[EMU_MAX_THREADS];
static unsigned char emu_state[EMU_MAX_THREADS];
static char* emu_stacks;
static int emu_current;
static void (*emu_body)(void**);
static void** emu_args;

static void __syncthreads()
{
    if (!emu_fibers)
    {
        fprintf(stderr, "fake_cuda: kernel %s reached __syncthreads but was classified as barrier-free\n", emu_kernel);
        abort();
    }
    emu_state[emu_current] = EMU_AT_BARRIER;
    swapcontext(&emu_context[emu_current], &emu_scheduler);
}

static void emu_fiber_entry()
{
    emu_body(emu_args);
    emu_state[emu_current] = EMU_DONE;   // returning resumes emu_scheduler through uc_link
}

static void emu_set_thread(unsigned int t)
{
    threadIdx.x = t % blockDim.x;
    threadIdx.y = (t / blockDim.x) % blockDim.y;
    threadIdx.z = t / (blockDim.x * blockDim.y);
}

// Runs body(args) for every thread of the grid. Returns 0, or -1 when the block is too large.
static int emu_run(const char* name, void (*body)(void**), void** args, unsigned int gx, unsigned int gy, unsigned int gz,
                   unsigned int bx, unsigned int by, unsigned int bz, int fibers, int reverse)
{
    unsigned long long threads = (unsigned long long)bx * by * bz;
    unsigned long long blocks = (unsigned long long)gx * gy * gz;
    if (threads == 0 || threads > EMU_MAX_THREADS || blocks == 0) return -1;
    emu_kernel = name;
    gridDim = dim3{gx, gy, gz};
    blockDim = dim3{bx, by, bz};
    int nt = (int)threads;
    if (fibers && !emu_stacks) emu_stacks = (char*)malloc((size_t)EMU_MAX_THREADS * EMU_STACK);
    for (unsigned long long k = 0; k < blocks; k++)
    {
        unsigned long long b = reverse ? blocks - 1 - k : k;
        blockIdx = dim3{(unsigned int)(b % gx), (unsigned int)(b / gx % gy), (unsigned int)(b / ((unsigned long long)gx * gy))};
        if (!fibers)
        {
            emu_fibers = 0;
            for (int j = 0; j < nt; j++)
            {
                emu_set_thread((unsigned int)(reverse ? nt - 1 - j : j));
                body(args);
            }
            continue;
        }
        emu_fibers = 1;
        emu_body = body;
        emu_args = args;
        for (int t = 0; t < nt; t++)
        {
            getcontext(&emu_context[t]);
            emu_context[t].uc_stack.ss_sp = emu_stacks + (size_t)t * EMU_STACK;
            emu_context[t].uc_stack.ss_size = EMU_STACK;
            emu_context[t].uc_link = &emu_scheduler;
            makecontext(&emu_context[t], emu_fiber_entry, 0);
            emu_state[t] = EMU_RUNNABLE;
        }
        // Rounds: each live thread runs to its next barrier or to its end. A round ends when every thread has.
        int done = 0;
        while (done < nt)
        {
            for (int j = 0; j < nt; j++)
            {
                int t = reverse ? nt - 1 - j : j;
                if (emu_state[t] == EMU_DONE) continue;
                emu_current = t;
                emu_set_thread((unsigned int)t);
                emu_state[t] = EMU_RUNNABLE;
                swapcontext(&emu_scheduler, &emu_context[t]);
                if (emu_state[t] == EMU_DONE) done++;
            }
        }
        emu_fibers = 0;
    }
    return 0;
}
