use clap::Parser;

fn main() -> std::process::ExitCode {
    match brandlink::cli::Cli::try_parse() {
        Ok(cli) => brandlink::cli::run(cli),
        Err(e) => brandlink::cli::output::argument_error(e),
    }
}
