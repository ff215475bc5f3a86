use clap::Parser;

fn main() -> std::process::ExitCode {
    brandlink::cli::run(brandlink::cli::Cli::parse())
}
