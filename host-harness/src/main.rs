//! `meetkit`: try the meetkit component in a simulated ERP and a simulated CRM.

mod cli;

use clap::Parser as _;
use std::process::ExitCode;

/// The host lifts every string a call returns into its own allocation: mimalloc makes
/// those many small allocations cheaper than the system allocator does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Output piped into `head` ends quietly, as other command-line tools do, instead of
    // panicking when the pipe closes: Rust ignores SIGPIPE unless told otherwise.
    #[cfg(unix)]
    // SAFETY: called before any thread starts; restores the signal's default action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(e) => return cli::usage(e),
    };
    // A command reports what it did on stdout and logs only warnings; a server has no
    // stdout to speak of, so it logs what it does too.
    let level = if args.is_server() { "info" } else { "warn" };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MEETKIT_LOG").unwrap_or_else(|_| level.into()),
        )
        .with_writer(std::io::stderr)
        // Colour only for a person at a terminal, not in a file or a pipe.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let json = args.json;
    cli::run(args).unwrap_or_else(|e| cli::fail(&e, json))
}
