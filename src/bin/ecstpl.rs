//! `ecstpl`: the CI half of the ECS task definition template pattern.

use ecstpl::cli::run;

fn main() -> std::process::ExitCode {
    let cli = ecstpl::cli::parse();
    ecstpl::cli::log::init();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("ecstpl: error: could not start the async runtime: {err}");
            return std::process::ExitCode::from(3);
        }
    };
    let code = runtime.block_on(run(cli));
    std::process::ExitCode::from(code.code())
}
