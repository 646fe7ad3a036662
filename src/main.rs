// See Cargo.toml: faster small allocations, and freed memory goes back to
// the system instead of staying in glibc's arenas.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    whygo::cli::main()
}
