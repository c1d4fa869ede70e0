//! The `trigger-radar` binary: parse the command line, call the library.

mod cli;
mod cli_db;
mod cli_webhooks;

fn main() -> std::process::ExitCode {
    cli::main()
}
