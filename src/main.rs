fn main() -> std::process::ExitCode {
    whygo::cli::main()
}
