//! The thin binary: parse the command line, run, print an error once, map the outcome to an exit code.

use clap::Parser;
use std::process::ExitCode;
use txaudit::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match txaudit::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("txaudit: {err:#}");
            ExitCode::from(txaudit::EXIT_ERROR)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|e| e.downcast_ref::<std::io::Error>())
        .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}
